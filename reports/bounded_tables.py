"""Raw tables of a bundle or submission (CSV, Parquet) read within fixed bounds, with typed columns.

Bounds are checked before the data is decoded: a CSV's size and line count, a Parquet
file's size, row count, column types and uncompressed size from its footer (read with
small Thrift limits), then the rows themselves in batches, so a run-length-bombed file
stops at the declared count. Column values are checked for type (integers, finite
floats, booleans, text ≤ 1000 characters); an empty table or a missing column is a
:class:`Refusal` naming the file. Unknown columns are refused too: each fact exists once.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

from tinybench.reports.safe_json import Refusal, first_string_problem, read_regular

MAX_CSV_BYTES = 16 * 1024 * 1024
MAX_CSV_ROWS = 200_000
MAX_PARQUET_BYTES = 64 * 1024 * 1024
MAX_PARQUET_ROWS = 16_000_000  # 5 windows of 10 s at ≈ 3 µs per inference (a host ad01 run here: 5.0 M rows); ≈ 256 MB decoded
MAX_PARQUET_UNCOMPRESSED = 128 * 1024 * 1024
MAX_TEXT = 1000
BATCH = 65_536
THREADED_ROWS = 4 * BATCH  # Parquet files of more rows are decoded by pyarrow's thread pool
TRUE, FALSE = {"true", "1"}, {"false", "0"}


def _ints(name: str, column: str, values: list[str], optional: bool) -> np.ndarray:
    out = np.empty(len(values), dtype=np.float64 if optional else np.int64)
    for i, text in enumerate(values):
        text = text.strip()
        if optional and text == "":
            out[i] = math.nan
            continue
        try:
            if not (text.lstrip("-").isdigit() and len(text) <= 18):
                raise ValueError(text)
            out[i] = int(text)
        except ValueError:  # also what isdigit() lets through and int() refuses ('--5', '²'): once a traceback
            raise Refusal(f"{name}: row {i + 1}: column '{column}' must be an integer, got {text[:40]!r}") from None
    return out


def _floats(name: str, column: str, values: list[str], optional: bool) -> np.ndarray:
    out = np.empty(len(values), dtype=np.float64)
    for i, text in enumerate(values):
        text = text.strip()
        if optional and text == "":
            out[i] = math.nan
            continue
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or len(text) > 40:
            raise Refusal(f"{name}: row {i + 1}: column '{column}' must be a finite number, got {text[:40]!r}")
        out[i] = value
    return out


def _plain_rows(text: str, field_limit: int) -> list[list[str]] | None:
    """The non-empty rows csv.reader(strict=True) reads from `text`, when `text` holds none of what makes the
    csv module do more than split lines on "\\n" and cells on "," (a quote, a carriage return, a NUL) and no
    line reaches the module's field size limit (which it refuses); else None (csv.reader is used)."""
    if '"' in text or "\r" in text or "\0" in text:
        return None
    lines = text.split("\n")
    if max(map(len, lines)) > field_limit:
        return None
    return [line.split(",") for line in lines if line]


def _plain_ints(values: list[str], optional: bool) -> np.ndarray | None:
    """What _ints gives for a column of plain decimal digits (ASCII, at most 18 each, none empty or signed),
    without a Python loop; None for anything else (_ints then decides, refusals included)."""
    if optional or not values or max(map(len, values)) > 18 or min(map(len, values)) == 0:
        return None
    joined = "".join(values)
    if not (joined.isascii() and joined.isdigit()):
        return None
    return np.array(list(map(int, values)), dtype=np.int64)


def _plain_floats(values: list[str]) -> np.ndarray | None:
    """What _floats gives for a column whose every cell float() reads as a finite number within 40 characters
    (whitespace included), without a Python loop; None otherwise (_floats then decides: empty cells, refusals).
    float() strips the whitespace str.strip() strips, so each value is the one _floats would read."""
    if not values or max(map(len, values)) > 40:
        return None
    try:
        numbers = list(map(float, values))
    except ValueError:
        return None
    if not math.isfinite(sum(numbers)):  # a finite sum: every value finite (infinity and NaN carry through a sum)
        return None  # (or the sum overflowed: the loop decides)
    return np.array(numbers, dtype=np.float64)


def _bools(name: str, column: str, values: list[str]) -> np.ndarray:
    out = np.empty(len(values), dtype=bool)
    for i, text in enumerate(values):
        low = text.strip().lower()
        if low not in TRUE | FALSE:
            raise Refusal(f"{name}: row {i + 1}: column '{column}' must be True or False, got {text[:40]!r}")
        out[i] = low in TRUE
    return out


def _texts(name: str, column: str, values: list[str]) -> np.ndarray:
    """A text column: each cell at most MAX_TEXT characters, and text to show (no control character but tab,
    newline and carriage return, no bidirectional formatting character: a sample id reaches the run page), as
    untrusted JSON strings must be."""
    for i, text in enumerate(values):
        if len(text) > MAX_TEXT:
            raise Refusal(f"{name}: row {i + 1}: column '{column}' holds {len(text)} characters (limit {MAX_TEXT})")
    if found := first_string_problem(values):
        raise Refusal(f"{name}: row {found[0] + 1}: column '{column}': {found[1]}")
    return np.asarray(values, dtype=object)


def read_csv_bytes(path: Path, name: str) -> bytes:
    """What read_csv reads of a file: at most MAX_CSV_BYTES + 1 bytes of a regular file."""
    return read_regular(path, MAX_CSV_BYTES, name)


def read_csv(path: Path, name: str, columns: dict[str, str], optional: frozenset[str] = frozenset(),
             max_rows: int = MAX_CSV_ROWS, allow_empty: bool = False, data: bytes | None = None) -> dict[str, np.ndarray]:
    """Columns of a CSV as numpy arrays. `columns` maps name → int, int?, float, float?, bool, text
    (`?`: empty cells allowed, read as NaN); names in `optional` may be absent; `allow_empty`: a header
    without rows gives empty columns (else it is refused). `data`: the file as `read_csv_bytes` read it, when
    the caller has it already."""
    import csv

    if data is None:
        data = read_csv_bytes(path, name)
    if len(data) > MAX_CSV_BYTES:
        raise Refusal(f"{name}: larger than {MAX_CSV_BYTES} bytes")
    if data.count(b"\n") > max_rows + 1:
        raise Refusal(f"{name}: more than {max_rows} rows")
    try:
        text = data.decode("utf-8")
        rows = _plain_rows(text, csv.field_size_limit())
        if rows is None:
            rows = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if r]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise Refusal(f"{name}: not a readable UTF-8 CSV ({str(exc)[:200]})") from exc
    if not rows:
        raise Refusal(f"{name}: empty (no header)")
    header, body = rows[0], rows[1:]
    unknown = [c for c in header if c not in columns]
    missing = [c for c in columns if c not in header and c not in optional]
    if unknown or missing or len(set(header)) != len(header):
        raise Refusal(f"{name}: columns {header[:20]} — expected {sorted(columns)}"
                      + (f" (unknown: {unknown[:5]})" if unknown else "") + (f" (missing: {missing})" if missing else ""))
    if not body and not allow_empty:
        raise Refusal(f"{name}: a header and no rows")
    if any(len(r) != len(header) for r in body):
        bad = next(i for i, r in enumerate(body) if len(r) != len(header))
        raise Refusal(f"{name}: row {bad + 1} has {len(body[bad])} cells, the header {len(header)}")
    out = {}
    cells = [list(values) for values in zip(*body)] if body else [[] for _ in header]  # column by column
    for index, column in enumerate(header):
        values = cells[index]
        kind = columns[column]
        nullable = kind.endswith("?")
        base = kind.rstrip("?")
        if base == "int":
            out[column] = _plain_ints(values, nullable)
            if out[column] is None:
                out[column] = _ints(name, column, values, nullable)
        elif base == "float":
            out[column] = _plain_floats(values)
            if out[column] is None:
                out[column] = _floats(name, column, values, nullable)
        elif base == "bool":
            out[column] = _bools(name, column, values)
        else:
            out[column] = _texts(name, column, values)
    return out


def read_parquet(path: Path, name: str, columns: dict[str, str], max_rows: int = MAX_PARQUET_ROWS,
                 optional: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
    """Columns of a Parquet file (`columns`: name → int, float, float?, number (int or float, read as float),
    bool; `?`: NaN allowed), bounded by
    its footer first; names in `optional` may be absent."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = read_regular(path, MAX_PARQUET_BYTES, name)
    if len(data) > MAX_PARQUET_BYTES:
        raise Refusal(f"{name}: larger than {MAX_PARQUET_BYTES} bytes")
    try:
        # pre_buffer off: the bytes are in memory already; pre-buffering hands each read to pyarrow's I/O thread
        # pool (~15 µs of CPU and ~35 µs of waiting per file here), the values are the same
        parquet = pq.ParquetFile(pa.BufferReader(data), thrift_string_size_limit=1 << 20,
                                 thrift_container_size_limit=100_000, pre_buffer=False)
        meta = parquet.metadata
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise Refusal(f"{name}: not a readable Parquet file ({str(exc)[:200]})") from exc
    if meta.num_rows > max_rows or meta.num_rows < 0:
        raise Refusal(f"{name}: {meta.num_rows} rows (limit {max_rows})")
    if meta.num_rows == 0:
        raise Refusal(f"{name}: no rows")
    uncompressed = sum(meta.row_group(g).column(c).total_uncompressed_size
                       for g in range(meta.num_row_groups) for c in range(meta.num_columns))
    if uncompressed > MAX_PARQUET_UNCOMPRESSED:
        raise Refusal(f"{name}: {uncompressed} bytes uncompressed (limit {MAX_PARQUET_UNCOMPRESSED})")
    names = schema.names
    if set(names) - set(columns) or set(columns) - set(names) - optional or len(set(names)) != len(names):
        raise Refusal(f"{name}: columns {names[:20]} — expected {sorted(columns)}")
    nullable = {c for c, k in columns.items() if k.endswith("?")}
    columns = {c: k.rstrip("?") for c, k in columns.items() if c in names}
    checks = {"int": pa.types.is_integer, "float": pa.types.is_floating, "bool": pa.types.is_boolean,
              "number": lambda t: pa.types.is_integer(t) or pa.types.is_floating(t)}
    for column, kind in columns.items():
        if not checks[kind](schema.field(column).type):
            raise Refusal(f"{name}: column '{column}' is {schema.field(column).type}, expected {kind}")
    dtypes = {"int": np.int64, "float": np.float64, "number": np.float64, "bool": bool}
    out = {c: np.empty(meta.num_rows, dtype=dtypes[k]) for c, k in columns.items()}
    filled = 0
    threads = meta.num_rows > THREADED_ROWS  # a pool's hand-offs cost more than they save on a few thousand rows
    try:
        for batch in parquet.iter_batches(batch_size=BATCH, columns=list(columns), use_threads=threads):
            if filled + batch.num_rows > meta.num_rows:
                raise Refusal(f"{name}: more rows than its footer declares")
            for column in columns:
                array = batch.column(column)
                if array.null_count and column not in nullable:
                    raise Refusal(f"{name}: column '{column}' has missing values")
                out[column][filled:filled + batch.num_rows] = array.to_numpy(zero_copy_only=False)
            filled += batch.num_rows
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise Refusal(f"{name}: cannot be decoded ({str(exc)[:200]})") from exc
    if filled != meta.num_rows:
        raise Refusal(f"{name}: {filled} rows decoded, {meta.num_rows} declared")
    for column, kind in columns.items():
        if kind in ("float", "number") and not np.all(np.isfinite(out[column]) | (column in nullable) & np.isnan(out[column])):
            raise Refusal(f"{name}: column '{column}' holds NaN or infinity")
    return out
