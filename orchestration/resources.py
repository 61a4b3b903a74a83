"""Resources shared by the assets. Settings are read when a run starts, not at import."""

from functools import cached_property
from importlib.metadata import version
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from dagster_dbt import DbtCliResource
from packaging.version import Version
from pydantic import PrivateAttr

from core.settings import DBT_PROJECT_DIR, Settings, SettingsError, dbt_executable
from orchestration.defs.dbt.project import dbt_project
from orchestration.warm_dbt import WARM_LAUNCHER, WarmDbt, installed_launcher


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

    # dbt commands forked from a process that imported dbt when the run started
    # (orchestration/warm_dbt.py); the executable is its launcher, `trustcap-dbt`
    _warm: WarmDbt | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        if Path(self.dbt_executable).name != WARM_LAUNCHER:
            return
        try:
            settings = Settings.from_env()
        except SettingsError:
            return  # the run stops on it with its own message; dbt needs no warm process
        warm = WarmDbt.for_run(settings, str(Path(self.project_dir)), str(self.profiles_dir))
        if warm.started_for() is not None:
            return  # the caller's (trustcap run), which the caller stops
        self._warm = warm
        self._warm.start()

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._warm is not None:
            self._warm.stop()
            self._warm = None


def dbt_launcher() -> str:
    """The warm launcher installed beside this Python (pyproject's scripts), or dbt."""
    return installed_launcher() or dbt_executable()


def build_resources() -> dict[str, object]:
    return {
        "settings": SettingsResource(),
        "dbt": VenvDbtCliResource(
            project_dir=dbt_project(),
            profiles_dir=DBT_PROJECT_DIR,
            dbt_executable=dbt_launcher(),
        ),
    }
