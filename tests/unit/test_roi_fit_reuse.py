"""The estimator's fit is reused only when everything it depends on is unchanged
(issue 23: a run with nothing new refitted the whole panel)."""

import json
from datetime import date, datetime

import polars as pl
import pytest

from analytics.roi import RoiInputs, closed_months, estimate, inputs_fingerprint
from orchestration.defs.roi.assets import OUTPUTS, _reusable_fit


def _inputs(revenue: float = 10.0, reverse: bool = False) -> RoiInputs:
    panel = pl.DataFrame(
        {
            "contact_id": ["c1", "c1", "c2", "c2"],
            "period": [date(2025, 1, 1), date(2025, 2, 1)] * 2,
            "revenue": [revenue, 0.0, 5.0, 7.0],
            "gross_margin": [3.0, 0.0, 1.5, 2.0],
        }
    )
    engagements = pl.DataFrame(
        {
            "contact_id": ["c1"],
            "engaged_period": [date(2025, 2, 1)],
            "platform": ["twitter"],
            "campaign_id": [None],
        },
        schema_overrides={"campaign_id": pl.String},
    )
    contacts = pl.DataFrame(
        {"contact_id": ["c1", "c2"], "created_at": [None, None], "country": "FR", "segment": "?"}
    )
    if reverse:  # the same rows in another order, as DuckDB may return them
        panel, contacts = panel.reverse(), contacts.reverse()
    return RoiInputs(panel, engagements, contacts, date(2025, 1, 1), date(2025, 2, 1))


def test_the_fingerprint_ignores_the_last_bits_of_parallel_sums():
    """dbt rebuilds the panel each run and DuckDB's parallel float sums differ in the
    last bits between runs: the same data must hash the same, a cent must not."""
    base = inputs_fingerprint(_inputs(10.0), 6)
    assert inputs_fingerprint(_inputs(10.0 + 1e-12), 6) == base
    assert inputs_fingerprint(_inputs(10.01), 6) != base


def test_the_fingerprint_ignores_row_order_and_sees_every_change():
    base = inputs_fingerprint(_inputs(), 6)
    assert inputs_fingerprint(_inputs(reverse=True), 6) == base
    assert inputs_fingerprint(_inputs(revenue=10.01), 6) != base  # a corrected order
    assert inputs_fingerprint(_inputs(), 3) != base  # the setting
    later = _inputs()
    later.last_period = date(2025, 3, 1)  # a month closed
    assert inputs_fingerprint(later, 6) != base
    fewer = _inputs()
    fewer.engagements = fewer.engagements.clear()
    assert inputs_fingerprint(fewer, 6) != base


@pytest.mark.parametrize("missing", [None, "record", "output", "other_inputs"])
def test_a_fit_is_reused_only_with_its_record_and_every_result(tmp_path, missing):
    for name in OUTPUTS:
        pl.DataFrame({"x": [1]}).write_parquet(tmp_path / f"{name}.parquet")
    record = tmp_path / "roi_fit.json"
    record.write_text(json.dumps({"inputs_fingerprint": "abc", "fitted_at": "t"}))
    fingerprint = "abc"
    if missing == "record":
        record.unlink()
    elif missing == "output":
        (tmp_path / "roi_coefficients.parquet").unlink()
    elif missing == "other_inputs":
        fingerprint = "abd"
    reused = _reusable_fit(record, fingerprint, tmp_path)
    if missing is None:
        assert reused == {"inputs_fingerprint": "abc", "fitted_at": "t", "reused": True}
    else:
        assert reused is None


def _with_open_march(revenue_in_march: float, engaged_in_march: bool = False) -> RoiInputs:
    """_inputs() plus a March still open: a new contact c3, a purchase, maybe an engagement."""
    inputs = _inputs()
    march = date(2025, 3, 1)
    inputs.panel = pl.concat(
        [
            inputs.panel,
            pl.DataFrame(
                {
                    "contact_id": ["c1", "c2", "c3"],
                    "period": [march] * 3,
                    "revenue": [revenue_in_march, 0.0, 4.0],
                    "gross_margin": [1.0, 0.0, 1.0],
                }
            ),
        ]
    )
    if engaged_in_march:
        inputs.engagements = pl.concat(
            [
                inputs.engagements,
                pl.DataFrame(
                    {
                        "contact_id": ["c2"],
                        "engaged_period": [march],
                        "platform": ["facebook"],
                        "campaign_id": [None],
                    },
                    schema_overrides={"campaign_id": pl.String},
                ),
            ]
        )
    inputs.contacts = pl.concat(
        [
            inputs.contacts.with_columns(pl.col("created_at").cast(pl.Datetime("us"))),
            pl.DataFrame(
                {"contact_id": ["c3"], "created_at": [datetime(2025, 3, 4, 9)]},
                schema_overrides={"created_at": pl.Datetime("us")},
            ).with_columns(country=pl.lit("FR"), segment=pl.lit("?")),
        ]
    )
    inputs.last_period = march
    return inputs


def test_the_open_month_waits_and_a_new_day_of_it_reuses_the_fit():
    """Causal figures are monthly (issue 23): the fit reads closed months only, so a
    day of new orders, engagements and contacts in the open month leaves its
    fingerprint as it was, while a correction to a closed month changes it."""
    closed = closed_months(_with_open_march(1.0), date(2025, 3, 17))
    assert closed.last_period == date(2025, 2, 1)
    assert closed.panel["period"].max() == date(2025, 2, 1)
    assert "c3" not in closed.contacts["contact_id"].to_list()
    base = inputs_fingerprint(closed, 6)
    next_day = closed_months(_with_open_march(9.0, engaged_in_march=True), date(2025, 3, 18))
    assert inputs_fingerprint(next_day, 6) == base
    # a customer of long standing whose first order is in the open month enters the
    # panel (dbt's buyers) with zeros in every closed month: nothing a fit can use
    # (Poisson drops all-zero contacts), so the fingerprint stays as it was too
    first_buyer = _with_open_march(1.0)
    first_buyer.panel = pl.concat(
        [
            first_buyer.panel,
            pl.DataFrame(
                {
                    "contact_id": ["c4"] * 3,
                    "period": [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)],
                    "revenue": [0.0, 0.0, 12.0],
                    "gross_margin": [0.0, 0.0, 4.0],
                }
            ),
        ]
    )
    first_buyer.contacts = pl.concat(
        [
            first_buyer.contacts,
            pl.DataFrame(
                {"contact_id": ["c4"], "created_at": [None], "country": "FR", "segment": "?"},
                schema_overrides={"created_at": pl.Datetime("us")},
            ),
        ]
    )
    before_first_order = RoiInputs(
        first_buyer.panel.filter(pl.col("contact_id") != "c4"),
        first_buyer.engagements,
        first_buyer.contacts,
        first_buyer.first_period,
        first_buyer.last_period,
    )
    assert inputs_fingerprint(closed_months(first_buyer, date(2025, 3, 18)), 6) == (
        inputs_fingerprint(closed_months(before_first_order, date(2025, 3, 17)), 6)
    )
    corrected = _with_open_march(1.0)
    corrected.panel = corrected.panel.with_columns(
        pl.when(pl.col("period") == date(2025, 1, 1))
        .then(pl.col("revenue") + 0.01)
        .otherwise(pl.col("revenue"))
        .alias("revenue")
    )
    assert inputs_fingerprint(closed_months(corrected, date(2025, 3, 18)), 6) != base
    # once the orders reach March 31st, March is closed and in the fit
    month_closed = closed_months(_with_open_march(1.0), date(2025, 3, 31))
    assert month_closed.last_period == date(2025, 3, 1)
    assert inputs_fingerprint(month_closed, 6) != base
    # unknown (no orders at all): nothing is cut
    assert closed_months(_with_open_march(1.0), None).last_period == date(2025, 3, 1)


def test_with_only_an_open_month_the_estimate_says_so():
    inputs = _inputs()
    inputs.panel = inputs.panel.filter(pl.col("period") == date(2025, 1, 1))
    inputs.last_period = date(2025, 1, 1)
    result = estimate(closed_months(inputs, date(2025, 1, 20)))
    assert result.summary["method"].to_list() == [
        "not estimated: no closed month yet (the first month is still open)"
    ]
