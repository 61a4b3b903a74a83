"""Every landing shape runs to a clear end: `trustcap run` on a landing folder with
one source only exits 0 and prints the summary, which says for each empty mart why
it is empty (before, a social landing without accounts published, then the summary
crashed on a missing median response time: TypeError, exit 1)."""

import shutil

import duckdb
import pytest

from core.publish import published_tables
from tests.pipeline.conftest import make_world

# no shared fixture: each shape is its own run, spread over the workers
pytestmark = pytest.mark.slow

# what each shape keeps of the demo world's landing folder
SHAPES = {
    "social_activities_only": ["social/activities"],
    "social_only": ["social"],
    "crm_only": ["crm"],
    "sales_only": ["sales", "reference"],
    "costs_only": ["costs", "reference"],
}


# the three shapes in the suite; the other two among the long validations
LONG_SHAPES = ("social_activities_only", "costs_only")


@pytest.mark.parametrize(
    "shape",
    [pytest.param(s, marks=pytest.mark.long) if s in LONG_SHAPES else s for s in SHAPES],
)
def test_a_landing_with_one_source_runs_to_a_clear_end(tmp_path, shape):
    pw = make_world(tmp_path, seed=11, scale=0.1)
    landing = pw.settings.landing_dir
    keep = {landing / k for k in SHAPES[shape]}
    held_back = tmp_path / "held_back"
    for folder in sorted(landing.glob("*/*")):
        if not ({folder, folder.parent} & keep):
            (held_back / folder.relative_to(landing)).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(folder, held_back / folder.relative_to(landing))
    # `trustcap run` in this process (a new process per run added about 6 s of imports)
    code, out = pw.cli("run")
    assert code == 0, out[-4000:]
    assert "Traceback" not in out
    summary = out[out.index("Trust Capital — run summary") :]
    assert "could not be summarised" not in summary, summary
    con = duckdb.connect(str(pw.settings.published_path), read_only=True)
    empty = [
        t
        for t in published_tables(con)
        if con.execute(f"select count(*) from marts.{t}").fetchone()[0] == 0
    ]
    con.close()
    assert empty, "a one-source landing leaves some marts empty"
    for mart in empty:
        assert f"  {mart} is empty: " in summary, (mart, summary)

    if shape == "crm_only":
        # the other sources arrive later: the incremental models built empty by the
        # first run must take every row then (an empty order table once hid them all)
        shutil.copytree(held_back, landing, dirs_exist_ok=True)
        code, later = pw.cli("run")
        assert code == 0, later[-4000:]
        con = duckdb.connect(str(pw.settings.warehouse_path), read_only=True)
        counts = con.execute(
            "select (select count(*) from intermediate.int_orders_converted), "
            "(select count(*) from staging.stg_sales__orders), "
            "(select count(*) from intermediate.int_activities_classified), "
            "(select count(*) from staging.stg_social__activities)"
        ).fetchone()
        con.close()
        assert counts[0] == counts[1] > 0, counts
        assert counts[2] == counts[3] > 0, counts
