"""``csv:FILE``: a CSV file with a header row, its label column by name or the last."""

from __future__ import annotations

import csv
import itertools
import math
from array import array
from pathlib import Path

import numpy as np

from .dataset import CLASSES, REGRESSION, TASKS, DataError, Loaded
from .paths import file_of, plural, shown_path
from .spec import Options, Spec


CSV_LIMIT = 2**30          # bytes of one CSV file
CSV_GUESS_CLASSES = 50     # whole-number labels with at most this many values are classes



def _delimiter(spec: Spec, opts: Options) -> str | None:
    raw = opts.str("delimiter", None)
    if raw is None:
        return None
    words = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "space": " "}
    value = words.get(raw.lower(), raw)
    if len(value) != 1 or value in "\r\n\"":
        raise DataError(f"dataset {spec.text!r}: option delimiter={raw!r} must be one "
                        f"character (or tab, comma, semicolon, space)")
    return value


def _guess_delimiter(header_line: str) -> str:
    """Comma, unless the header has none but has semicolons or tabs."""
    if "," in header_line:
        return ","
    semicolons, tabs = header_line.count(";"), header_line.count("\t")
    if semicolons or tabs:
        return ";" if semicolons >= tabs else "\t"
    return ","


def _is_blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


def _to_float(text: str) -> float | None:
    """The finite number a cell holds, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _number_name(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _first_non_utf8_line(path: Path) -> int:
    """The 1-based number of the first line that is not UTF-8 (0 when none is found)."""
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


class _CsvTable:
    """One pass over a CSV file: numeric features, label strings, and each row's line number."""

    def __init__(self, path: Path, shown: str, delimiter: str | None, label: str | None):
        self.shown = shown
        self.features = array("d")
        self.labels: list[str] = []
        self.lines = array("q")
        self._line = 0
        try:
            with open(path, encoding="utf-8-sig", newline="") as f:
                self._read(f, delimiter, label)
        except UnicodeDecodeError:
            raise DataError(f"{shown}: line {_first_non_utf8_line(path)} is not UTF-8 text; "
                            f"save the file as UTF-8 CSV") from None
        except csv.Error as e:
            raise DataError(f"{shown}: line {self._line}: {e}") from None
        except OSError as e:
            raise DataError(f"{shown}: cannot be read ({e.strerror or e})") from None

    def _read(self, f, delimiter: str | None, label: str | None) -> None:
        skipped = 0
        first = ""
        for first in f:  # blank lines before the header are skipped
            if first.strip():
                break
            skipped += 1
            first = ""
        if not first:
            raise DataError(f"{self.shown}: is empty; a CSV file needs a header row and rows "
                            f"of data")
        reader = csv.reader(itertools.chain([first], f),
                            delimiter=delimiter or _guess_delimiter(first))
        header = next(reader)
        self._line = skipped + reader.line_num
        self.columns = [name.strip() or f"column {i + 1}" for i, name in enumerate(header)]
        if len(self.columns) < 2:
            raise DataError(f"{self.shown}: has only one column ({self.columns[0]!r}); it needs "
                            f"at least one feature column besides the label")
        self.label_index = self._label_index(label)
        self.feature_columns = [i for i in range(len(self.columns)) if i != self.label_index]
        width = len(self.columns)
        for row in reader:
            self._line = skipped + reader.line_num
            if _is_blank(row):
                continue
            if len(row) != width:
                raise DataError(f"{self.shown}: line {self._line} has {len(row)} values but the "
                                f"header has {width} columns")
            for j in self.feature_columns:
                self.features.append(self._feature(row[j], j))
            cell = row[self.label_index].strip()
            if not cell:
                raise DataError(f"{self.shown}: line {self._line}, column "
                                f"{self.columns[self.label_index]!r} is empty")
            self.labels.append(cell)
            self.lines.append(self._line)
        if not self.labels:
            raise DataError(f"{self.shown}: holds a header row but no rows of data")

    def _label_index(self, label: str | None) -> int:
        """The label column: by name (exact, else ignoring case), or the last."""
        if label is None:
            return len(self.columns) - 1
        hits = [i for i, name in enumerate(self.columns) if name == label]
        if not hits:
            hits = [i for i, name in enumerate(self.columns) if name.lower() == label.lower()]
        if len(hits) > 1:
            raise DataError(f"{self.shown}: has {len(hits)} columns named {label!r}; rename "
                            f"them so that the label column is unique")
        if not hits:
            listed = ", ".join(repr(c) for c in self.columns)
            raise DataError(f"{self.shown}: has no column {label!r}; its columns are {listed}")
        return hits[0]

    def _feature(self, cell: str, j: int) -> float:
        text = cell.strip()
        where = f"{self.shown}: line {self._line}, column {self.columns[j]!r}"
        if not text:
            raise DataError(f"{where} is empty")
        try:
            value = float(text)
        except ValueError:
            raise DataError(f"{where}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise DataError(f"{where}: {text!r} is not a finite number")
        return value

    def x(self) -> np.ndarray:
        x64 = np.frombuffer(self.features, np.float64).reshape(len(self.labels), -1)
        with np.errstate(over="ignore"):
            x = x64.astype(np.float32)
        bad = np.argwhere(~np.isfinite(x))
        if len(bad):
            i, j = (int(v) for v in bad[0])
            column = self.columns[self.feature_columns[j]]
            raise DataError(f"{self.shown}: line {self.lines[i]}, column {column!r}: "
                            f"{float(x64[i, j])!r} is too large for 32-bit floats")
        return x


def load_csv(spec: Spec, opts: Options) -> Loaded:
    """``csv:FILE``: a header row, numeric feature columns and one label column (option
    ``label=NAME``, else the last). Option ``task=classes|regression`` (default: classes when
    the labels hold text, or at most 50 distinct whole numbers) and ``delimiter`` (default: a
    comma, or a semicolon or tab when the header has no comma)."""
    shown = shown_path(spec)
    label = opts.str("label", None)
    task = opts.str("task", None, TASKS)
    delimiter = _delimiter(spec, opts)
    path = file_of(spec, shown, "a CSV file with a header row")
    try:
        size = path.stat().st_size
    except OSError as e:
        raise DataError(f"{shown}: cannot be read ({e.strerror or e})") from None
    if size > CSV_LIMIT:
        raise DataError(f"{shown}: is {size / 2**30:.1f} GiB; VisNet reads CSV files up to "
                        f"1 GiB (save larger data as a NumPy .npz file)")
    table = _CsvTable(path, shown, delimiter, label)
    x = table.x()
    label_name = table.columns[table.label_index]
    numbers = [_to_float(s) for s in table.labels]
    numeric = all(v is not None for v in numbers)
    if task is None:
        whole = numeric and all(v.is_integer() for v in numbers)
        task = CLASSES if not numeric or (whole and len(set(numbers)) <= CSV_GUESS_CLASSES) \
            else REGRESSION
    if task == REGRESSION:
        if not numeric:
            i = next(i for i, v in enumerate(numbers) if v is None)
            raise DataError(f"{shown}: line {table.lines[i]}, column {label_name!r}: "
                            f"{table.labels[i]!r} is not a number, so it cannot be a "
                            f"regression target; use task=classes")
        y = np.asarray(numbers, np.float32).reshape(-1, 1)
        names: tuple[str, ...] = ()
        what = f"regression on {label_name!r}"
    else:
        if numeric:
            values = sorted(set(numbers))
            index = {v: i for i, v in enumerate(values)}
            y = np.fromiter((index[v] for v in numbers), np.int64, len(numbers))
            names = tuple(_number_name(v) for v in values)
        else:
            names = tuple(sorted(set(table.labels)))
            index = {s: i for i, s in enumerate(names)}
            y = np.fromiter((index[s] for s in table.labels), np.int64, len(table.labels))
        what = f"{plural(len(names), 'class', 'classes')} in {label_name!r}"
    return Loaded(x, y, task, names, normalization="standard",
                  description=f"CSV file {shown}: {plural(len(x), 'row')} of "
                              f"{plural(x.shape[1], 'feature')}, {what}")
