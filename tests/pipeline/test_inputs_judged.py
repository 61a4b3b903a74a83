"""Inputs judged before they are trusted, and retraction, through the whole pipeline
(issue 20): typo'd dates, absurd amounts, a binary Parquet column and amounts in a
currency without rates leave the marts as if they were not there; a retracted file
leaves the marts equal to a run where it never came."""

import json

import polars as pl
import pytest

from tests.pipeline.conftest import copy_world, make_world, share_pseudonym_key
from trustcap.cli import main

pytestmark = pytest.mark.xdist_group("inputs_judged")

ORDER_HEADER = "order_id,contact_id,ordered_at,currency,amount,status,channel\n"


def _poison(landing) -> None:
    """One of each poison of the issue, in files of their own."""
    acts = pl.read_ndjson(sorted((landing / "social/activities").glob("*.jsonl"))[0])
    mention = acts.filter(pl.col("activity_type") == "mention").head(1).to_dicts()[0]
    lines = []
    for year in ("2062", "0001", "1900"):
        row = mention | {"activity_id": f"POISON-{year}", "created_at": f"{year}-06-01T10:00:00Z"}
        lines.append(json.dumps(row))
    (landing / "social/activities/typos.jsonl").write_text("\n".join(lines) + "\n")
    contact = "C0000001"
    (landing / "sales/orders/typos.csv").write_text(
        ORDER_HEADER
        + f"P-2062,{contact},2062-06-01 10:00:00,EUR,130.82,completed,online\n"
        + f"P-0001,{contact},0001-06-01 10:00:00,EUR,130.82,completed,online\n"
        + f"P-1E308,{contact},2026-06-01 10:00:00,EUR,1e308,completed,online\n"
        + f"P-XYZ,{contact},2026-06-01 10:00:00,XYZ,99.00,completed,online\n"
    )
    (landing / "costs/community_costs/no_rates.csv").write_text(
        "cost_id,incurred_on,category,amount,currency,platform\n"
        "K-XYZ,2026-06-01,ads,500,XYZ,twitter\n"
    )
    pl.DataFrame(
        {
            "order_id": ["P-BIN"],
            "ordered_at": ["2026-06-01"],
            "currency": ["EUR"],
            "amount": [1.0],
            "status": ["completed"],
            "thumbnail": [b"\x89PNG\x00"],
        }
    ).write_parquet(landing / "sales/orders/binary.parquet")


def _late_file(landing):
    """Orders that move the marts: new ones and a correction of an old one."""
    old = pl.read_csv(
        sorted((landing / "sales/orders").glob("orders_04_*.csv"))[0], infer_schema=False
    )
    corrected = old.head(1).with_columns(pl.lit("99999.00").alias("amount"))
    new = old.slice(1, 25).with_columns(
        ("LATE-" + pl.col("order_id")).alias("order_id"), pl.lit("500.00").alias("amount")
    )
    path = landing / "sales/orders/late.csv"
    pl.concat([corrected, new]).write_csv(path)
    return path


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    root = tmp_path_factory.mktemp("judged")
    poisoned = make_world(root / "poisoned", scale=0.1)
    _poison(poisoned.settings.landing_dir)
    clean = copy_world(poisoned, root / "clean")  # the same, without the late file
    late = _late_file(poisoned.settings.landing_dir)
    result = poisoned.run()
    return poisoned, clean, late, result


def test_poison_is_quarantined_or_counted_and_the_run_publishes(worlds):
    pw, _, _, result = worlds
    assert result.success
    q = pl.read_parquet(pw.settings.quarantine_dir / "**/*.parquet")
    reasons = dict(zip(q["file_name"] + ":" + q["raw"].fill_null(""), q["reason"], strict=True))
    window = "outside the plausible dates 2000-01-01 to"
    assert sum(window in r for r in q["reason"]) == 5  # three activities, two orders
    assert any("amount: must be <= 1e+12" in r for r in reasons.values())
    assert any(
        "thumbnail (Binary)" in r for f, r in reasons.items() if f.startswith("binary.parquet")
    )
    con = pw.published()
    try:
        fx = dict(
            con.execute(
                "select check_name, observed_value from marts.pipeline_quality "
                "where check_name in ('orders_without_fx_rate', 'costs_without_fx_rate') "
                "and not passed and severity = 'warning'"
            ).fetchall()
        )
        assert fx == {
            "orders_without_fx_rate": "1 failing rows",
            "costs_without_fx_rate": "1 failing rows",
        }
        # nothing reaches 2062 (or year 1): the windows end with the world's data
        assert con.execute(
            "select max(period) < date '2027-01-01', min(period) > date '2000-01-01' "
            "from marts.community_roi_monthly"
        ).fetchone() == (True, True)
        assert con.execute(
            "select max(date) < date '2027-01-01', count(*) < 1000 from marts.trust_capital_daily"
        ).fetchone() == (True, True)
        assert con.execute("select count(*) from marts.advocates").fetchone()[0] > 100
        assert (
            con.execute(
                "select count(*) from marts.acquisition_funnel where revenue > 1e15"
            ).fetchone()[0]
            == 0
        )
    finally:
        con.close()


def test_a_retracted_file_leaves_the_marts_of_a_run_without_it(worlds):
    poisoned, clean, late, _ = worlds
    with_late = poisoned.marts_digest()
    with poisoned.env():
        assert main(["retract", str(late)]) == 0
    assert poisoned.run().success
    retracted = poisoned.marts_digest()
    share_pseudonym_key(poisoned, clean)  # the same people, the same pseudonyms
    assert clean.run().success
    without = clean.marts_digest()
    changed = sorted(t for t in without if with_late[t] != without[t])
    assert "community_roi_monthly" in changed or "customer_trust" in changed, changed
    assert {t for t in without if retracted[t] != without[t]} == set()
