"""Type and check rows against the landing contract, in polars, column by column.

Types come from the contract, never from the data. A row that breaks the
contract is split off with every reason it broke it; the good rows come back
typed (timestamps as naive UTC microseconds, which DuckDB and Spark both read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

from ingestion.contract import Column, Entity
from ingestion.readers import LINE_NO, RAW

TS_TYPE = pl.Datetime("us")
POLARS_TYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "ts": TS_TYPE,
    "date": pl.Date(),
}
TRUE_TEXTS = ("true", "1", "t", "yes")  # a bool's texts, compared in lower case
FALSE_TEXTS = ("false", "0", "f", "no")
# an offset only counts after a time of day, so the "-01" of a bare date is not one
_TIME_THEN_OFFSET = r"(\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)$"


DUPLICATE_KEY = "duplicate key within file"


class MissingColumnsError(Exception):
    """Required columns are absent from a file; the file is quarantined whole."""


class ColumnTypeError(MissingColumnsError):
    """A contract column comes (in Parquet) with a type that cannot be read as the
    contract's; the file is quarantined whole."""


@dataclass(frozen=True)
class DateWindow:
    """Plausible dates (settings TC_PLAUSIBLE_DATE_MIN, ..._MAX_DAYS_AHEAD): a date or
    timestamp outside [first, last] is a typo (2062, 0001), quarantined with its row."""

    first: date
    last: date


def _type_fits(contract_type: str, dtype: pl.DataType) -> bool:
    """Whether a typed (Parquet) column can be read as the contract's type."""
    if dtype in (pl.String, pl.Null):
        return True
    if contract_type == "str":
        return not dtype.is_nested()
    if contract_type in ("int", "float"):
        return dtype.is_numeric()
    if contract_type == "bool":
        return dtype == pl.Boolean or dtype.is_integer()
    return isinstance(dtype, pl.Datetime) or dtype == pl.Date  # ts, date


@dataclass
class Validated:
    good: pl.DataFrame  # contract columns typed, then extra columns as strings, then LINE_NO
    bad: pl.DataFrame  # LINE_NO, RAW, reason


def _parse_ts(expr: pl.Expr) -> pl.Expr:
    """ISO-8601 text to naive UTC. With an offset it is applied; without, UTC is assumed."""
    s = expr.str.strip_chars().str.replace("T", " ", literal=True)
    offset = s.str.extract(_TIME_THEN_OFFSET, 2)
    local = s.str.replace(_TIME_THEN_OFFSET, "${1}").str.strip_chars()
    parsed = pl.coalesce(
        local.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"),
        local.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us"),
        local.str.to_date("%Y-%m-%d", strict=False).cast(TS_TYPE),
    )
    sign = pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
    digits = offset.str.replace_all(r"[^0-9]", "")
    hours = digits.str.slice(0, 2).cast(pl.Int64, strict=False).fill_null(0)
    minutes = digits.str.slice(2, 2).cast(pl.Int64, strict=False).fill_null(0)
    shift = pl.duration(minutes=(hours * 60 + minutes) * sign)
    return pl.when(offset.is_null() | (offset == "Z")).then(parsed).otherwise(parsed - shift)


def _parse_ts_common(expr: pl.Expr) -> pl.Expr:
    """The same result as `_parse_ts` for the common layout (date and time with
    seconds, then no offset, `Z` or `±hh:mm`), without regular expressions; null for
    anything else."""
    s = expr.str.strip_chars().str.replace("T", " ", literal=True)
    after_time = s.str.slice(13, 1) == ":"  # YYYY-MM-DD hh:mm…
    is_zulu = after_time & s.str.ends_with("Z")
    tail = s.str.slice(-6)
    hours = tail.str.slice(1, 2).cast(pl.Int64, strict=False)
    minutes = tail.str.slice(4, 2).cast(pl.Int64, strict=False)
    has_offset = (
        after_time
        & (s.str.len_chars() >= 22)
        & tail.str.slice(0, 1).is_in(["+", "-"])
        & (tail.str.slice(3, 1) == ":")
        & hours.is_not_null()
        & minutes.is_not_null()
    )
    local = (
        pl.when(is_zulu)
        .then(s.str.head(-1))
        .when(has_offset)
        .then(s.str.head(-6))
        .otherwise(s)
        .str.strip_chars()
    )
    # one layout only: a value in any other one sends the column to the full parser
    parsed = local.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
    sign = pl.when(tail.str.starts_with("-")).then(-1).otherwise(1)
    shift = pl.duration(minutes=(hours * 60 + minutes) * sign)
    return pl.when(has_offset).then(parsed - shift).otherwise(parsed)


def _parse(col: Column, dtype: pl.DataType, common_ts: bool = False) -> pl.Expr:
    """Expression turning the column as read into the contract type (null when it cannot).
    `common_ts`: timestamps by the fast path, which knows the common layouts only."""
    e = pl.col(col.name)
    target = POLARS_TYPES[col.type]
    if dtype == pl.String:
        text = e.str.strip_chars()
        text = pl.when(text == "").then(None).otherwise(text)
        if col.type == "str":
            return pl.when(e.str.strip_chars() == "").then(None).otherwise(e)
        if col.type == "int":
            return text.cast(pl.Int64, strict=False)
        if col.type == "float":
            f = text.cast(pl.Float64, strict=False)
            return pl.when(f.is_finite()).then(f)
        if col.type == "bool":
            low = text.str.to_lowercase()
            return (
                pl.when(low.is_in(TRUE_TEXTS)).then(True).when(low.is_in(FALSE_TEXTS)).then(False)
            )
        if col.type == "ts":
            return _parse_ts_common(text) if common_ts else _parse_ts(text)
        if col.type == "date":
            return text.str.to_date("%Y-%m-%d", strict=False)
    if col.type == "ts":
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone is not None:
                e = e.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            return e.dt.cast_time_unit("us")
        if dtype == pl.Date:
            return e.cast(TS_TYPE)
    if col.type == "date" and isinstance(dtype, pl.Datetime):
        return e.dt.date()
    if col.type == "float":
        f = e.cast(pl.Float64, strict=False)
        return pl.when(f.is_finite()).then(f)
    if col.type == "int" and (dtype.is_float() or dtype.is_decimal()):
        # 3.0 is an int; 3.5 is not
        f = e.cast(pl.Float64)
        return pl.when(f == f.round(0)).then(f.cast(pl.Int64, strict=False))
    return e.cast(target, strict=False)


def _normalise_case(col: Column, expr: pl.Expr) -> pl.Expr:
    if col.lower_case:
        return expr.str.to_lowercase()
    if col.upper_case:
        return expr.str.to_uppercase()
    return expr


def _outside_window(col: Column, parsed: pl.Expr, window: DateWindow) -> pl.Expr:
    """The reason a date or timestamp is not plausible (null when it is)."""
    first: date | datetime = window.first
    after_last: date | datetime = window.last + timedelta(days=1)
    if col.type == "ts":
        first = datetime.combine(window.first, datetime.min.time())
        after_last = datetime.combine(after_last, datetime.min.time())
    if col.planned:
        return pl.when(parsed < pl.lit(first)).then(
            pl.lit(f"{col.name}: before the plausible dates (from {window.first})")
        )
    return pl.when((parsed < pl.lit(first)) | (parsed >= pl.lit(after_last))).then(
        pl.lit(f"{col.name}: outside the plausible dates {window.first} to {window.last}")
    )


def _problems(
    col: Column, raw: pl.Expr, parsed: pl.Expr, window: DateWindow | None = None
) -> list[pl.Expr]:
    """Reason strings (or null) for one column."""
    name = col.name
    out: list[pl.Expr] = []
    if window is not None and col.type in ("ts", "date"):
        out.append(_outside_window(col, parsed, window))
    present = raw.is_not_null()
    if col.type != "str":
        out.append(
            pl.when(present & parsed.is_null()).then(pl.lit(f"{name}: not a valid {col.type}"))
        )
    if not col.nullable:
        what = "missing key" if col.key else "missing value"
        out.append(pl.when(parsed.is_null() & ~present).then(pl.lit(f"{name}: {what}")))
    if col.allowed is not None:
        out.append(
            pl.when(parsed.is_not_null() & ~parsed.is_in(col.allowed)).then(
                pl.lit(f"{name}: unknown value (allowed: {', '.join(col.allowed)})")
            )
        )
    if col.minimum is not None:
        too_low = parsed <= col.minimum if col.exclusive_minimum else parsed < col.minimum
        sign = ">" if col.exclusive_minimum else ">="
        out.append(
            pl.when(parsed.is_not_null() & too_low).then(
                pl.lit(f"{name}: must be {sign} {col.minimum:g}")
            )
        )
    if col.maximum is not None:
        out.append(
            pl.when(parsed.is_not_null() & (parsed > col.maximum)).then(
                pl.lit(f"{name}: must be <= {col.maximum:g}")
            )
        )
    if col.pattern is not None:
        out.append(
            pl.when(parsed.is_not_null() & ~parsed.str.contains(col.pattern)).then(
                pl.lit(f"{name}: malformed")
            )
        )
    return out


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    """Extra (unknown) columns are kept as text so files with different types still stack."""
    if dtype.is_nested():
        return pl.struct(pl.col(name)).struct.json_encode().alias(name)
    return pl.col(name).cast(pl.String).alias(name)


def check_columns(entity: Entity, schema: dict[str, pl.DataType]) -> None:
    """Raise when a file's columns (name -> type as read) cannot hold the contract: a
    required column absent, or a contract column of a type it cannot be read as."""
    missing = [c.name for c in entity.columns if not c.nullable and c.name not in schema]
    if missing:
        raise MissingColumnsError(f"missing required column(s): {', '.join(missing)}")
    misfits = [
        f"{c.name} ({schema[c.name]}, the contract reads {c.type})"
        for c in entity.columns
        if c.name in schema and not _type_fits(c.type, schema[c.name])
    ]
    if misfits:
        raise ColumnTypeError(f"column type(s) the contract cannot read: {', '.join(misfits)}")


def parsed_column(name: str) -> str:
    """The name `judge` gives a contract column's value parsed into its type."""
    return f"__parsed__{name}"


REASON = "__reason"  # a row's reasons while judged (a file may have a column "reason")


@dataclass
class Judged:
    """Rows as read, beside every contract column parsed (`parsed_column`) and the
    reasons each row breaks the contract (REASON, null when none), all but a key
    duplicated within the file: the rules that need the row alone."""

    frame: pl.DataFrame
    read_columns: list[str]  # as read (absent contract columns added, null)
    extra: dict[str, pl.DataType]  # columns the contract does not know, as read

    def raw_content(self) -> pl.Expr:
        """The row as read: the reader's text where it kept it, else its values as JSON."""
        if RAW in self.read_columns:
            return pl.col(RAW)
        values = pl.struct(pl.col(c) for c in self.read_columns if c != LINE_NO)
        return values.struct.json_encode()


def judge(entity: Entity, frame: pl.DataFrame, window: DateWindow | None = None) -> Judged:
    """Parse every contract column of `frame` (as read) and give each row the reasons
    it breaks the contract, except a key duplicated within the file (that needs the
    whole file: `validate` adds it)."""
    check_columns(entity, dict(frame.schema))
    present = set(frame.columns)
    # absent nullable columns are all null
    frame = frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(c.name) for c in entity.columns if c.name not in present
    )
    schema = frame.schema
    # every column parsed once, beside the values as read (the problems need both)
    parsed_name = {c.name: parsed_column(c.name) for c in entity.columns}
    frame = frame.with_columns(
        _normalise_case(c, _parse(c, schema[c.name], common_ts=True)).alias(parsed_name[c.name])
        for c in entity.columns
    )
    # a text timestamp the fast path could not read: the whole column by the full parser
    slow = [
        c
        for c in entity.columns
        if c.type == "ts"
        and schema[c.name] == pl.String
        and frame.select(
            ((pl.col(c.name).str.strip_chars() != "") & pl.col(parsed_name[c.name]).is_null()).any()
        ).item()
    ]
    if slow:
        frame = frame.with_columns(
            _parse(c, schema[c.name]).alias(parsed_name[c.name]) for c in slow
        )
    problem_exprs: list[pl.Expr] = []
    for c in entity.columns:
        raw = pl.col(c.name)
        if schema[c.name] == pl.String:
            raw = pl.when(raw.str.strip_chars() == "").then(None).otherwise(raw)
        problem_exprs.extend(_problems(c, raw, pl.col(parsed_name[c.name]), window))
    if entity.one_of:
        problem_exprs.append(
            pl.when(
                pl.all_horizontal(pl.col(parsed_name[n]).is_null() for n in entity.one_of)
            ).then(pl.lit(f"one of {', '.join(entity.one_of)} is required"))
        )
    extra = {
        name: dtype
        for name, dtype in schema.items()
        if name not in entity.column_names and name not in (LINE_NO, RAW)
    }
    return Judged(frame.with_columns(_joined(problem_exprs)), list(schema), extra)


def _joined(reasons: list[pl.Expr]) -> pl.Expr:
    """The reasons that apply, joined by "; " (null when none does)."""
    reason = pl.concat_str(reasons, separator="; ", ignore_nulls=True)
    return pl.when(reason == "").then(None).otherwise(reason).alias(REASON)


def typed_columns(entity: Entity, judged: Judged) -> list[pl.Expr]:
    """A good row's columns: the contract's, typed, then the extra ones as text."""
    return [
        *[
            pl.col(parsed_column(c.name)).cast(POLARS_TYPES[c.type]).alias(c.name)
            for c in entity.columns
        ],
        *[_as_text(name, dtype) for name, dtype in judged.extra.items()],
    ]


def validate(entity: Entity, frame: pl.DataFrame, window: DateWindow | None = None) -> Validated:
    """Split `frame` (as read) into typed good rows and quarantined bad rows; with a
    `window`, dates outside it are quarantined too."""
    judged = judge(entity, frame, window)
    # Keys duplicated within this one file: the first occurrence is kept.
    key = pl.struct(pl.col(parsed_column(k)) for k in entity.keys)
    dup = key.is_duplicated() & ~key.is_first_distinct()
    reason = _joined([pl.col(REASON), pl.when(dup).then(pl.lit(DUPLICATE_KEY))])
    checked = judged.frame.with_columns(reason)
    # the raw content is only kept for quarantined rows: encode it for those alone
    bad = checked.filter(pl.col(REASON).is_not_null()).select(
        pl.col(LINE_NO).cast(pl.Int64),
        judged.raw_content().cast(pl.String).alias(RAW),
        pl.col(REASON).alias("reason"),
    )
    good = checked.filter(pl.col(REASON).is_null()).select(
        *typed_columns(entity, judged), pl.col(LINE_NO).cast(pl.Int64)
    )
    return Validated(good, bad)
