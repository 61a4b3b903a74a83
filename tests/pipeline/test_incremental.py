"""A daily run is incremental (only the new day's files are parsed, only its new
texts scored and matched to topics) and publishes exactly what a run over all the
data at once publishes."""

import pytest

from tests.conftest import settings_for
from tests.pipeline.conftest import PipelineWorld
from trustcap.benchmark import split_last_day, write_csv_landing
from trustcap.demo.world import WorldConfig, generate

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("incremental")]


def test_a_new_day_run_equals_a_run_over_everything(tmp_path):
    world = generate(WorldConfig(seed=11, scale=0.05))
    history, day, last_day = split_last_day(world.tables)
    day_rows = sum(f.height for f in day.values())
    assert day_rows > 0

    daily = PipelineWorld(
        tmp_path / "daily",
        settings_for(tmp_path / "daily" / "landing", tmp_path / "daily" / "warehouse"),
        {},
        None,
    )
    write_csv_landing(history, daily.settings.landing_dir, "history", 1_700_000_000)
    assert daily.run().success
    write_csv_landing(day, daily.settings.landing_dir, f"day-{last_day}", 1_700_086_400)
    second = daily.run()
    assert second.success
    loaded = sum(
        m.metadata["rows_loaded"].value
        for node in second.dagster_run.step_keys_to_execute or []
        if node.startswith("raw__")
        for m in second.asset_materializations_for_node(node)
    )
    assert loaded == day_rows  # only the new files were parsed
    (scores,) = [
        m
        for m in second.asset_materializations_for_node("text_scores")
        if m.asset_key.path == ["analytics", "text_scores"]
    ]
    new_texts = day["social/activities"]["text"].drop_nulls().n_unique()
    assert 0 < scores.metadata["scored_this_run"].value <= new_texts

    at_once = PipelineWorld(
        tmp_path / "at_once",
        settings_for(tmp_path / "at_once" / "landing", tmp_path / "at_once" / "warehouse"),
        {},
        None,
    )
    write_csv_landing(world.tables, at_once.settings.landing_dir, "all", 1_700_000_000)
    assert at_once.run().success
    assert daily.marts_digest() == at_once.marts_digest()
