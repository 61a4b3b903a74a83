"""The human-readable summary printed at the end of a run, read from the published marts
and the quarantine/ingest log Parquet (never the working warehouse, which may be busy)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from core.marts import published_marts, stated_empty_reasons
from core.publish import explain_empty_marts
from core.settings import Settings
from ingestion.load import (
    StoragePaths,
    loaded_row_counts,
    pending_files,
    quarantine_counts,
    unknown_landing_files,
)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.0%}"


def _f(value: object, spec: str = ",") -> str:
    """A figure, or n/a where the data gave none (a landing without some entities)."""
    return "n/a" if value is None else format(value, spec)


def _section(name: str, build, *args) -> list[str]:
    """One part of the summary; a part that cannot be read says so in one line
    instead of ending the command (the run itself is already over)."""
    try:
        return build(*args)
    except (duckdb.Error, TypeError, ValueError, ZeroDivisionError) as exc:
        return [
            f"{name}: could not be summarised ({type(exc).__name__}: {str(exc).splitlines()[0]})"
        ]


def quality_lines(settings: Settings) -> list[str]:
    """The latest run's quality checks: counts, every failure, the report's path."""
    from core.quality.store import REPORT_NAME, latest_results

    results = latest_results(settings.quality_dir)
    if results.height == 0:
        return ["Quality: no checks have run yet"]
    failed = results.filter(~pl.col("passed"))
    blocking = failed.filter(pl.col("severity") == "blocking")
    lines = [
        f"Quality (run {results['run_id'][0]}): {results.height} checks, "
        f"{blocking.height} blocking failures, {failed.height - blocking.height} warnings"
    ]
    for r in failed.sort("severity", "asset", "check_name").iter_rows(named=True):
        lines.append(f"  {r['severity']}: {r['asset']} {r['check_name']}: {r['observed_value']}")
    lines.append(f"  report: {settings.quality_dir / REPORT_NAME}")
    return lines


def _voice_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    v = con.execute(
        """select sum(mentions), sum(negative_mentions) / nullif(sum(scored_mentions), 0),
                  sum(mentions) - sum(scored_mentions)
           from marts.voice_of_market where topic = 'all'"""
    ).fetchone()
    if not v[0]:
        return ["Voice of the market: no member text in the data."]
    top = con.execute(
        """select topic, sum(negative_mentions) as negatives from marts.voice_of_market
           where topic not in ('all', 'unclassified') group by topic
           order by negatives desc, topic limit 3"""
    ).fetchall()
    lines = [
        f"Voice of the market: {_f(v[0])} member texts, {_f(v[1], '.1%')} negative; "
        f"{_f(v[2])} unscored (language not covered); most negative mentions: "
        + (", ".join(f"{t} ({_f(n)})" for t, n in top) or "none")
    ]
    crises = con.execute(
        """select platform, started_on, ended_on, negative_mentions, severity,
                  amplification_score, suspected_amplification, revenue_change_pct
           from marts.crisis_events where platform <> 'all' order by started_on"""
    ).fetchall()
    lines.append(f"Crises: {len(crises)} detected (per platform; 'all' rows in the mart)")
    for c in crises:
        kind = "suspected amplification" if c[6] else "organic"
        revenue = f"{c[7]:+.1f} %" if c[7] is not None else "not yet measurable"
        lines.append(
            f"  {c[0]} {c[1]} to {c[2]}: {_f(c[3])} negative mentions ({_f(c[4], '.0f')}x "
            f"usual), {kind} (score {_f(c[5], '.2f')}), revenue change {revenue}"
        )
    return lines


def _trust_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    t = con.execute(
        """select count(*), count(*) filter (where trust_tier in ('trusting', 'advocate')),
                  count(*) filter (where trust_tier in ('betrayed', 'at_risk')),
                  count(*) filter (where is_silent_satisfied), max(as_of_on)
           from marts.customer_trust"""
    ).fetchone()
    if not t[0]:
        return ["Trust capital: no contact in the data."]
    lines = [
        f"Trust capital (as of {t[4]}): {_f(t[0])} contacts, {_f(t[1])} trusting or "
        f"advocates, {_f(t[2])} betrayed or at risk, {_f(t[3])} silent satisfied (no online "
        "activity)"
    ]
    stock = con.execute(
        """select min(date), max(date), arg_min(trust_capital, date),
                  arg_max(trust_capital, date) from marts.trust_capital_daily"""
    ).fetchone()
    if stock[0] is not None:
        lines.append(
            f"  brand stock {_f(stock[2], ',.0f')} on {stock[0]} -> {_f(stock[3], ',.0f')} "
            f"on {stock[1]}"
        )
    validity = con.execute(
        """select measure, any_value(top_bottom_retention_ratio),
                  any_value(decile_retention_spearman), any_value(cutoffs)
           from marts.trust_validity group by measure order by measure desc"""
    ).fetchall()
    if validity:
        lines.append(
            f"  next-90-day retention, top decile / bottom decile ({validity[0][3]} cutoffs): "
            + ", ".join(
                f"{m} {r:.2f}x (Spearman {_f(rho, '+.2f')})" if r is not None else f"{m} n/a"
                for m, r, rho, _ in validity
            )
        )
    else:
        lines.append("  trust validity: not enough history for a cutoff (needs 270 days)")
    minority = con.execute(
        """select count(*), count(distinct platform) from marts.advocates
           where in_unlocking_minority"""
    ).fetchone()
    lines.append(
        f"  unlocking minority: {_f(minority[0])} advocate accounts on {minority[1]} platform(s)"
    )
    return lines


def _responsiveness_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    r = con.execute(
        """select sum(inbound), sum(answered),
                  sum(answered) / nullif(sum(inbound), 0),
                  median(median_first_response_minutes), min(date), max(date)
           from marts.responsiveness_daily where platform = 'all'"""
    ).fetchone()
    if not r[0]:
        return ["Responsiveness: no inbound activity in the data."]
    response = (
        f"median of daily median first response {r[3]:.0f} min"
        if r[3] is not None
        else "no reply by a brand account in the data (social/accounts marks them is_brand)"
    )
    return [
        f"Responsiveness ({r[4]} to {r[5]}): {_f(r[0])} inbound, {_f(r[1])} answered "
        f"within the window ({_f(r[2], '.1%')}); {response}"
    ]


def _roi_lines(con: duckdb.DuckDBPyConnection, currency: str) -> list[str]:
    roi = con.execute(
        """select window_start, window_end, cost, engaged_customers, naive_revenue,
                  naive_roi, incremental_revenue, incremental_revenue_low,
                  incremental_revenue_high, roi, roi_low, roi_high,
                  unresolved_engaging_account_share, method
           from marts.community_roi_summary where platform = 'all'"""
    ).fetchone()
    if roi is None:
        return ["Community ROI: no row in community_roi_summary (see the empty marts below)."]
    if roi[6] is None:
        return [f"Community ROI: {roi[13]}"]
    return [
        f"Community ROI ({roi[0]} to {roi[1]}, {_f(roi[3])} engaged customers, "
        f"cost {_f(roi[2], ',.0f')} {currency}):\n"
        f"  naive:  revenue {_f(roi[4], ',.0f')}, ROI {_pct(roi[5])}\n"
        f"  causal: revenue {_f(roi[6], ',.0f')} (90 % interval {_f(roi[7], ',.0f')} to "
        f"{_f(roi[8], ',.0f')}), ROI {_pct(roi[9])} ({_pct(roi[10])} to {_pct(roi[11])}) "
        f"[{roi[13]}]\n"
        f"  {roi[12] or 0:.0%} of engaging social accounts are not linked to a "
        "contact: their effect is not measured"
    ]


def _health_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    h = con.execute(
        """select period, engaged_customers, active_authors, peer_to_peer_replies,
                  followers
           from marts.community_health_monthly where platform = 'all'
           order by period desc limit 2"""
    ).fetchall()
    if not h:
        return []
    # the newest month is usually incomplete; show the last full one when there is one
    p = h[1] if len(h) > 1 else h[0]
    return [
        f"Community health ({p[0]:%Y-%m}): {_f(p[1])} engaged customers, "
        f"{_f(p[2])} active authors, {_f(p[3])} peer-to-peer replies, "
        f"{_f(p[4])} followers (vanity)"
    ]


def _marts_lines(con: duckdb.DuckDBPyConnection, paths: StoragePaths) -> list[str]:
    """Rows per mart, and why each empty one is empty."""
    marts = published_marts()
    counts = [(t, con.execute(f"select count(*) from marts.{t}").fetchone()[0]) for t in marts]
    lines = ["Marts: " + ", ".join(f"{t} ({n:,} rows)" for t, n in counts)]
    empty = explain_empty_marts(
        dict(counts), marts, loaded_row_counts(paths), stated_empty_reasons()
    )
    lines.extend(f"  {mart} is empty: {reason}" for mart, reason in empty.items())
    return lines


def build_summary(settings: Settings) -> str:
    lines = ["", "Trust Capital — run summary", "=" * 28]
    paths = StoragePaths(settings.raw_dir, settings.quarantine_dir, settings.ingest_log_dir)
    published = settings.published_path
    if not published.exists():
        lines.append("No publication yet: the marts were never published (see the errors above).")
    else:
        con = duckdb.connect(str(published), read_only=True)
        try:
            info = con.execute(
                "select publication_id, published_at from marts.publication_info"
            ).fetchone()
            lines.append(f"Publication {info[0]} at {info[1]} UTC")
            lines.extend(_section("Responsiveness", _responsiveness_lines, con))
            lines.extend(_section("Community ROI", _roi_lines, con, settings.reporting_currency))
            lines.extend(_section("Community health", _health_lines, con))
            lines.extend(_section("Voice of the market", _voice_lines, con))
            lines.extend(_section("Trust capital", _trust_lines, con))
            lines.extend(_section("Marts", _marts_lines, con, paths))
        finally:
            con.close()
    q = [
        (e, c["rows_quarantined"], c["files_quarantined"])
        for e, c in quarantine_counts(paths).items()
        if c["rows_quarantined"] or c["files_quarantined"]
    ]
    if q:
        total_rows = sum(r for _, r, _ in q)
        total_files = sum(f for _, _, f in q)
        detail = ", ".join(f"{e}: {r} rows/{f} files" for e, r, f in q)
        lines.append(
            f"Quarantine: {total_rows:,} rows and {total_files} whole files ({detail}); "
            "query quarantine.quarantined_rows in the warehouse for reasons"
        )
    else:
        lines.append("Quarantine: nothing quarantined")
    lines.extend(quality_lines(settings))
    strays = unknown_landing_files(settings.landing_dir)
    if strays:
        shown = ", ".join(p.relative_to(settings.landing_dir).as_posix() for p in strays[:5])
        lines.append(
            f"Not loaded: {len(strays)} file(s) outside <source>/<entity>/ of the landing "
            f"contract ({shown}{', …' if len(strays) > 5 else ''})"
        )
    unread = pending_files(settings.landing_dir, paths)
    if unread:
        shown = ", ".join(Path(p).name for p in unread[:5])
        lines.append(
            f"Not read yet: {len(unread)} landing file(s) still being written or newer than "
            f"the last run ({shown}{', …' if len(unread) > 5 else ''}); the next run reads them"
        )
    warehouse = (
        str(settings.warehouse_path)
        if settings.engine == "duckdb"
        else f"Spark tables in {settings.spark_dir / 'tables'} (catalog {settings.spark_dir / 'metastore'})"
    )
    lines += [
        f"Warehouse:         {warehouse}",
        f"Published (BI):    {settings.published_path}",
        f"Published Parquet: {settings.published_parquet_dir}/",
    ]
    return "\n".join(lines)
