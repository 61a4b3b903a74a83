"""The one DbtProject. Its manifest is prepared by `trustcap` (dbt parse) or by
`dagster dev` (prepare_if_dev), never by importing this module elsewhere."""

from dagster_dbt import DbtProject

from trustcap.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
