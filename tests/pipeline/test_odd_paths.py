"""Paths reach SQL only as escaped literals: a warehouse folder with a quote, a space
and unicode runs the whole pipeline (before, a quote in TC_WAREHOUSE_DIR went
unescaped into dbt's SQL and every run failed to parse). Glob characters are
refused by the settings (tests/unit/test_settings.py).

It is also the test that any landing folder in the contract works: a different world
(seed 5) in a different folder, reached by TC_LANDING_DIR alone, no code change."""

import pytest

from tests.conftest import settings_for
from tests.pipeline.conftest import PipelineWorld, make_world

pytestmark = pytest.mark.slow


def test_a_warehouse_path_with_a_quote_a_space_and_unicode_runs(tmp_path):
    odd = tmp_path / "l'entrepôt de données ✓"
    pw = make_world(odd, seed=5, scale=0.05)
    # the warehouse beside the landing folder, both under the odd name
    pw = PipelineWorld(odd, settings_for(odd / "landing", odd / "warehouse"), pw.truth, pw.world)
    result = pw.run()
    assert result.success
    con = pw.published()
    inbound = con.execute(
        "select sum(inbound) from marts.responsiveness_daily where platform = 'all'"
    ).fetchone()[0]
    runs = con.execute("select count(distinct run_id) from marts.pipeline_quality").fetchone()[0]
    con.close()
    assert inbound == pw.truth["responsiveness"]["inbound"]
    assert runs == 1
