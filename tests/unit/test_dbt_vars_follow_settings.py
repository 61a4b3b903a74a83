"""dbt_project.yml's vars are what dbt falls back on when run by hand (`dbt docs`,
sqlfluff's templater); every run passes the settings instead (core/settings.py,
Settings.dbt_vars). The one table of settings stays the one source: the fallbacks must
be its defaults. Vars that are no setting (trust tiers, crisis baseline days, ...) are
model parameters whose one home is dbt_project.yml."""

import re
from pathlib import Path

import yaml

from core.settings import SETTINGS, Settings

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def _project_vars() -> dict:
    return yaml.safe_load((PROJECT / "dbt_project.yml").read_text())["vars"]


def test_dbt_var_fallbacks_are_the_settings_defaults():
    fallbacks = _project_vars()
    for setting in SETTINGS:
        if not setting.dbt_var:
            continue
        assert setting.field in fallbacks, setting.field
        parsed = setting.read(setting.default, setting.env)
        assert fallbacks[setting.field] == parsed, (setting.field, fallbacks[setting.field], parsed)


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
