"""The quality log: every run's check results, the pipeline_quality mart, the report.

Each run writes `<TC_WAREHOUSE_DIR>/quality/results/<run_id>.parquet` (GX checks,
dbt tests, quarantine counts), whether or not it then publishes; publication turns
the whole log into the `pipeline_quality` mart, so a failed run shows up there at
the next publication. `quality/report.html` is the latest run's static report.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

import polars as pl

from core.quality.report import per_asset
from shared.files import write_atomic

RESULT_SCHEMA = {
    "run_id": pl.String(),
    "checked_at": pl.Datetime("us"),
    "asset": pl.String(),
    "check_name": pl.String(),
    "check_source": pl.String(),  # great_expectations | dbt | ingestion
    "passed": pl.Boolean(),
    "severity": pl.String(),  # blocking | warning
    "observed_value": pl.String(),
    "quarantined_rows": pl.Int64(),
    "description": pl.String(),
}
REPORT_NAME = "report.html"


def results_dir(quality_dir: Path) -> Path:
    return quality_dir / "results"


def write_results(quality_dir: Path, run_id: str, rows: list[dict]) -> pl.DataFrame:
    """One file per run; rewriting it on a retried run replaces, never duplicates.
    Returns the run's results as written."""
    frame = (
        pl.DataFrame(rows, schema=RESULT_SCHEMA)
        .with_columns(run_id=pl.lit(run_id))
        .sort("checked_at", "run_id", "asset", "check_name")
    )
    target = results_dir(quality_dir) / f"{run_id}.parquet"
    write_atomic(target, frame.write_parquet)
    return frame


def read_results(quality_dir: Path, run_id: str | None = None) -> pl.DataFrame:
    folder = results_dir(quality_dir)
    files = [folder / f"{run_id}.parquet"] if run_id else sorted(folder.glob("*.parquet"))
    files = [f for f in files if f.exists()]
    if not files:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    return pl.concat([pl.read_parquet(f) for f in files]).sort(
        "checked_at", "run_id", "asset", "check_name"
    )


def latest_results(quality_dir: Path) -> pl.DataFrame:
    """The results of the most recent run that logged any."""
    files = list(results_dir(quality_dir).glob("*.parquet"))
    if not files:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    newest = max(files, key=lambda f: f.stat().st_mtime_ns)
    return pl.read_parquet(newest)


def blocking_failures(results: pl.DataFrame) -> pl.DataFrame:
    return results.filter(~pl.col("passed") & (pl.col("severity") == "blocking"))


def quarantine_rows(counts: dict[str, dict[str, int]], checked_at: datetime) -> list[dict]:
    rows = []
    for entity, c in sorted(counts.items()):
        files = c["files_quarantined"]
        observed = f"{c['rows_quarantined']} rows quarantined, {c['rows_loaded']} loaded" + (
            f", {files} whole file{'s' if files != 1 else ''} quarantined" if files else ""
        )
        rows.append(
            {
                "checked_at": checked_at,
                "asset": "raw/" + entity.replace("/", "__"),
                "check_name": "rows_quarantined",
                "check_source": "ingestion",
                "passed": c["rows_quarantined"] == 0 and files == 0,
                "severity": "warning",
                "observed_value": observed,
                "quarantined_rows": c["rows_quarantined"],
                "description": "rows (and whole files) that broke the landing contract, "
                "kept in <TC_WAREHOUSE_DIR>/quarantine with their reason",
            }
        )
    return rows


def _asset_rows(results: pl.DataFrame) -> str:
    return "\n".join(
        "<tr class='{cls}'><td>{asset}</td><td>{checks}</td><td>{failed}</td>"
        "<td>{warnings}</td><td>{worst}</td></tr>".format(
            cls="fail" if r["failed"] else ("warn" if r["warnings"] else "ok"),
            asset=html.escape(r["asset"]),
            checks=r["checks"],
            failed=r["failed"],
            warnings=r["warnings"],
            worst=html.escape(r["worst_failure"] or ""),
        )
        for r in per_asset(results).iter_rows(named=True)
    )


def write_report(quality_dir: Path, results: pl.DataFrame, run_id: str) -> Path:
    """A static HTML page of one run's results: one line per asset, failures first,
    then every check, failures first."""
    ordered = results.sort(
        pl.col("passed"), pl.col("severity"), pl.col("asset"), pl.col("check_name")
    )
    failed_blocking = blocking_failures(results).height
    warnings = results.filter(~pl.col("passed") & (pl.col("severity") == "warning")).height
    checked_at = results["checked_at"].max() if results.height else None
    rows = "\n".join(
        "<tr class='{cls}'><td>{status}</td><td>{sev}</td><td>{asset}</td><td>{name}</td>"
        "<td>{src}</td><td>{obs}</td><td>{desc}</td></tr>".format(
            cls="ok" if r["passed"] else ("fail" if r["severity"] == "blocking" else "warn"),
            status="passed" if r["passed"] else "FAILED",
            sev=html.escape(r["severity"]),
            asset=html.escape(r["asset"]),
            name=html.escape(r["check_name"]),
            src=html.escape(r["check_source"]),
            obs=html.escape(r["observed_value"] or ""),
            desc=html.escape(r["description"] or ""),
        )
        for r in ordered.iter_rows(named=True)
    )
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Trust Capital data quality — run {html.escape(run_id)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 4px 8px; }}
tr.fail {{ background: #f8d0d0; }} tr.warn {{ background: #fbeec0; }}
</style></head><body>
<h1>Data quality, run {html.escape(run_id)}</h1>
<p>Checked at {checked_at} UTC: {results.height} checks, {failed_blocking} blocking failures,
{warnings} warnings. Blocking failures stop publication: the previous published files stay
as they were.</p>
<h2>Per asset</h2>
<table><tr><th>asset</th><th>checks</th><th>failed</th><th>warnings</th><th>worst failure</th></tr>
{_asset_rows(results)}
</table>
<h2>Every check</h2>
<table><tr><th>result</th><th>severity</th><th>asset</th><th>check</th><th>source</th>
<th>observed</th><th>expectation</th></tr>
{rows}
</table></body></html>
"""
    target = quality_dir / REPORT_NAME
    write_atomic(target, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return target
