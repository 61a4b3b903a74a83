"""A run's quality results as people read them: one line per asset, the assets with
failures first (checks run, failed, warnings, the worst failure), then the failed
checks themselves. The same summary is the `trustcap quality` text, the Markdown
in the Dagster UI and the top of the HTML report."""

from __future__ import annotations

import polars as pl

BLOCKING = "blocking"


def _failed_first(results: pl.DataFrame) -> pl.DataFrame:
    """Failed checks, blocking ones first."""
    return results.filter(~pl.col("passed")).sort(
        pl.col("severity") != BLOCKING, "asset", "check_name"
    )


def _said(check_name: str, observed: str | None) -> str:
    return f"{check_name}: {observed}" if observed else check_name


def per_asset(results: pl.DataFrame) -> pl.DataFrame:
    """asset, checks, failed (blocking), warnings (failed warnings), worst failure;
    assets with blocking failures first, then with warnings, then the rest."""
    failing = results.filter(~pl.col("passed"))
    worst = (
        _failed_first(failing)
        .group_by("asset", maintain_order=True)
        .first()
        .select(
            "asset",
            pl.when(pl.col("observed_value").fill_null("") != "")
            .then(pl.concat_str("check_name", pl.lit(": "), "observed_value"))
            .otherwise(pl.col("check_name"))
            .alias("worst_failure"),
        )
    )
    blocking = (~pl.col("passed")) & (pl.col("severity") == BLOCKING)
    warning = (~pl.col("passed")) & (pl.col("severity") != BLOCKING)
    return (
        results.group_by("asset")
        .agg(
            checks=pl.len(),
            failed=blocking.sum(),
            warnings=warning.sum(),
        )
        .join(worst, on="asset", how="left")
        .sort(pl.col("failed") == 0, pl.col("warnings") == 0, "asset")  # failures first
        .with_columns(pl.col("checks", "failed", "warnings").cast(pl.Int64))
    )


def headline(results: pl.DataFrame) -> str:
    failed = results.filter(~pl.col("passed"))
    blocking = failed.filter(pl.col("severity") == BLOCKING).height
    assets = results["asset"].n_unique() if results.height else 0
    return (
        f"{results.height} checks on {assets} assets: {blocking} blocking failures, "
        f"{failed.height - blocking} warnings"
    )


def _cell(value) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def markdown(results: pl.DataFrame, all_assets: bool = False) -> str:
    """The summary as Markdown: per asset (those with failures; `all_assets`: every
    one), then every failed check."""
    table = per_asset(results)
    shown = table if all_assets else table.filter((pl.col("failed") + pl.col("warnings")) > 0)
    lines = [f"**{headline(results)}**", ""]
    if shown.height:
        lines += [
            "| asset | checks | failed | warnings | worst failure |",
            "|---|---:|---:|---:|---|",
        ]
        lines += [
            f"| {_cell(r['asset'])} | {r['checks']} | {r['failed']} | {r['warnings']} "
            f"| {_cell(r['worst_failure'])} |"
            for r in shown.iter_rows(named=True)
        ]
        passed = table.height - shown.height
        if passed:
            lines += ["", f"{passed} more assets: every check passed."]
    failures = _failed_first(results)
    if failures.height:
        lines += [
            "",
            "**Failed checks**",
            "",
            "| severity | asset | check | observed | expectation |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['severity']} | {_cell(r['asset'])} | {_cell(r['check_name'])} "
            f"| {_cell(r['observed_value'])} | {_cell(r['description'])} |"
            for r in failures.iter_rows(named=True)
        ]
    return "\n".join(lines)


def text_lines(results: pl.DataFrame, all_assets: bool = False) -> list[str]:
    """The summary for a terminal: per asset with failures (`all_assets`: every
    asset), then each failed check."""
    if results.height == 0:
        return ["No quality checks have run yet."]
    table = per_asset(results)
    shown = table if all_assets else table.filter((pl.col("failed") + pl.col("warnings")) > 0)
    width = max([len("asset"), *(len(a) for a in shown["asset"])]) if shown.height else 5
    lines = [headline(results)]
    if shown.height:
        lines += ["", f"{'asset':{width}}  checks  failed  warnings  worst failure"]
        lines += [
            f"{r['asset']:{width}}  {r['checks']:6}  {r['failed']:6}  {r['warnings']:8}  "
            f"{r['worst_failure'] or ''}".rstrip()
            for r in shown.iter_rows(named=True)
        ]
    passed = table.height - shown.height
    if passed:
        lines.append(f"{passed} more assets: every check passed (--all lists them).")
    failures = _failed_first(results)
    if failures.height:
        lines += ["", "Failed checks:"]
        lines += [
            f"  {r['severity']}: {r['asset']} {_said(r['check_name'], r['observed_value'])}"
            for r in failures.iter_rows(named=True)
        ]
    return lines
