"""The causal ROI estimator (analytics/roi.py) as an asset between the two dbt steps."""

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from analytics.roi import (
    closed_months,
    empty_result,
    estimate,
    inputs_fingerprint,
    load_inputs,
    orders_through,
)
from core.warehouse import readable_warehouse
from orchestration.resources import SettingsResource
from shared.files import write_atomic

OUTPUTS = {
    "roi_incremental_monthly": "monthly",
    "roi_incremental_summary": "summary",
    "roi_incremental_campaign": "campaign",
    "roi_coefficients": "coefficients",
}
INPUTS = [
    AssetKey(["intermediate", "int_engagements_started"]),
    AssetKey(["intermediate", "int_orders_aggregated_to_contact_months"]),
    AssetKey(["intermediate", "int_contact_months_filled"]),
    AssetKey(["staging", "stg_crm__contacts"]),
]


@multi_asset(
    specs=[
        AssetSpec(
            AssetKey(["analytics", name]),
            deps=INPUTS,
            group_name="roi",
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
            # causal figures are monthly: the open month waits until it closes
            inputs = closed_months(load_inputs(con), orders_through(con))
        finally:
            con.close()
    fingerprint = inputs_fingerprint(inputs, s.roi_min_pre_months)
    record_path = s.analytics_dir / "roi_fit.json"
    reused = _reusable_fit(record_path, fingerprint, s.analytics_dir)
    if reused is not None:
        # the same inputs, setting and code give the same estimates: keep them
        context.log.info(f"ROI inputs unchanged: the fit of {reused['fitted_at']} is kept")
        yield from _materializations(
            {name: pl.read_parquet(s.analytics_dir / f"{name}.parquet") for name in OUTPUTS},
            inputs.panel.height,
            reused,
        )
        return
    try:
        result = estimate(inputs, min_pre_months=s.roi_min_pre_months)
        fit_ok = True
    except Exception as exc:  # a failed fit leaves the ROI marts empty, with the reason
        context.log.error(f"ROI estimation failed: {exc}")
        result = empty_result(f"not estimated: the model fit failed ({exc})")
        fit_ok = False
    # the record goes first and comes back last: it never vouches for other files
    record_path.unlink(missing_ok=True)
    frames = {name: getattr(result, part) for name, part in OUTPUTS.items()}
    for name, frame in frames.items():
        write_atomic(s.analytics_dir / f"{name}.parquet", frame.write_parquet)
    record = {
        "inputs_fingerprint": fingerprint,
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reused": False,
    }
    if fit_ok:
        write_atomic(record_path, lambda tmp: tmp.write_text(json.dumps(record)))
    summary = _incremental_revenue(frames["roi_incremental_summary"])
    context.log.info(f"incremental revenue by platform: {summary}")
    yield from _materializations(frames, inputs.panel.height, record)


def _reusable_fit(record_path: Path, fingerprint: str, analytics_dir: Path) -> dict | None:
    """The last fit's record when it was made from exactly these inputs and its
    results are all still there."""
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError):
        return None
    if record.get("inputs_fingerprint") != fingerprint:
        return None
    if not all((analytics_dir / f"{name}.parquet").is_file() for name in OUTPUTS):
        return None
    return record | {"reused": True}


def _incremental_revenue(summary: pl.DataFrame) -> dict[str, float]:
    return {
        row["platform"]: round(row["incremental_revenue"] or 0.0, 2)
        for row in summary.iter_rows(named=True)
    }


def _money(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def summary_markdown(summary: pl.DataFrame) -> str:
    """The estimator's summary as a table for the Dagster UI, `all` first."""
    lines = [
        "| platform | engaged customers | controls | incremental revenue (90 % interval) "
        "| incremental margin | pre-trend p | method |",
        "|---|---:|---:|---|---:|---:|---|",
    ]
    ordered = summary.sort(pl.col("platform") != "all", "platform")
    for r in ordered.iter_rows(named=True):
        p = r["pretrend_p_value"]
        lines.append(
            f"| {r['platform']} | {r['covered_engaged_customers'] or 0:,} "
            f"| {r['control_customers'] or 0:,} | {_money(r['incremental_revenue'])} "
            f"({_money(r['incremental_revenue_low'])} to {_money(r['incremental_revenue_high'])}) "
            f"| {_money(r['incremental_margin'])} | {'–' if p is None else f'{p:.2f}'} "
            f"| {r['method'] or ''} |"
        )
    if summary.height == 0:
        lines.append("| (no estimate) | | | | | | |")
    return "\n".join(lines)


def summary_figures(summary: pl.DataFrame) -> dict[str, float]:
    """The `all` row's incremental revenue and interval, as numbers Dagster plots."""
    rows = summary.filter(pl.col("platform") == "all").to_dicts()
    if not rows:
        return {}
    row = rows[0]
    return {
        f"incremental_revenue_all{suffix}": float(row[f"incremental_revenue{suffix}"])
        for suffix in ("", "_low", "_high")
        if row[f"incremental_revenue{suffix}"] is not None
    }


def _materializations(frames: dict[str, pl.DataFrame], panel_rows: int, record: dict):
    fit = {"fit_reused": record["reused"], "fitted_at": record["fitted_at"]}
    for name, frame in frames.items():
        yield MaterializeResult(
            asset_key=AssetKey(["analytics", name]),
            metadata={"rows": frame.height, "panel_rows": panel_rows}
            | fit
            | (
                {
                    "incremental_revenue": _incremental_revenue(frame),
                    "summary": MetadataValue.md(summary_markdown(frame)),
                }
                | {k: MetadataValue.float(v) for k, v in summary_figures(frame).items()}
                if name == "roi_incremental_summary"
                else {}
            ),
        )
