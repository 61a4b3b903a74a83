"""The estimator's fit is reused only when everything it depends on is unchanged
(issue 23: a run with nothing new refitted the whole panel)."""

import json
from datetime import date

import polars as pl
import pytest

from analytics.roi import RoiInputs, inputs_fingerprint
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
