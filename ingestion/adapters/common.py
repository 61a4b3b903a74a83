"""What every adapter needs: read an export as text whatever its encoding, undo
the usual spreadsheet round-trip damage, and write contract files into the landing
folder. Adapters never edit their source; they only read it."""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ingestion.contract import ENTITY_BY_NAME

# tried in order; cp1252 is what Excel on Windows writes, latin-1 accepts any byte
ENCODINGS = ("utf-8", "cp1252", "latin-1")
ISO_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"


@dataclass
class ImportReport:
    """What an import wrote and which quirks of the export it handled (counts)."""

    adapter: str
    source: Path
    rows: dict[str, int] = field(default_factory=dict)
    quirks: dict[str, int | str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def note_currency(self, currency: str) -> None:
        self.notes.append(
            f"amounts are in {currency}: set TC_REPORTING_CURRENCY={currency} or land "
            "reference/fx_rates for the reporting currency"
        )

    def lines(self) -> list[str]:
        out = [f"{self.adapter}: {self.source}"]
        out += [f"  {entity}: {n:,} rows" for entity, n in self.rows.items()]
        out += [f"  quirk handled: {name} = {value}" for name, value in self.quirks.items()]
        out += [f"  note: {note}" for note in self.notes]
        return out


def read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def decode(raw: bytes) -> tuple[str, str]:
    """Text and the encoding that decoded it; a UTF-8 byte-order mark is dropped."""
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding).removeprefix("\ufeff"), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any byte")  # pragma: no cover


def read_export_csv(
    path: Path, report: ImportReport, separator: str = ",", null_values: list[str] | None = None
) -> pl.DataFrame:
    """Every column as text (ids must not become numbers), the encoding recorded,
    and a pandas/R row-index column (blank header, values 0..n-1 or 1..n) dropped."""
    text, encoding = decode(read_bytes(path))
    if encoding != "utf-8":
        report.quirks[f"{path.name}: encoding"] = encoding
    frame = pl.read_csv(
        text.encode("utf-8"),
        separator=separator,
        infer_schema=False,
        null_values=null_values or [""],
    )
    index_columns = [c for c in frame.columns if c == "" or c.startswith("_duplicated_")]
    for name in index_columns:
        values = frame[name].cast(pl.Int64, strict=False)
        if values.null_count() == 0 and values.diff().drop_nulls().eq(1).all():
            frame = frame.drop(name)
            report.quirks[f"{path.name}: unnamed index column dropped"] = 1
    return frame


def id_text(name: str) -> pl.Expr:
    """Ids a spreadsheet wrote as floats (`3.0`) back to their text (`3`)."""
    c = pl.col(name).str.strip_chars()
    return pl.when(c.str.contains(r"^-?\d+\.0+$")).then(c.str.replace(r"\.0+$", "")).otherwise(c)


def count_float_ids(frame: pl.DataFrame, name: str) -> int:
    return int(frame[name].str.contains(r"^-?\d+\.0+$").sum() or 0)


# day-first before month-first: the re-saves we meet come from European locales
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y")
TIME_SUFFIXES = ("", " %H:%M:%S", " %H:%M", "T%H:%M:%S")


def detect_datetime_format(values: pl.Series) -> str:
    """The first date(-time) format that parses every non-empty value; raises when
    none does, so an unknown layout stops the import instead of inventing dates."""
    present = values.drop_nulls().str.strip_chars()
    present = present.filter(present != "")
    for date_format in DATE_FORMATS:
        for suffix in TIME_SUFFIXES:
            fmt = date_format + suffix
            parsed = present.str.strptime(pl.Datetime, fmt, strict=False, exact=True)
            if parsed.null_count() == 0:
                return fmt
    sample = present.head(3).to_list()
    raise ValueError(f"{values.name}: no known date layout fits every value, e.g. {sample}")


def to_utc_text(frame: pl.DataFrame, name: str, source_time_zone: str, report: ImportReport):
    """Local times in the export's zone as ISO-8601 UTC text; the layout is detected."""
    fmt = detect_datetime_format(frame[name])
    if not fmt.startswith("%Y-%m-%d"):
        report.quirks[f"{name}: date layout"] = fmt
    parsed = pl.col(name).str.strip_chars().str.strptime(pl.Datetime("us"), fmt, strict=False)
    # a bare date has no time of day to shift (and local midnight may not exist on
    # a daylight-saving day): it is kept as that day, 00:00 UTC
    if source_time_zone != "UTC" and "%H" in fmt:
        parsed = parsed.dt.replace_time_zone(
            source_time_zone, ambiguous="earliest", non_existent="null"
        ).dt.convert_time_zone("UTC")
    return parsed.dt.strftime(ISO_TIMESTAMP)


def write_entity(
    frame: pl.DataFrame, landing_dir: Path, entity: str, file_stem: str, report: ImportReport
) -> Path:
    """One CSV per entity and import, named after the adapter and its source, so a
    re-import of the same export writes identical bytes (loaded once, by hash)."""
    contract = ENTITY_BY_NAME[entity]
    missing = [c.name for c in contract.columns if not c.nullable and c.name not in frame.columns]
    if missing:
        raise ValueError(f"{report.adapter}: {entity} lacks required columns {missing}")
    folder = landing_dir / contract.source / contract.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{report.adapter}__{file_stem}.csv"
    tmp = folder / f".{path.name}.tmp"  # dot-files are skipped by the loader
    frame.write_csv(tmp)
    if path.exists() and path.read_bytes() == tmp.read_bytes():
        tmp.unlink()  # same export imported again: keep the file and its time as they were
    else:
        tmp.replace(path)
    report.rows[entity] = frame.height
    report.files.append(path)
    return path


def find_file(source: Path, pattern: str) -> Path:
    """The export file itself, or the one file in a folder matching the pattern."""
    if source.is_file():
        return source
    matches = sorted(source.glob(pattern))
    if not matches:
        raise FileNotFoundError(f"no file matching {pattern!r} in {source}")
    return matches[0]
