"""The benchmark's own pieces: the split into history and one new day, the CSV
landing it writes (read back through the real ingestion), and the reference query
(checked against the same figure computed with polars)."""

from __future__ import annotations

import polars as pl
import pytest

from ingestion.contract import ENTITY_BY_NAME
from ingestion.load import StoragePaths, ingest_entity
from trustcap.benchmark import DAY_COLUMN, reference_query, split_last_day, write_csv_landing
from worlds.world import WorldConfig, generate


@pytest.fixture(scope="module")
def world():
    return generate(WorldConfig(seed=3, scale=0.05))


def test_history_and_new_day_partition_every_table(world):
    history, day, last_day = split_last_day(world.tables)
    assert last_day == world.tables["sales/orders"]["ordered_at"].max().date()
    for qualified, frame in world.tables.items():
        parts = [history[qualified]] + ([day[qualified]] if qualified in day else [])
        assert sum(p.height for p in parts) == frame.height, qualified
    for qualified, col in DAY_COLUMN.items():
        dates = day[qualified][col]
        dates = dates.dt.date() if dates.dtype == pl.Datetime else dates
        assert (dates >= last_day).all()
    assert day["sales/orders"].height > 0 and day["social/activities"].height > 0
    # order lines travel with their order
    assert set(day["sales/order_lines"]["order_id"]) == set(day["sales/orders"]["order_id"])


def test_a_mid_month_day_is_the_15th_and_nothing_after_it_lands(world):
    """`--new-day mid-month`: the new day closes no month (the estimator's last fit is
    reused); rows dated after it are not in the benchmark at all."""
    history, day, new_day = split_last_day(world.tables, "mid-month")
    last = world.tables["sales/orders"]["ordered_at"].max().date()
    assert new_day == last.replace(day=15) < last
    for qualified, col in DAY_COLUMN.items():
        for part, ok in (
            (history[qualified], lambda d: d < new_day),
            (day[qualified], lambda d: d == new_day),
        ):
            dates = part[col].dt.date() if part[col].dtype == pl.Datetime else part[col]
            assert dates.map_elements(ok, return_dtype=pl.Boolean).all(), qualified
    assert day["sales/orders"].height > 0
    kept = set(history["sales/orders"]["order_id"]) | set(day["sales/orders"]["order_id"])
    lines = set(history["sales/order_lines"]["order_id"]) | set(
        day["sales/order_lines"]["order_id"]
    )
    assert lines <= kept


def test_csv_landing_loads_without_quarantine(world, tmp_path):
    history, _, _ = split_last_day(world.tables)
    landing = tmp_path / "landing"
    written = write_csv_landing(history, landing, "history", 1_700_000_000)
    assert written == sum(f.height for f in history.values())
    paths = StoragePaths(tmp_path / "raw", tmp_path / "quarantine", tmp_path / "log")
    for qualified, frame in history.items():
        report = ingest_entity(ENTITY_BY_NAME[qualified], landing, paths)
        assert (report.rows_loaded, report.rows_quarantined) == (frame.height, 0), qualified


def test_reference_query_matches_polars(world, tmp_path):
    landing = tmp_path / "landing"
    write_csv_landing(world.tables, landing, "all", 1_700_000_000)
    _, rows, revenue = reference_query(landing)
    t = world.tables
    first = (
        t["social/activities"]
        .join(t["crm/identities"], on=["platform", "account_id"])
        .group_by("contact_id")
        .agg(pl.col("created_at").min().alias("engaged_at"))
    )
    expected = (
        t["sales/orders"]
        .join(first, on="contact_id")
        .filter((pl.col("status") == "completed") & (pl.col("ordered_at") >= pl.col("engaged_at")))
    )["amount"].sum()
    assert expected > 0
    assert revenue == pytest.approx(expected, rel=1e-9)
    assert rows == sum(t[e].height for e in ("social/activities", "crm/identities", "sales/orders"))
