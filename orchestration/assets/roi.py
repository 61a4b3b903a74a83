"""The causal ROI estimator (analytics/roi.py) as an asset between the two dbt steps."""

import duckdb
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from analytics.files import write_parquet_atomic
from analytics.roi import empty_result, estimate, load_inputs
from orchestration.resources import SettingsResource
from trustcap.warehouse import readable_warehouse

OUTPUTS = {
    "roi_incremental_monthly": "monthly",
    "roi_incremental_summary": "summary",
    "roi_incremental_campaign": "campaign",
    "roi_coefficients": "coefficients",
}
INPUTS = [
    AssetKey(["intermediate", "int_engagements_started"]),
    AssetKey(["intermediate", "int_contact_revenues_monthly"]),
    AssetKey(["intermediate", "int_accounts_resolved"]),
    AssetKey(["staging", "stg_crm__contacts"]),
]


@multi_asset(
    specs=[
        AssetSpec(
            AssetKey(["analytics", name]),
            deps=INPUTS,
            group_name="analytics",
            kinds={"python", "parquet"},
            description=(
                "Causal effect of engagement on revenue: Poisson difference-in-differences "
                "with contact and stratum-by-month fixed effects, 90 % intervals from "
                "contact-clustered errors (see analytics/roi.py). "
                f"This table: {part} results."
            ),
        )
        for name, part in OUTPUTS.items()
    ],
)
def roi_estimates(context: AssetExecutionContext, settings: SettingsResource):
    s = settings.get()
    with readable_warehouse(s) as warehouse:
        con = duckdb.connect(str(warehouse), read_only=True, config=s.duckdb_config())
        try:
            inputs = load_inputs(con)
        finally:
            con.close()
    try:
        result = estimate(inputs, min_pre_months=s.roi_min_pre_months)
    except Exception as exc:  # a failed fit leaves the ROI marts empty, with the reason
        context.log.error(f"ROI estimation failed: {exc}")
        result = empty_result(f"not estimated: the model fit failed ({exc})")
    for name, part in OUTPUTS.items():
        frame = getattr(result, part)
        write_parquet_atomic(frame, s.analytics_dir / f"{name}.parquet")
    summary = {
        row["platform"]: round(row["incremental_revenue"] or 0.0, 2)
        for row in result.summary.iter_rows(named=True)
    }
    context.log.info(f"incremental revenue by platform: {summary}")
    for name, part in OUTPUTS.items():
        yield MaterializeResult(
            asset_key=AssetKey(["analytics", name]),
            metadata={"rows": getattr(result, part).height, "panel_rows": inputs.panel.height}
            | ({"incremental_revenue": summary} if part == "summary" else {}),
        )
