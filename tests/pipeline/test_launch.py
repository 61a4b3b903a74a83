"""A community program launch: from one day on, customers talk to the brand several
times as much and complain more, for good (issue 18: the detector reported the first
week of such a step as incidents). The step must come out as a level shift in
voice_level_shifts, not as a crisis, while both planted crises are still found."""

from datetime import date, timedelta

import polars as pl
import pytest

from core.quality.suites import all_checks
from tests.pipeline.conftest import PipelineWorld, make_world
from tests.pipeline.test_quality import NEEDS_A_LAUNCH, passes_and_fails_when_broken

pytestmark = [pytest.mark.long, pytest.mark.xdist_group("launch")]
LAUNCH = date(2025, 6, 2)


@pytest.fixture(scope="module")
def launched(tmp_path_factory) -> PipelineWorld:
    # negative member voice goes from about 2 to about 15 a day on the launch day
    pw = make_world(
        tmp_path_factory.mktemp("launch"),
        seed=7,
        scale=1.0,
        activity_density=5.0,
        launch_on=LAUNCH,
        pre_launch_volume=0.3,
        pre_launch_negative=0.5,
    )
    assert pw.run().success
    return pw


def _mart(pw: PipelineWorld, name: str) -> pl.DataFrame:
    con = pw.published()
    try:
        return con.sql(f"select * from marts.{name}").pl()
    finally:
        con.close()


def _near(frame: pl.DataFrame, start: date, end: date, first: str, last: str) -> pl.Expr:
    return (pl.col(first) <= end + timedelta(days=2)) & (pl.col(last) >= start - timedelta(days=2))


def test_the_launch_is_a_level_shift_not_a_crisis(launched):
    shifts = _mart(launched, "voice_level_shifts")
    crises = _mart(launched, "crisis_events")
    print(shifts)
    print(crises.select("crisis_id", "started_on", "ended_on", "suspected_amplification"))
    at_launch = shifts.filter(
        _near(shifts, LAUNCH, LAUNCH + timedelta(days=14), "shifted_on", "last_alarm_on")
    )
    assert at_launch.height >= 1, "the launch's step was not reported as a level shift"
    assert (at_launch["step_ratio"] >= 2).all()
    planted = [
        (
            launched.truth["crises"][k]["platform"],
            launched.truth["crises"][k]["start"],
            launched.truth["crises"][k]["end"],
        )
        for k in ("organic", "amplified")
    ]
    matched = pl.lit(False)
    for platform, start, end in planted:
        s, e = date.fromisoformat(start), date.fromisoformat(end)
        matched = matched | (
            pl.col("platform").is_in([platform, "all"])
            & _near(crises, s, e, "started_on", "ended_on")
        )
        found = crises.filter(
            pl.col("platform").is_in([platform, "all"])
            & _near(crises, s, e, "started_on", "ended_on")
        )
        assert found.height >= 1, f"planted crisis on {platform} from {start} not found"
    false_incidents = crises.filter(~matched)
    # at most one false incident a simulated year (two years of data)
    assert false_incidents.height <= 2, false_incidents


def test_level_shift_checks_pass_and_fail_when_broken(launched, tmp_path):
    checks = [c for c in all_checks() if c.table in NEEDS_A_LAUNCH]
    assert checks
    passes_and_fails_when_broken(launched, checks, tmp_path, min_rows=1)
