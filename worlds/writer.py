"""Write a demo world as a landing folder in the contract, plus its truth folder.

Each entity is split into dated drops whose formats rotate through csv, csv.gz,
jsonl, jsonl.gz and parquet, and whose timestamps rotate between naive UTC,
`Z` and a Europe/Paris offset. File modification times follow the drop dates,
so "last file wins" is deterministic. Tickets still open at the end of a drop
reappear, settled, in the next one. One late drop carries a handful of rows that
break the contract, so a demo run shows quarantine at work.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl

from ingestion.contract import ENTITY_BY_NAME
from worlds.world import World

FORMATS = ("csv", "jsonl.gz", "parquet", "csv.gz", "jsonl")
TS_STYLES = ("paris_offset", "naive_utc", "zulu")

# the column that orders an entity's drops in time; None: a single drop
TIME_COLUMN = {
    "social/accounts": None,
    "social/activities": "created_at",
    "social/page_metrics": "date",
    "social/labelled_texts": None,
    "crm/contacts": "created_at",
    "crm/identities": None,
    "crm/surveys": "responded_at",
    "crm/tickets": "opened_at",
    "sales/orders": "ordered_at",
    "sales/order_lines": None,  # follows orders
    "costs/community_costs": "incurred_on",
    "costs/campaigns": None,
    "reference/fx_rates": "date",
}
DROPS_PER_ENTITY = 4

BROKEN_ORDERS = (
    "order_id,contact_id,ordered_at,currency,amount,status,channel\n"
    "X-BAD-1,C0000001,yesterday,EUR,12.50,completed,online\n"
    "X-BAD-2,C0000002,2026-10-30T10:00:00Z,EUR,-5.00,completed,online\n"
    "X-BAD-3,C0000003,2026-10-30T10:00:00Z,EUR,15.00,shipped,online\n"
    ",C0000004,2026-10-30T10:00:00Z,EUR,15.00,completed,online\n"
    "X-BAD-5,C0000005,2026-10-30T10:00:00Z\n"
)
BROKEN_ORDERS_COUNT = 5


def _ts_to_text(col: str, style: str) -> pl.Expr:
    c = pl.col(col)
    if style == "paris_offset":
        return (
            c.dt.replace_time_zone("UTC")
            .dt.convert_time_zone("Europe/Paris")
            .dt.to_string("%Y-%m-%dT%H:%M:%S%:z")
        )
    if style == "zulu":
        return c.dt.to_string("%Y-%m-%dT%H:%M:%S%.3fZ")
    return c.dt.to_string("%Y-%m-%d %H:%M:%S")


def to_landing_frame(frame: pl.DataFrame, qualified: str, fmt: str, style: str) -> pl.DataFrame:
    """Contract columns only, timestamps as text in the given style (except parquet)."""
    entity = ENTITY_BY_NAME[qualified]
    frame = frame.select([c.name for c in entity.columns if c.name in frame.columns])
    ts_cols = [c.name for c in entity.columns if c.type == "ts" and c.name in frame.columns]
    if fmt == "parquet":
        if style == "paris_offset":
            return frame.with_columns(
                pl.col(c).dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Paris")
                for c in ts_cols
            )
        return frame
    return frame.with_columns(_ts_to_text(c, style) for c in ts_cols)


def _write(frame: pl.DataFrame, path: Path, fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        frame.write_parquet(path)
        return
    buf = io.BytesIO()
    if fmt.startswith("csv"):
        frame.write_csv(buf)
    else:
        frame.write_ndjson(buf)
    data = buf.getvalue()
    if fmt.endswith(".gz"):
        data = gzip.compress(data, mtime=0)  # mtime=0: same world, same bytes
    path.write_bytes(data)


def _set_mtime(path: Path, when: date) -> None:
    ts = datetime.combine(when, time(23, 0), tzinfo=UTC).timestamp()
    os.utime(path, (ts, ts))


def _bounds(frame: pl.DataFrame, col: str, k: int) -> list:
    values = frame[col]
    if values.dtype == pl.Datetime:
        values = values.dt.date()
    lo, hi = values.min(), values.max()
    step = (hi - lo) / k
    return [lo + step * i for i in range(1, k)] + [hi + timedelta(days=1)]


def write_world(world: World, landing_dir: Path, truth_dir: Path) -> dict[str, int]:
    """Replace `landing_dir` and `truth_dir` with the world; return files written per entity."""
    for d in (landing_dir, truth_dir):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    counts: dict[str, int] = {}
    order_drop: pl.DataFrame | None = None
    for qi, (qualified, frame) in enumerate(world.tables.items()):
        source, name = qualified.split("/")
        folder = landing_dir / source / name
        col = TIME_COLUMN[qualified]
        drops: list[tuple[pl.DataFrame, date]] = []
        if qualified == "sales/order_lines":
            assert order_drop is not None
            for ids, end in order_drop:
                drops.append((frame.filter(pl.col("order_id").is_in(ids.implode())), end))
        elif col is None:
            drops.append((frame, world.config.start))
        else:
            values = frame[col].dt.date() if frame[col].dtype == pl.Datetime else frame[col]
            start = values.min()
            for end in _bounds(frame, col, DROPS_PER_ENTITY):
                part = frame.filter((values >= start) & (values < end))
                if qualified == "crm/tickets":
                    part = _tickets_as_of(frame, start, end)
                drops.append((part, end))
                start = end
            if qualified == "sales/orders":
                order_drop = [(d["order_id"], end) for d, end in drops]
        for i, (part, end) in enumerate(drops):
            fmt = FORMATS[(qi + i) % len(FORMATS)]
            style = TS_STYLES[(qi + i) % len(TS_STYLES)]
            path = folder / f"{name}_{i + 1:02d}_{end.isoformat()}.{fmt}"
            _write(to_landing_frame(part, qualified, fmt, style), path, fmt)
            _set_mtime(path, end)
        counts[qualified] = len(drops)

    broken = 0
    if "sales/orders" in world.tables:  # a social-only world lands no sales
        late = landing_dir / "sales" / "orders" / "orders_late_drop.csv"
        late.write_text(BROKEN_ORDERS, encoding="utf-8")
        _set_mtime(late, world.config.start + timedelta(days=31 * world.config.months + 5))
        broken = BROKEN_ORDERS_COUNT

    truth = dict(world.truth)
    truth["landing"] = {"files": counts, "broken_rows_planted": broken}
    (truth_dir / "truth.json").write_text(json.dumps(truth, indent=2, default=str))
    for name, table in world.truth_tables.items():
        table.write_parquet(truth_dir / f"{name}.parquet")
    return counts


def _tickets_as_of(tickets: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Tickets opened in [start, end) as a CRM export on `end` would show them, plus
    tickets from earlier drops that were still open then and are settled now."""
    cutoff = datetime.combine(end, time())
    opened = tickets["opened_at"].dt.date()
    settled_after = pl.col("resolved_at") >= cutoff
    this_drop = tickets.filter((opened >= start) & (opened < end)).with_columns(
        pl.when(settled_after).then(pl.lit("open")).otherwise(pl.col("status")).alias("status"),
        pl.when(settled_after).then(None).otherwise(pl.col("resolved_at")).alias("resolved_at"),
    )
    earlier_cutoff = datetime.combine(start, time())
    settled_now = tickets.filter(
        (opened < start)
        & (pl.col("resolved_at") >= earlier_cutoff)
        & (pl.col("resolved_at") < cutoff)
    )
    return pl.concat([this_drop, settled_now])
