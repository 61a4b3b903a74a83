"""Resources shared by the assets. Settings are read when a run starts, not at import."""

from functools import cached_property
from importlib.metadata import version

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from packaging.version import Version

from core.settings import DBT_PROJECT_DIR, Settings, dbt_executable
from orchestration.defs.dbt.project import dbt_project


class SettingsResource(ConfigurableResource):
    """The run's settings (environment variables, resolved and validated)."""

    def get(self) -> Settings:
        return Settings.from_env()


class VenvDbtCliResource(DbtCliResource):
    """dbt from this environment. dagster-dbt asks the executable for its version by
    running `dbt --version` in every step (2.5 s each here); the executable is the
    dbt-core installed beside this code, so its package metadata answers instead."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        """No adapter in this process. dagster-dbt builds one in every step (2.1 s each
        here: dbt's imports, profile and project) only for its own row-count and column
        fetches, which this project does not use (defs/dbt/metadata.py reads them with
        one connection after dbt has exited); without one, those fetches return nothing."""
        return None


def build_resources() -> dict[str, object]:
    return {
        "settings": SettingsResource(),
        "dbt": VenvDbtCliResource(
            project_dir=dbt_project(),
            profiles_dir=DBT_PROJECT_DIR,
            dbt_executable=dbt_executable(),
        ),
    }
