"""Preflight: the settings and the landing folder checked in seconds, before a run
does any heavy work (`trustcap run`, `trustcap preflight`, the Dagster sensor and
schedule). Reads only; changes nothing.

Each problem is one line that says what is wrong and what to do; a run with a
problem does not start. Notes say what was found. What it checks:

- the landing folder exists and holds files in `<source>/<entity>/`, per entity;
  data files elsewhere would never load (a misspelt folder), so they are problems;
  nothing to load at all (no landing file, nothing loaded before) is a problem
  unless `allow_empty`;
- the reporting currency fits the exchange rates: `reference/fx_rates` quotes
  rates *to* the reporting currency, so the reporting currency itself must not be
  quoted (unless at 1), and money in a currency without rates must be in the
  reporting currency. A few rows in a currency without rates, beside money in
  the reporting currency, are a note: ingestion and dbt deal with such rows;
- the warehouse folder and DAGSTER_HOME can be written;
- no other run holds the warehouse, and no other process has warehouse.duckdb
  open for writing (Dagster's own runs are checked in orchestration/defs/automation/run_guard.py).
"""

from __future__ import annotations

import difflib
import gzip
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from core.run_lock import duckdb_writer, warehouse_holder
from core.settings import Settings
from ingestion.contract import ENTITIES, split_extension
from ingestion.load import (
    StoragePaths,
    loaded_row_counts,
    pending_files,
    scan_landing,
    unknown_landing_files,
)

# where money is, and where its exchange rates are
AMOUNT_ENTITIES = ("sales/orders", "costs/community_costs")
FX_ENTITY = "reference/fx_rates"
_SHOWN = 5  # names listed in one line before "…"


@dataclass
class Preflight:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f", … ({len(items)} in all)" if len(items) > _SHOWN else "")


def _storage(settings: Settings) -> StoragePaths:
    return StoragePaths(settings.raw_dir, settings.quarantine_dir, settings.ingest_log_dir)


# --- the landing folder ---------------------------------------------------------


def _unexpected(settings: Settings, report: Preflight) -> None:
    landing = settings.landing_dir
    known = {e.qualified for e in ENTITIES}
    data, other = [], []
    for path in unknown_landing_files(landing):
        rel = path.relative_to(landing).as_posix()
        if split_extension(path.name) is None:
            other.append(rel)
            continue
        folder = "/".join(rel.split("/")[:2])
        guess = difflib.get_close_matches(folder, sorted(known), n=1, cutoff=0.6)
        data.append(rel + (f" (did you mean {guess[0]}/?)" if guess and "/" in folder else ""))
    if data:
        report.problems.append(
            f"{len(data)} data file(s) in {landing} lie outside <source>/<entity>/ and would "
            f"never load: {_listing(data)}; move them into an entity folder of the landing "
            "contract (docs/reference/landing.md) or out of the landing folder"
        )
    if other:
        report.notes.append(f"ignored, not data files of the contract: {_listing(other)}")


def _landing(settings: Settings, allow_empty: bool, report: Preflight) -> None:
    landing = settings.landing_dir
    if not landing.is_dir():
        report.problems.append(
            f"the landing folder {landing} does not exist: run `trustcap demo`, "
            "`trustcap import`, or set TC_LANDING_DIR"
        )
        return
    counts = {
        e.qualified: sum(f.refused is None for f in scan_landing(landing, e)) for e in ENTITIES
    }
    found = {k: n for k, n in counts.items() if n}
    _unexpected(settings, report)
    if found:
        pending = len(pending_files(landing, _storage(settings)))
        report.notes.append(
            f"landing {landing}: {sum(found.values())} file(s) in {len(found)} of "
            f"{len(ENTITIES)} entities ("
            + ", ".join(f"{k} {n}" for k, n in found.items())
            + f"); {pending} new since the last run"
        )
        return
    loaded = sum(loaded_row_counts(_storage(settings)).values())
    if loaded:
        report.notes.append(
            f"landing {landing} holds no files; the run works on the {loaded:,} rows loaded before"
        )
    elif allow_empty:
        report.notes.append(f"landing {landing} holds no files (--allow-empty): marts are empty")
    else:
        report.problems.append(
            f"the landing folder {landing} holds no files in <source>/<entity>/ and nothing "
            "was loaded before: drop files as in docs/reference/landing.md (or run "
            "`trustcap demo`), or pass --allow-empty to publish empty marts"
        )


# --- money and exchange rates ---------------------------------------------------


def _read_columns(path: Path, columns: list[str]) -> pl.DataFrame | None:
    """The named columns of one landing file, as text; None when the file cannot be
    read (ingestion quarantines it with its reason). Read from the open file, so a
    name is never taken for a pattern."""
    split = split_extension(path.name)
    if split is None:
        return None
    ext = split[1]
    try:
        opener = gzip.open if ext.endswith(".gz") else open
        with opener(path, "rb") as fh:
            data = io.BytesIO(fh.read())
        if ext.startswith("csv"):
            frame = pl.read_csv(
                data,
                columns=columns,
                infer_schema=False,
                ignore_errors=True,
                truncate_ragged_lines=True,
            )
        elif ext.startswith("jsonl"):
            # one record a line; a broken line gives nulls instead of failing the file
            lines = pl.read_csv(
                data,
                has_header=False,
                separator="\x1e",
                quote_char=None,
                new_columns=["line"],
                infer_schema=False,
            )
            frame = lines.select(
                pl.col("line").str.json_path_match(f"$.{c}").alias(c) for c in columns
            )
        else:
            frame = pl.read_parquet(data, columns=columns)
        return frame.select(pl.col(c).cast(pl.String) for c in columns)
    except Exception:  # any file it cannot read is ingestion's to quarantine
        return None


def _frames(settings: Settings, qualified: str, columns: list[str]) -> pl.DataFrame:
    """The columns of one entity over what was loaded (raw/) and the landing files
    not loaded yet."""
    entity = next(e for e in ENTITIES if e.qualified == qualified)
    paths = _storage(settings)
    pending = set(pending_files(settings.landing_dir, paths))
    frames = []
    for found in scan_landing(settings.landing_dir, entity):
        if found.refused is None and found.path.as_posix() in pending:
            frame = _read_columns(found.path, columns)
            if frame is not None:
                frames.append(frame)
    raw = sorted(paths.raw(entity).glob("*.parquet")) if paths.raw(entity).is_dir() else []
    if raw:
        frames.append(
            pl.scan_parquet(raw, glob=False, missing_columns="insert", extra_columns="ignore")
            .select(pl.col(c).cast(pl.String) for c in columns)
            .collect()
        )
    if not frames:
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    return pl.concat(frames)


def _currency(col: str = "currency") -> pl.Expr:
    return pl.col(col).str.strip_chars().str.to_uppercase()


def _currencies(settings: Settings, report: Preflight) -> None:
    reporting = settings.reporting_currency
    money = pl.concat(
        [
            _frames(settings, q, ["currency"]).select(_currency(), entity=pl.lit(q))
            for q in AMOUNT_ENTITIES
        ]
    ).filter(pl.col("currency").str.contains(r"^[A-Z]{3}$"))
    if money.height == 0:
        return
    fx = _frames(settings, FX_ENTITY, ["currency", "rate_to_reporting"]).select(
        _currency(), pl.col("rate_to_reporting").cast(pl.Float64, strict=False)
    )
    rated = set(fx["currency"].drop_nulls().to_list())
    in_use = money.group_by("currency").len().sort("len", descending=True)
    uses = dict(zip(in_use["currency"].to_list(), in_use["len"].to_list(), strict=True))
    own_rates = fx.filter((pl.col("currency") == reporting) & (pl.col("rate_to_reporting") != 1))
    without = {c: n for c, n in uses.items() if c != reporting and c not in rated}
    where = (
        money.filter(pl.col("currency").is_in(list(without)))
        .group_by("entity", "currency")
        .len()
        .sort("entity", "currency")
    )
    described = ", ".join(f"{e}: {n:,} rows in {c}" for e, c, n in where.iter_rows())
    if own_rates.height:
        report.problems.append(
            f"TC_REPORTING_CURRENCY={reporting}, but reference/fx_rates quotes {reporting} "
            f"itself at rates other than 1 (e.g. {own_rates['rate_to_reporting'][0]}), so "
            f"its rates convert to another currency: set TC_REPORTING_CURRENCY to the "
            "currency the rates convert to"
            + (f" (probably {next(iter(without))})" if without else "")
        )
    elif without and reporting not in uses:
        likely = next(iter(without))  # the most used: where the rates point, or the money's
        fix = (
            f"set TC_REPORTING_CURRENCY to the currency the rates convert to (probably {likely})"
            if rated
            else f"set TC_REPORTING_CURRENCY={likely}"
            + (" and add rates for the others" if len(without) > 1 else "")
        )
        report.problems.append(
            f"TC_REPORTING_CURRENCY={reporting}: no order or cost is in {reporting}, and "
            f"reference/fx_rates has no rate for {', '.join(without)} ({described}), so that "
            f"money cannot be converted: {fix}, or add rates from {likely} to {reporting}"
        )
    elif without:
        report.notes.append(
            f"money without an exchange rate to {reporting} in reference/fx_rates, which "
            f"cannot be converted: {described}; add rates for {', '.join(without)}"
        )


# --- the warehouse --------------------------------------------------------------


def _writable(folder: Path, setting: str, report: Preflight) -> None:
    """The folder, or the nearest existing folder above it, takes a new file."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        if not probe.is_dir():
            raise NotADirectoryError(f"{probe} is a file")
        fd, name = tempfile.mkstemp(prefix=".trustcap-preflight-", dir=probe)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        report.problems.append(
            f"{folder} cannot be written ({reason}): set {setting} to a folder you can "
            "write, or fix its permissions"
        )


def _not_held(settings: Settings, report: Preflight) -> None:
    holder = warehouse_holder(settings.warehouse_dir) if settings.warehouse_dir.is_dir() else None
    if holder is not None:
        report.problems.append(
            f"the warehouse {settings.warehouse_dir} is held by {holder.describe()}: wait for "
            f"it to finish, or stop it (kill {holder.pid})"
        )
        return
    writer = duckdb_writer(settings.warehouse_path)
    if writer is not None:
        pid, command = writer
        report.problems.append(
            f"{settings.warehouse_path} is open for writing in process {pid} ({command}); "
            f"DuckDB allows one writer: close it or wait for it to end (kill {pid} stops it)"
        )


def check(settings: Settings, *, allow_empty: bool = False) -> Preflight:
    report = Preflight()
    _landing(settings, allow_empty, report)
    _writable(settings.warehouse_dir, "TC_WAREHOUSE_DIR", report)
    _writable(settings.dagster_home, "DAGSTER_HOME", report)
    if settings.landing_dir.is_dir():
        _currencies(settings, report)
    _not_held(settings, report)
    return report
