"""Resources shared by the assets. Settings are read when a run starts, not at import."""

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from orchestration.project import dbt_project
from trustcap.settings import Settings, dbt_executable


class SettingsResource(ConfigurableResource):
    """The run's settings (environment variables, resolved and validated)."""

    def get(self) -> Settings:
        settings = Settings.from_env()
        settings.export_env()  # dbt subprocesses read TC_WAREHOUSE_DIR from the environment
        return settings


def build_resources() -> dict[str, object]:
    return {
        "settings": SettingsResource(),
        "dbt": DbtCliResource(
            project_dir=dbt_project,
            profiles_dir=dbt_project.project_dir,
            dbt_executable=dbt_executable(),
        ),
    }
