"""The dbt project as Dagster assets; dbt tests become asset checks."""

import hashlib
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from core.settings import MANIFEST_PATH
from orchestration.defs.dbt.metadata import with_warehouse_metadata
from orchestration.defs.dbt.project import dbt_project
from orchestration.resources import SettingsResource
from shared.files import write_atomic


class TrustcapTranslator(DagsterDbtTranslator):
    """Models are keyed <schema>/<name> (marts/responsiveness_daily), sources
    <source>/<table> (raw/social__activities, the ingestion assets' keys). Groups are
    domains, not layers: a model's group is its folder under its layer
    (models/<layer>/<domain>/), so the ROI models of every layer are under "roi"."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return domain_of(dbt_resource_props)


# seeds are reference tables of one domain each
SEED_DOMAINS = {"topic_terms": "voice", "trust_event_weights": "trust"}


def domain_of(props: Mapping[str, Any]) -> str:
    """The Dagster group of a dbt source, seed or model."""
    kind, name = props["resource_type"], props["name"]
    if kind == "source":
        return "ingestion"
    if kind == "seed":
        return SEED_DOMAINS.get(name, "reference")
    folder = props["fqn"][2] if len(props["fqn"]) > 3 else props["fqn"][1]
    if folder == "analytics":  # staging of the Python analytics' results: roi_* or voice's
        return "roi" if name.startswith("stg_analytics__roi_") else "voice"
    return folder


# Models downstream of the Python analytics' results run in a second dbt step,
# after the estimators: dbt -> analytics (Python) -> dbt.
AFTER_ANALYTICS = "source:analytics+"


def _build(context: AssetExecutionContext, dbt: DbtCliResource, settings: SettingsResource):
    s = settings.get()
    # dagster-dbt hands dbt this process's environment: profiles.yml reads the
    # warehouse folder and the engine's settings from it
    os.environ.update(s.subprocess_env())
    # unit tests check the SQL's formulas on fixed rows, not the data: they run in the
    # test suite (tests/pipeline/test_pipeline.py), not on every run, as dbt advises;
    # they were a quarter of a small run's dbt time
    # --no-write-json: nothing reads this invocation's manifest.json and run_results.json
    # (Dagster has the project's manifest; events come from dbt's log stream), and
    # writing them cost about 1 s a step (its partial parse is still saved)
    # --log-level-file none: dbt's file log goes to the step's target folder, which the
    # step deletes; dbt formats every event for it before dropping those below the
    # level (dbt_project.yml's `warn`), 0.7 s of an 8.8-s demo build (medians of 4).
    # The run's log keeps dbt's whole JSON event stream.
    handed_in = _parse_file_digest(MANIFEST_PATH.parent / "partial_parse.msgpack")
    invocation = dbt.cli(
        [
            "--log-level-file",
            "none",
            "build",
            "--no-write-json",
            "--exclude-resource-type",
            "unit_test",
            "--vars",
            s.dbt_vars_argument(),
        ],
        context=context,
    )
    # row counts, column types and the marts' headline figures for the Dagster UI
    try:
        yield from with_warehouse_metadata(
            invocation.stream(), invocation.manifest, s, context.log.warning
        )
    finally:  # a failed step's folder too (they piled up in the project's target/)
        _keep_parse_and_clean_up(Path(invocation.target_path), handed_in)


def _parse_file_digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def _keep_parse_and_clean_up(invocation_target: Path, handed_in: str | None) -> None:
    """dagster-dbt gives each invocation a target folder seeded with the project's
    partial_parse.msgpack. Hand this invocation's parse back, so the next dbt step
    with the same vars and profile parses partially (3.7 s instead of 7.4 s here),
    and drop the folder, which would otherwise pile up one per step and run. Only a
    parse dbt wrote in this step: a command run on the warm process's parse
    (orchestration/warm_dbt.py) parses nothing, and its folder holds the file as it
    was handed in, older than the one the warm process has written meanwhile."""
    project_target = MANIFEST_PATH.parent
    if invocation_target.resolve() == project_target.resolve():
        return
    parsed = invocation_target / "partial_parse.msgpack"
    if parsed.exists() and _parse_file_digest(parsed) != handed_in:
        kept = project_target / "partial_parse.msgpack"
        write_atomic(kept, lambda tmp: shutil.copyfile(parsed, tmp))
    shutil.rmtree(invocation_target, ignore_errors=True)


def build_dbt_assets() -> list[AssetsDefinition]:
    """The two dbt steps as assets. dagster-dbt reads the manifest here, so this is
    called when the definitions load, never at import."""

    @dbt_assets(
        manifest=MANIFEST_PATH,
        project=dbt_project(),
        exclude=AFTER_ANALYTICS,
        dagster_dbt_translator=TrustcapTranslator(),
    )
    def trustcap_dbt_models(
        context: AssetExecutionContext, dbt: DbtCliResource, settings: SettingsResource
    ):
        yield from _build(context, dbt, settings)

    @dbt_assets(
        manifest=MANIFEST_PATH,
        project=dbt_project(),
        select=AFTER_ANALYTICS,
        dagster_dbt_translator=TrustcapTranslator(),
    )
    def trustcap_dbt_after_analytics(
        context: AssetExecutionContext, dbt: DbtCliResource, settings: SettingsResource
    ):
        from core.quality.gx_runner import prewarm
        from orchestration.defs.quality.checks import QUALITY_GATE_OP

        # the quality checks come next: let their worker import GX while dbt builds
        if context.job_def.graph.has_node_named(QUALITY_GATE_OP):
            prewarm()
        yield from _build(context, dbt, settings)

    return [trustcap_dbt_models, trustcap_dbt_after_analytics]
