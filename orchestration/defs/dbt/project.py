"""The one DbtProject. Its manifest is prepared by `trustcap` (dbt parse) or by
`dagster dev` (prepare_if_dev); DbtProject reads dbt_project.yml, so it is made when
the definitions load, not when this module is imported."""

from functools import cache

from dagster_dbt import DbtProject

from core.settings import DBT_PROJECT_DIR


@cache
def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
