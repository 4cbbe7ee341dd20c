"""The CPU engine: Numba kernels and the executor that runs plans with them.

Numba's disk cache notices when a kernel's own file changes, but not when a kernel it calls
changes in another file, and would then load stale machine code. So the cache lives in a folder
named by a hash of every kernel source (and of the Python and Numba versions): a new kernel
library gets a fresh cache, and an unchanged one is compiled only once. The modules that hold
no kernel (the backend class, the thread chooser, the warm-up) are left out of the hash, so
changing them costs no recompile.
"""

import hashlib
import os
import sys
from pathlib import Path

import numba

from .threads import configure_pool

NOT_KERNELS = {"__init__.py", "backend.py", "threads.py", "warmup.py", "work.py"}
# The instruction table the executor reads its op codes and field columns from.
SHARED = (Path(__file__).parent.parent / "opcodes.py",)


def _kernel_cache_dir() -> Path:
    digest = hashlib.sha256(f"{sys.version}|{numba.__version__}".encode())
    for source in [*sorted(Path(__file__).parent.glob("*.py")), *SHARED]:
        if source.name in NOT_KERNELS:
            continue
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    root = os.environ.get("VISNET_KERNEL_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "visnet"
    return Path(root) / f"kernels-{digest.hexdigest()[:16]}"


KERNEL_CACHE = _kernel_cache_dir()
numba.config.CACHE_DIR = str(KERNEL_CACHE)  # read when each kernel module below is imported
configure_pool()


def _load_numba_registries() -> None:
    """Numba imports part of its own library (datetime and math lowering) the first time a
    kernel is compiled or loaded from the cache. Done by a training thread while another thread
    imports, that can deadlock on Numba's compiler lock against Python's import locks (a UI
    test run hung so); done here, it happens once, in the thread that imports VisNet's CPU
    backend."""
    from numba.core.registry import cpu_target

    cpu_target.target_context.refresh()


_load_numba_registries()
