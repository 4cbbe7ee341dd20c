"""What a backend must do. The compiler and the Model speak only to this interface: they lay out
tensors as offsets into two flat arenas and hand the backend instructions; where the arenas live
(host memory, GPU memory) and how instructions run is the backend's business."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np


class Backend(ABC):
    """An engine that owns arenas and runs plans on them."""

    name: str
    parallel: bool  # may kernels split work across threads (or blocks)?
    keeps_data: bool = False  # can it keep a dataset where its kernels run (upload, gather)?

    @abstractmethod
    def zeros(self, n: int) -> Any:
        """A new float32 arena of n zeros."""

    @abstractmethod
    def write(self, arena: Any, offset: int, values: np.ndarray) -> None:
        """Copy host values (any shape, float32) into the arena from offset."""

    @abstractmethod
    def read(self, arena: Any, offset: int, shape: tuple[int, ...]) -> np.ndarray:
        """A host copy of the arena's values from offset, as float32 of the given shape."""

    @abstractmethod
    def run(self, program: np.ndarray, params: Any, work: Any, step: int) -> None:
        """Execute the instructions of ``program`` on the two arenas."""

    def prepare(self, program: np.ndarray) -> Any:
        """Turn a host program into what ``run`` takes (a device copy, for instance)."""
        return program

    def upload(self, values: np.ndarray) -> Any | None:
        """Keep a float32 copy of ``values`` where the kernels run, for ``gather``; None when
        the backend gains nothing by it (host memory) or it does not fit."""
        return None

    def gather(self, source: Any, rows: np.ndarray, row_size: int, arena: Any,
               offset: int) -> None:
        """Copy rows ``rows`` (each ``row_size`` values) of an uploaded array, in that order,
        into the arena from offset."""
        raise NotImplementedError(f"the {self.name} backend keeps no data on a device")
