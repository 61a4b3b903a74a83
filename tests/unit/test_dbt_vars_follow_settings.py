"""A setting dbt reads has its default in one place, dbt_project.yml's vars: what dbt
run by hand (`dbt docs`, sqlfluff's templater) falls back on, and what the one table
of settings (core/settings.py) reads as the default; every run passes the settings in
force (Settings.dbt_vars). Vars that are no setting (trust tiers, crisis baseline
days, ...) are model parameters whose one home is dbt_project.yml too."""

import re
from pathlib import Path

import pytest
import yaml

from core.settings import IN_DBT_PROJECT, SETTINGS, Settings, SettingsError, written

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def _project_vars() -> dict:
    return yaml.safe_load((PROJECT / "dbt_project.yml").read_text())["vars"]


def test_a_setting_dbt_reads_takes_its_default_from_dbt_project_yml(tmp_path):
    fallbacks = _project_vars()
    defaults = Settings.from_env({"TC_WAREHOUSE_DIR": str(tmp_path)})
    for setting in SETTINGS:
        # written once: in dbt_project.yml for a setting dbt reads, else in the table
        assert (setting.default == IN_DBT_PROJECT) == setting.dbt_var, setting.env
        if setting.dbt_var:
            assert setting.field in fallbacks, setting.field
            assert getattr(defaults, setting.field) == fallbacks[setting.field], setting.field


def test_a_changed_default_in_dbt_project_yml_is_the_settings_default(tmp_path, monkeypatch):
    import core.settings as settings_module

    project = tmp_path / "dbt"
    project.mkdir()
    text = (PROJECT / "dbt_project.yml").read_text()
    (project / "dbt_project.yml").write_text(
        text.replace("reporting_currency: EUR", "reporting_currency: USD")
    )
    monkeypatch.setattr(settings_module, "DBT_PROJECT_DIR", project)
    env = {"TC_WAREHOUSE_DIR": str(tmp_path / "wh")}
    assert Settings.from_env(env).reporting_currency == "USD"
    # a default missing from the file is a one-line error, not a KeyError
    (project / "dbt_project.yml").write_text(text.replace("reporting_currency: EUR", ""))
    with pytest.raises(
        SettingsError, match=re.escape("add var 'reporting_currency' to dbt_project.yml")
    ):
        Settings.from_env(env)
    # ...and a value given in the environment needs no default
    assert Settings.from_env({**env, "TC_REPORTING_CURRENCY": "GBP"}).reporting_currency == "GBP"


def test_the_documented_defaults_are_the_settings_defaults():
    """docs/settings.md and the README's table show the defaults in force."""
    fallbacks = _project_vars()
    root = PROJECT.parent
    by_env = {s.env: s for s in SETTINGS}
    checked = 0
    for doc in (root / "docs" / "settings.md", root / "README.md"):
        for env, shown in re.findall(r"^\| `(TC_\w+)` \| `([^`]*)` \|", doc.read_text(), re.M):
            setting = by_env[env]
            if setting.dbt_var:
                assert shown == written(fallbacks[setting.field]), (doc.name, env, shown)
            elif not setting.default.startswith("<"):
                assert shown == setting.default, (doc.name, env, shown)
            checked += 1
    assert checked >= len(SETTINGS)  # every setting in docs/settings.md


def test_every_var_a_model_reads_has_one_home(tmp_path):
    """A var a model reads is either passed from the settings at every run or a model
    parameter set in dbt_project.yml; a setting marked for dbt is read by a model."""
    passed = set(Settings.from_env({"TC_WAREHOUSE_DIR": str(tmp_path)}).dbt_vars())
    read = set()
    for folder in ("models", "macros"):
        for sql in (PROJECT / folder).rglob("*.sql"):
            read |= set(re.findall(r"var\(\s*['\"](\w+)['\"]", sql.read_text()))
    assert read, "no var() found: the pattern no longer matches the models"
    assert read <= set(_project_vars()), sorted(read - set(_project_vars()))
    assert passed <= set(_project_vars()), sorted(passed - set(_project_vars()))
    settings_vars = {s.field for s in SETTINGS if s.dbt_var}
    assert settings_vars <= read, sorted(settings_vars - read)
