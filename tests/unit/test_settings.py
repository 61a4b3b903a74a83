from pathlib import Path

import pytest

from core.settings import REPO_ROOT, Settings, SettingsError
from trustcap import cli


def test_defaults_resolve_against_the_repository_not_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings.from_env({})
    assert s.landing_dir == REPO_ROOT / "data" / "landing"
    assert s.warehouse_path == REPO_ROOT / "data" / "warehouse" / "warehouse.duckdb"
    assert s.published_path == REPO_ROOT / "data" / "warehouse" / "published" / "trustcap.duckdb"
    assert s.reporting_currency == "EUR"
    assert s.answer_window_hours == 72


def test_relative_settings_resolve_against_the_users_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings.from_env({"TC_LANDING_DIR": "drops", "TC_REPORTING_CURRENCY": "usd"})
    assert s.landing_dir == tmp_path / "drops"
    assert s.reporting_currency == "USD"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TC_REPORTING_CURRENCY", "euro", "three-letter"),
        ("TC_DEFAULT_MARGIN_RATE", "1.2", "must be in"),
        ("TC_DEFAULT_MARGIN_RATE", "abc", "not a number"),
        ("TC_ANSWER_WINDOW_HOURS", "-3", "must be in"),
        ("TC_DEMO_SEED", "x", "not a whole number"),
        ("TC_ENGAGEMENT_RULE", "first_like", "must be one of first_inbound, first_answered"),
        ("TC_ROI_MIN_PRE_MONTHS", "0", "must be at least 1"),
        ("TC_DUCKDB_MEMORY_LIMIT", "lots", "not a size"),
        ("TC_DUCKDB_MEMORY_LIMIT", "4", "not a size"),
        ("TC_INGEST_WORKERS", "0", "must be at least 1"),
    ],
)
def test_bad_settings_are_rejected_with_a_clear_message(name, value, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({name: value})


def test_a_warehouse_setting_that_is_a_file_is_rejected(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(SettingsError, match="is a file"):
        Settings.from_env({"TC_WAREHOUSE_DIR": str(f)})


def test_cli_reports_a_bad_setting_in_one_line_without_traceback(monkeypatch, capsys):
    monkeypatch.setenv("TC_DEFAULT_MARGIN_RATE", "lots")
    assert cli.main(["settings"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "trustcap: bad setting: TC_DEFAULT_MARGIN_RATE='lots' is not a number"


def test_dbt_vars_carry_the_settings(tmp_settings):
    v = tmp_settings.dbt_vars()
    assert v["reporting_currency"] == "EUR"
    assert v["engagement_rule"] == "first_inbound"
    # the estimator's setting is Python's: no dbt model reads it
    assert "roi_min_pre_months" not in v and tmp_settings.roi_min_pre_months == 6
    assert Path(v["analytics_dir"]) == tmp_settings.warehouse_dir / "analytics"
    assert Path(v["raw_dir"]) == tmp_settings.raw_dir


def test_duckdb_connections_take_the_memory_limit(tmp_path):
    import duckdb

    s = Settings.from_env({"TC_WAREHOUSE_DIR": str(tmp_path), "TC_DUCKDB_MEMORY_LIMIT": "1536MB"})
    assert s.subprocess_env()["TC_DUCKDB_MEMORY_LIMIT"] == "1536MB"
    con = duckdb.connect(str(tmp_path / "w.duckdb"), config=s.duckdb_config())
    limit, temp = con.execute(
        "select current_setting('memory_limit'), current_setting('temp_directory')"
    ).fetchone()
    assert limit == "1.4 GiB"  # DuckDB reports 1536 MB in GiB
    assert temp == s.duckdb_temp_dir.as_posix()


def test_settings_command_prints_every_setting_with_its_value(monkeypatch, capsys):
    from core.settings import SETTINGS

    monkeypatch.setenv("TC_DUCKDB_MEMORY_LIMIT", "3GB")
    assert cli.main(["settings"]) == 0
    out = capsys.readouterr().out
    for setting in SETTINGS:
        assert f"\n{setting.env:24} = " in "\n" + out
    assert f"{'TC_DUCKDB_MEMORY_LIMIT':24} = 3GB" in out


def test_the_engine_setting_picks_the_dbt_target_and_is_validated(tmp_path):
    base = {"TC_WAREHOUSE_DIR": str(tmp_path / "wh")}
    assert Settings.from_env(base).engine == "duckdb"
    spark = Settings.from_env({**base, "TC_ENGINE": "Spark", "TC_SPARK_DRIVER_MEMORY": "6G"})
    assert (spark.engine, spark.spark_driver_memory) == ("spark", "6g")
    assert spark.subprocess_env()["DBT_TARGET"] == "spark"
    assert spark.subprocess_env()["TC_SPARK_DRIVER_MEMORY"] == "6g"
    assert spark.dbt_vars()["handover_dir"] == (tmp_path / "wh" / "spark" / "handover").as_posix()
    with pytest.raises(SettingsError, match="must be one of duckdb, spark"):
        Settings.from_env({**base, "TC_ENGINE": "postgres"})
    with pytest.raises(SettingsError, match="not a size such as 4g"):
        Settings.from_env({**base, "TC_SPARK_DRIVER_MEMORY": "4GB"})


def test_the_spark_profile_reads_its_paths_and_memory_from_the_settings():
    """The profile's Spark output takes what the settings export, so Spark's catalog and
    tables land under the warehouse folder, never in the working folder."""
    import yaml

    from core.settings import DBT_PROJECT_DIR

    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["trustcap"]
    spark = profile["outputs"]["spark"]
    params = spark["server_side_parameters"]
    assert spark["method"] == "session"
    assert "env_var('TC_WAREHOUSE_DIR')" in params["spark.sql.warehouse.dir"]
    assert "env_var('TC_WAREHOUSE_DIR')" in params["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert "env_var('TC_SPARK_DRIVER_MEMORY'" in params["spark.driver.memory"]
    assert params["spark.sql.session.timeZone"] == "UTC"
    assert params["spark.ui.showConsoleProgress"] == "false"
    assert profile["target"] == "duckdb"


def test_brand_terms_are_a_comma_separated_list(tmp_path):
    base = {"TC_WAREHOUSE_DIR": str(tmp_path / "wh")}
    assert Settings.from_env(base).brand_terms == ()
    s = Settings.from_env({**base, "TC_BRAND_TERMS": " United, United   Airlines,,United "})
    assert s.brand_terms == ("United", "United Airlines")


# every float setting: NaN passes every range comparison, and "inf" parses as a float
FLOAT_SETTINGS = [
    "TC_DEFAULT_MARGIN_RATE",
    "TC_ANSWER_WINDOW_HOURS",
    "TC_QUALITY_ROW_COUNT_TOLERANCE",
    "TC_QUALITY_MAX_AGE_DAYS",
    "TC_CRISIS_THRESHOLD",
    "TC_YOUNG_ACCOUNT_DAYS",
    "TC_AMPLIFICATION_THRESHOLD",
    "TC_TRUST_HALF_LIFE_DAYS",
    "TC_TRUST_ASYMMETRY",
    "TC_DEMO_SCALE",
]


@pytest.mark.parametrize("name", FLOAT_SETTINGS)
@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"])
def test_nan_and_infinities_are_rejected(name, value):
    with pytest.raises(SettingsError, match="is not a finite number"):
        Settings.from_env({name: value})


@pytest.mark.parametrize("name", ["TC_DEFAULT_MARGIN_RATE", "TC_CRISIS_THRESHOLD"])
def test_cli_rejects_a_nan_setting_in_one_line(monkeypatch, capsys, name):
    monkeypatch.setenv(name, "nan")
    assert cli.main(["run"]) == 2
    out = capsys.readouterr()
    assert out.err.strip() == f"trustcap: bad setting: {name}='nan' is not a finite number"
    assert out.out == ""


@pytest.mark.parametrize("name", ["wh[1]", "wh*", "wh?"])
def test_a_warehouse_folder_with_glob_characters_is_rejected(tmp_path, name):
    with pytest.raises(SettingsError, match="contains one of"):
        Settings.from_env({"TC_WAREHOUSE_DIR": str(tmp_path / name)})


def test_quotes_spaces_and_unicode_in_paths_reach_dbt_and_sql_escaped(tmp_path):
    """The pipeline run with such a path: tests/pipeline/test_pipeline.py (the `ran` world)."""
    from core.warehouse import sql_string

    s = Settings.from_env({"TC_WAREHOUSE_DIR": str(tmp_path / "l'entrepôt ✓")})
    assert s.dbt_vars()["raw_dir"].endswith("l'entrepôt ✓/raw")
    assert sql_string(s.dbt_vars()["raw_dir"]).endswith("l''entrepôt ✓/raw'")


def test_raw_ids_are_published_only_when_set_to_true(tmp_path):
    base = {"TC_WAREHOUSE_DIR": str(tmp_path / "wh")}
    assert Settings.from_env(base).publish_raw_ids is False
    assert Settings.from_env({**base, "TC_PUBLISH_RAW_IDS": " TRUE "}).publish_raw_ids is True
    assert Settings.from_env({**base, "TC_PUBLISH_RAW_IDS": "0"}).publish_raw_ids is False
    with pytest.raises(SettingsError, match="TC_PUBLISH_RAW_IDS='maybe' must be true or false"):
        Settings.from_env({**base, "TC_PUBLISH_RAW_IDS": "maybe"})
    key = Settings.from_env(base).pseudonym_key_path
    assert key.parent == tmp_path / "wh" and "published" not in key.parts


def test_every_setting_is_one_row_of_the_table_and_one_field():
    from dataclasses import MISSING, fields

    from core.settings import SETTINGS

    assert [s.field for s in SETTINGS] == [f.name for f in fields(Settings)]
    # no default is written on the dataclass: the table holds each one, once
    assert all(f.default is MISSING and f.default_factory is MISSING for f in fields(Settings))


def test_every_dbt_var_is_read_by_the_dbt_project(tmp_settings):
    """A setting handed to dbt that no model reads is a setting nothing reads."""
    import re

    from core.settings import DBT_PROJECT_DIR

    sql = "\n".join(
        p.read_text()
        for folder in ("models", "macros", "tests")
        for p in (DBT_PROJECT_DIR / folder).rglob("*")
        if p.suffix in (".sql", ".yml")
    )
    for name in tmp_settings.dbt_vars():
        assert re.search(rf"var\(\s*['\"]{name}['\"]", sql), name


def test_child_processes_see_every_setting_as_resolved(tmp_path, monkeypatch):
    from core.settings import SETTINGS

    monkeypatch.chdir(tmp_path)
    s = Settings.from_env({"TC_LANDING_DIR": "drops", "TC_PUBLISH_RAW_IDS": "YES"})
    env = s.subprocess_env()
    assert {x.env for x in SETTINGS} <= set(env)
    assert env["TC_LANDING_DIR"] == (tmp_path / "drops").as_posix()
    assert env["TC_PUBLISH_RAW_IDS"] == "true"
    assert env["DAGSTER_HOME"] == (s.warehouse_dir / "dagster_home").as_posix()
    # what a child reads back is what this process resolved
    assert Settings.from_env(env) == s
