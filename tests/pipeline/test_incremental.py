"""A daily run is incremental (only the new files are parsed, only new texts scored
and matched to topics, only the fact rows the new files touch rebuilt) and publishes
exactly what a run over all the data at once publishes."""

from datetime import timedelta

import numpy as np
import polars as pl
import pytest

from orchestration.defs.ingestion.assets import INGESTION_STEP
from tests.conftest import settings_for
from tests.pipeline.conftest import PipelineWorld, share_pseudonym_key
from trustcap.benchmark import split_last_day, write_csv_landing
from worlds.world import WorldConfig, generate

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("incremental")]


def _late_arrivals(tables: dict[str, pl.DataFrame]):
    """Split a world into history and a later batch that touches history's rows:
    identities linking old accounts, accounts of old activities, parents of old
    replies and replies to old parents, lines of old orders, corrected old orders
    and an old day's exchange rate."""
    acts = tables["social/activities"]
    replies = acts.filter(
        pl.col("parent_id").is_in(acts["activity_id"].implode())
        & (pl.col("activity_type") != "like")
    )
    late_replies = replies.head(30)
    late_parent_ids = replies.slice(30, 200)["parent_id"].unique().head(10)
    non_brand = tables["social/accounts"].filter(~pl.col("is_brand"))
    active = non_brand.filter(pl.col("account_id").is_in(acts["account_id"].implode()))
    late_account_ids = active.tail(10)["account_id"]
    late_acts = acts.filter(
        pl.col("activity_id").is_in(late_replies["activity_id"].implode())
        | pl.col("activity_id").is_in(late_parent_ids.implode())
    )
    ids = tables["crm/identities"].filter(pl.col("account_id").is_not_null())
    late_ids = ids.head(40)
    orders = tables["sales/orders"]
    lines = tables["sales/order_lines"]
    with_lines = lines["order_id"].unique().sort()
    late_line_orders = with_lines.head(20)
    corrected = orders.filter(~pl.col("order_id").is_in(late_line_orders.implode())).head(10)
    fx = tables["reference/fx_rates"].sort("date")
    late_fx = fx.filter(pl.col("date") == fx["date"].unique().sort()[300])
    late = {
        "social/activities": late_acts,
        "social/accounts": tables["social/accounts"].filter(
            pl.col("account_id").is_in(late_account_ids.implode())
        ),
        "crm/identities": late_ids,
        "sales/order_lines": lines.filter(pl.col("order_id").is_in(late_line_orders.implode())),
        "sales/orders": corrected.with_columns(pl.col("amount") * 1.5),
        "reference/fx_rates": late_fx,
    }
    history = dict(tables)
    history["social/activities"] = acts.join(late_acts, on=["platform", "activity_id"], how="anti")
    history["social/accounts"] = tables["social/accounts"].join(
        late["social/accounts"], on=["platform", "account_id"], how="anti"
    )
    history["crm/identities"] = tables["crm/identities"].join(
        late_ids, on=["contact_id", "platform", "account_id"], how="anti"
    )
    history["sales/order_lines"] = lines.join(late["sales/order_lines"], on="order_id", how="anti")
    history["reference/fx_rates"] = fx.join(late_fx, on=["date", "currency"], how="anti")
    return history, late


def _fact_rows(
    world: PipelineWorld, table: str, markers: list[str], schema: str = "intermediate"
) -> pl.DataFrame:
    con = world.warehouse()
    try:
        frame = con.execute(f"select * from {schema}.{table}").pl().drop(markers)
    finally:
        con.close()
    return frame.sort([c for c, t in frame.schema.items() if t != pl.Float64])


def _assert_same_rows(a: pl.DataFrame, b: pl.DataFrame, table: str):
    """Equal rows; sums of doubles only up to their summation order (DuckDB adds
    in parallel, so two full builds can differ in the last bits)."""
    assert a.height == b.height, table
    floats = [c for c, t in a.schema.items() if t == pl.Float64]
    assert a.drop(floats).equals(b.drop(floats)), table
    for c in floats:
        assert np.allclose(a[c].to_numpy(), b[c].to_numpy(), rtol=1e-12, equal_nan=True), (table, c)


def _roi_window_end(world: PipelineWorld):
    con = world.published()
    try:
        return con.execute("select max(window_end) from marts.community_roi_summary").fetchone()[0]
    finally:
        con.close()


def _key_checks(world: PipelineWorld) -> dict[str, tuple]:
    """ops.key_checks (macros/key_checks.sql): check -> (checked_through, fully_checked_at)."""
    con = world.warehouse()
    try:
        rows = con.execute("select * from ops.key_checks").fetchall()
    finally:
        con.close()
    return {name: (through, fully) for name, through, fully in rows}


def _pipeline(root) -> PipelineWorld:
    return PipelineWorld(root, settings_for(root / "landing", root / "warehouse"), {}, None)


def test_a_new_day_with_late_links_and_corrections_equals_a_run_over_everything(tmp_path):
    world = generate(WorldConfig(seed=11, scale=0.05))
    before, day, last_day = split_last_day(world.tables)
    history, late = _late_arrivals(before)
    # labels stay those of texts already landed: a label whose activity lands later
    # changes the brand-adapted scorer's training set, and then every text is rightly
    # rescored (one model for all texts, as a run over everything has)
    history["social/labelled_texts"] = history["social/labelled_texts"].join(
        history["social/activities"].select("platform", "activity_id"),
        on=["platform", "activity_id"],
        how="semi",
    )
    assert history["social/labelled_texts"].height > 0
    assert all(f.height > 0 for f in late.values())

    # old versions of history's orders in a file that arrives late but is older: they
    # lose to history's versions (last file wins by file time), daily as at once
    stale = {
        "sales/orders": history["sales/orders"].slice(100, 5).with_columns(pl.col("amount") * 3)
    }

    def land(world: PipelineWorld, *, history_only: bool = False):
        write_csv_landing(history, world.settings.landing_dir, "history", 1_700_000_000)
        if not history_only:
            write_csv_landing(day, world.settings.landing_dir, f"day-{last_day}", 1_700_086_400)
            write_csv_landing(late, world.settings.landing_dir, "late", 1_700_086_400)
            write_csv_landing(stale, world.settings.landing_dir, "stale", 1_699_000_000)

    new_rows = sum(f.height for batch in (day, late, stale) for f in batch.values())

    daily = _pipeline(tmp_path / "daily")
    land(daily, history_only=True)
    assert daily.run().success
    first_checks = _key_checks(daily)
    # the world's last sales day is the last day of its month: without it that month
    # is still open, and the causal figures stop at the month before (issue 23)
    assert (last_day + timedelta(days=1)).day == 1
    assert _roi_window_end(daily) == last_day.replace(day=1) - timedelta(days=1)
    land(daily)
    second = daily.run()
    assert second.success
    assert _roi_window_end(daily) == last_day  # the day closed the month: refitted
    # the key tests of the incremental tables looked at the day's rows only (no whole
    # read since the first run's) and moved on to the rows the day's builds wrote
    checks = _key_checks(daily)
    assert len(checks) == len(first_checks) == 9
    for name, (through, fully) in checks.items():
        assert fully == first_checks[name][1], name
        assert through > first_checks[name][0], name
    assert not any(
        m.metadata["fit_reused"].value
        for m in second.asset_materializations_for_node("roi_estimates")
    )
    loaded = sum(
        m.metadata["rows_loaded"].value
        for m in second.asset_materializations_for_node(INGESTION_STEP)
    )
    assert loaded == new_rows  # only the new files were parsed
    (scores,) = [
        m
        for m in second.asset_materializations_for_node("text_scores")
        if m.asset_key.path == ["analytics", "text_scores"]
    ]
    new_texts = pl.concat(
        [day["social/activities"]["text"], late["social/activities"]["text"]]
    ).drop_nulls()
    assert 0 < scores.metadata["scored_this_run"].value <= new_texts.n_unique()

    at_once = _pipeline(tmp_path / "at_once")
    share_pseudonym_key(daily, at_once)
    land(at_once)
    assert at_once.run().success

    # the incremental rows equal a full build's, column by column, and so do the marts
    for table, markers in [
        ("int_activities_classified", ["source_file_hash", "built_at"]),
        ("int_activities_scored", ["classified_built_at", "built_at"]),
        ("int_orders_converted", ["inputs_ingested_through", "built_at"]),
        ("int_trust_events_unioned", ["orders_built_through", "built_at"]),
        ("int_trust_evidence_by_contact_day", ["events_built_through", "built_at"]),
        ("int_trust_states_by_contact_day", ["evidence_built_through", "built_at"]),
    ]:
        _assert_same_rows(
            _fact_rows(daily, table, markers), _fact_rows(at_once, table, markers), table
        )
    for table in ["stg_social__activities", "stg_sales__orders", "stg_sales__order_lines"]:
        _assert_same_rows(
            _fact_rows(daily, table, ["inputs_ingested_through", "staged_at"], "staging"),
            _fact_rows(at_once, table, ["inputs_ingested_through", "staged_at"], "staging"),
            table,
        )
    assert daily.marts_digest() == at_once.marts_digest()

    # the staged landing entities re-ranked only the keys of the new files
    con = daily.warehouse()
    for table, entity in [
        ("stg_social__activities", "social/activities"),
        ("stg_sales__orders", "sales/orders"),
        ("stg_sales__order_lines", "sales/order_lines"),
    ]:
        restaged, total = con.execute(
            f"select count(*) filter (where inputs_ingested_through = "
            f"(select max(inputs_ingested_through) from staging.{table})), "
            f"count(*) from staging.{table}"
        ).fetchone()
        stale_rows = stale[entity].height if entity in stale else 0
        assert restaged == day[entity].height + late[entity].height + stale_rows, table
        assert restaged < total / 10, table
    # and the models built from the facts rewrote only the rows the day touched (the
    # trust tables: every row of the contacts it touched, the day's active ones)
    for table, unit in [
        ("int_activities_classified", "*"),
        ("int_activities_scored", "*"),
        ("int_orders_converted", "*"),
        ("int_trust_events_unioned", "distinct contact_id"),
        ("int_trust_evidence_by_contact_day", "distinct contact_id"),
        ("int_trust_states_by_contact_day", "distinct contact_id"),
    ]:
        rewritten, total = con.execute(
            f"select count({unit}) filter (where built_at = "
            f"(select max(built_at) from intermediate.{table})), "
            f"count({unit}) from intermediate.{table}"
        ).fetchone()
        assert 0 < rewritten < total / 10, (table, rewritten, total)
    con.close()

    # only the orders the new files touched were rebuilt
    con = daily.warehouse()
    rebuilt, total = con.execute(
        "select count(*) filter (where inputs_ingested_through = "
        "(select max(inputs_ingested_through) from intermediate.int_orders_converted)), "
        "count(*) from intermediate.int_orders_converted"
    ).fetchone()
    con.close()
    late_fx = late["reference/fx_rates"]
    on_late_fx_day = (
        before["sales/orders"]
        .filter(
            (pl.col("ordered_at").dt.date() == late_fx["date"][0])
            & pl.col("currency").is_in(late_fx["currency"].implode())
        )
        .height
    )
    touched = day["sales/orders"].height + 20 + 10  # the day's, lines arrived late, corrected
    assert touched <= rebuilt <= touched + on_late_fx_day
    assert rebuilt < total / 10
