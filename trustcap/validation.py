"""`trustcap validate`: run the whole pipeline on worlds of the family and judge each
analytic against the truth planted in them (docs/validation.md).

Each world runs in a child process (the same job as `trustcap run`), so a failure or
a leak in one world cannot touch the next; the parent collects one JSON record per
world and prints, per analytic, how often each criterion of issue 18 held, and the
ROI coverage and bias tables. Records go to <dir>/worlds.jsonl.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from core.publish import pseudonym_key, pseudonymised, published_tables

PLATFORMS = ("twitter", "instagram", "facebook")


# ------------------------------------------------------------------ truth per analytic


def roi_truth(
    contacts: pl.DataFrame, orders: pl.DataFrame, window_start, window_end
) -> dict[str, dict[str, float]]:
    """Incremental revenue of the covered cohorts (engaged in [window_start, window_end]),
    orders from their engagement start, per platform and 'all' (truth contacts, orders).

    `incremental_revenue` is the estimand the estimate claims: contacts with at least one
    completed order in the data up to window_end (analytics/roi.py: a customer who never
    bought tells a contact-fixed-effects design nothing, and the mart counts them apart,
    engaged_customers_without_orders). `incremental_revenue_all_engaged` adds what a
    complaint cost those who never bought: the loss the estimate cannot see."""
    start = datetime.combine(window_start, datetime.min.time())
    end = datetime.combine(window_end, datetime.max.time().replace(microsecond=0))
    # covered: engaged in the window, and a customer (CRM creation month) before the
    # month of engaging, as the estimator defines it (analytics/roi.py)
    covered = contacts.filter(
        pl.col("engaged_at").is_between(start, end),
        pl.col("created_at").dt.truncate("1mo") < pl.col("engaged_at").dt.truncate("1mo"),
    )
    landed = orders.filter(
        pl.col("status") == "completed",
        ~pl.col("is_lost_to_complaint"),
        pl.col("ordered_at") <= end,
    )
    buyers = covered.filter(pl.col("contact_id").is_in(landed["contact_id"].unique().implode()))
    joined = (
        orders.filter(pl.col("status") == "completed")
        .join(covered, on="contact_id")
        .filter((pl.col("ordered_at") >= pl.col("engaged_at")) & (pl.col("ordered_at") <= end))
    )
    joined = joined.with_columns(
        is_buyer=pl.col("contact_id").is_in(buyers["contact_id"].implode())
    )

    def effect(sel: pl.DataFrame) -> float:
        rev, inc, lost = sel["revenue_eur"], sel["is_incremental"], sel["is_lost_to_complaint"]
        return float(rev.filter(inc).sum() - rev.filter(lost).sum())

    out = {}
    for platform in (*PLATFORMS, "all"):
        sel = joined if platform == "all" else joined.filter(pl.col("engaged_platform") == platform)
        out[platform] = {
            "incremental_revenue": effect(sel.filter(pl.col("is_buyer"))),
            "incremental_revenue_all_engaged": effect(sel),
            "naive_revenue": float(sel["revenue_eur"].filter(~sel["is_lost_to_complaint"]).sum()),
        }
    return out


def _scores(predicted: set, planted: set) -> dict[str, float]:
    hits = len(predicted & planted)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(planted) if planted else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return {
        "flagged": len(predicted),
        "planted": len(planted),
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def _overlaps(rows: pl.DataFrame, platform: str, start: date, end: date) -> pl.DataFrame:
    """Incidents on the crisis's platform (or 'all') that overlap it, two days' slack."""
    return rows.filter(
        pl.col("platform").is_in([platform, "all"]),
        pl.col("started_on") <= end + timedelta(days=2),
        pl.col("ended_on") >= start - timedelta(days=2),
    )


def evaluate(
    published: duckdb.DuckDBPyConnection, truth_dir: Path, key: bytes | None = None
) -> dict:
    """Every criterion of issue 18 that applies to this world, from its published marts.

    `key`: the warehouse's pseudonym key; the truth's ids are compared as published
    (pseudonymised) when it is given, raw otherwise (TC_PUBLISH_RAW_IDS)."""
    truth = json.loads((truth_dir / "truth.json").read_text())
    config = truth["config"]
    sources = config.get("sources", "all")
    contacts = pl.read_parquet(truth_dir / "contacts.parquet")
    orders = pl.read_parquet(truth_dir / "orders.parquet")
    record: dict = {"seed": config["seed"], "sources": sources}

    def mart(sql: str) -> pl.DataFrame:
        return published.execute(sql).pl()

    tables = set(published_tables(published))

    # ---------------------------------------------------------------- ROI
    if sources == "all" and "community_roi_summary" in tables:
        est = {
            r["platform"]: r
            for r in mart("select * from marts.community_roi_summary").iter_rows(named=True)
        }
        if "all" in est and est["all"]["window_start"] is not None:
            planted = roi_truth(
                contacts, orders, est["all"]["window_start"], est["all"]["window_end"]
            )
            roi = {}
            for platform in (*PLATFORMS, "all"):
                e = est.get(platform)
                if e is None or e["incremental_revenue"] is None:
                    continue
                roi[platform] = {
                    "uplift": config["uplift"].get(platform) if platform != "all" else None,
                    "truth": planted[platform]["incremental_revenue"],
                    "truth_all_engaged": planted[platform]["incremental_revenue_all_engaged"],
                    "estimate": e["incremental_revenue"],
                    "low": e["incremental_revenue_low"],
                    "high": e["incremental_revenue_high"],
                    "naive": e.get("naive_revenue"),
                    "pretrend_ok": e.get("pretrend_ok"),
                }
            record["roi"] = roi

    # ---------------------------------------------------------------- advocates
    def as_published(frame: pl.DataFrame, column: str, kind: str) -> pl.DataFrame:
        return frame if key is None else pseudonymised(frame, column, kind, key)

    if sources != "crm_only" and "advocates" in tables:
        chosen = mart("select account_id from marts.advocates where in_unlocking_minority")
        planted_accounts = as_published(
            pl.DataFrame({"account_id": truth["advocates"]}, schema={"account_id": pl.String}),
            "account_id",
            "social_account",
        )
        record["advocates"] = _scores(
            set(chosen["account_id"].to_list()), set(planted_accounts["account_id"].to_list())
        )

    # ---------------------------------------------------------------- silent satisfied
    if sources == "all" and "customer_trust" in tables:
        trust = mart(
            "select contact_id, is_silent_satisfied, online_activities, completed_orders, "
            "survey_satisfaction from marts.customer_trust"
        )
        silent = contacts.filter(pl.col("is_silent_satisfied")).select("contact_id")
        planted = set(as_published(silent, "contact_id", "contact")["contact_id"].to_list())
        predicted = set(trust.filter(pl.col("is_silent_satisfied"))["contact_id"].to_list())
        record["silent_satisfied"] = _scores(predicted, planted)
        record["silent_satisfied_baseline"] = _scores(
            recency_frequency_survey(trust, as_published(orders, "contact_id", "contact")),
            planted,
        )

    # ---------------------------------------------------------------- crises
    if sources != "crm_only" and "crisis_events" in tables:
        incidents = mart(
            "select platform, started_on, ended_on, suspected_amplification "
            "from marts.crisis_events"
        )
        crises = {}
        matched = pl.Series("m", [False] * incidents.height)
        for kind, planted in truth["crises"].items():
            start, end = date.fromisoformat(planted["start"]), date.fromisoformat(planted["end"])
            hits = _overlaps(incidents, planted["platform"], start, end)
            crises[kind] = {
                "found": hits.height > 0,
                "flag_right": hits.height > 0
                and bool(hits["suspected_amplification"].any()) == planted["amplified"],
            }
            matched = matched | (
                incidents["platform"].is_in([planted["platform"], "all"])
                & (incidents["started_on"] <= end + timedelta(days=2))
                & (incidents["ended_on"] >= start - timedelta(days=2))
            )
        years = truth["window"]["months"] / 12
        crises["false_incidents"] = int((~matched).sum())
        crises["false_incidents_per_year"] = crises["false_incidents"] / years
        crises["launch_on"] = truth.get("launch_on")
        record["crises"] = crises

    # ---------------------------------------------------------------- trust validity
    if sources == "all" and "trust_validity" in tables:
        validity = mart("select * from marts.trust_validity order by measure, decile")
        by = {}
        for (measure,), frame in validity.group_by("measure"):
            row = frame.row(0, named=True)
            by[measure] = {
                "spearman": row["decile_retention_spearman"],
                "top_bottom": row["top_bottom_retention_ratio"],
                "top_bottom_low": row.get("top_bottom_retention_ratio_low"),
                "top_bottom_high": row.get("top_bottom_retention_ratio_high"),
                "spread": float(
                    frame["retained_next_90d_share"].max() - frame["retained_next_90d_share"].min()
                ),
            }
        by["followers_independent"] = config.get("followers_value_slope", 0.0) == 0.0
        record["trust_validity"] = by
    return record


def recency_frequency_survey(trust: pl.DataFrame, orders: pl.DataFrame) -> set[str]:
    """The plain rule silent satisfied must beat: offline contacts who bought recently
    (last completed order in the last 90 days), often (completed orders at least the
    buyers' 75th percentile) and answered surveys well (average at least 0.8)."""
    orders = orders.filter(pl.col("status") == "completed", ~pl.col("is_lost_to_complaint"))
    last_day = orders["ordered_at"].max()
    recent = set(
        orders.group_by("contact_id")
        .agg(pl.col("ordered_at").max())
        .filter(pl.col("ordered_at") >= last_day - timedelta(days=90))["contact_id"]
        .to_list()
    )
    buyers = trust.filter(pl.col("completed_orders") > 0)
    often = buyers["completed_orders"].quantile(0.75, "nearest") if buyers.height else 0
    rule = trust.filter(
        pl.col("online_activities") == 0,
        pl.col("completed_orders") >= often,
        pl.col("survey_satisfaction") >= 0.8,
    )
    return set(rule["contact_id"].to_list()) & recent


# ------------------------------------------------------------------ criteria over worlds


def criteria(records: list[dict]) -> dict[str, dict]:
    """Pass rate of each criterion of issue 18 over the worlds it applies to."""
    out: dict[str, dict] = {}

    def rate(name: str, values: list[bool], target: str) -> None:
        out[name] = {
            "worlds": len(values),
            "pass_rate": (sum(values) / len(values)) if values else None,
            "target": target,
        }

    roi = [r["roi"] for r in records if r.get("roi")]
    for platform in (*PLATFORMS, "all"):
        cells = [w[platform] for w in roi if platform in w]
        rate(
            f"roi: 90% interval covers the truth ({platform})",
            [c["low"] <= c["truth"] <= c["high"] for c in cells],
            "80-97 %",
        )
    rate(
        "roi: pre-trend test passes, every platform of the world (a 5 % test)",
        [all(c.get("pretrend_ok") is not False for c in w.values()) for w in roi],
        "about 80-95 % (4 tests a world)",
    )
    zero = [c for w in roi for p, c in w.items() if p != "all" and c["uplift"] == 0.0]
    rate(
        "roi: zero-uplift platform's interval contains 0",
        [c["low"] <= 0 <= c["high"] for c in zero],
        ">= 85 %",
    )
    # no uplift is not no effect: unanswered complaints on that platform still cost
    # revenue, so its truth is often below 0 and the criterion above can disagree with it
    rate(
        "roi: zero-uplift platform's interval covers its truth",
        [c["low"] <= c["truth"] <= c["high"] for c in zero],
        "80-97 % (as coverage)",
    )
    adv = [r["advocates"] for r in records if r.get("advocates") and r["advocates"]["planted"]]
    rate(
        "advocates: precision and recall >= 0.6",
        [a["precision"] >= 0.6 and a["recall"] >= 0.6 for a in adv],
        ">= 80 %",
    )
    silent = [
        (r["silent_satisfied"], r["silent_satisfied_baseline"])
        for r in records
        if r.get("silent_satisfied")
    ]
    rate(
        "silent satisfied: F1 above the recency-frequency-survey rule",
        [s["f1"] > b["f1"] for s, b in silent],
        ">= 80 %",
    )
    crises = [r["crises"] for r in records if r.get("crises")]
    rate(
        "crises: both found, amplification flag right",
        [c["organic"]["flag_right"] and c["amplified"]["flag_right"] for c in crises],
        ">= 90 %",
    )
    rate(
        "crises: at most one false incident a year",
        [c["false_incidents_per_year"] <= 1 for c in crises],
        ">= 90 %",
    )
    launched = [c for c in crises if c["launch_on"]]
    rate(
        "crises: ... in worlds with a launch",
        [c["false_incidents_per_year"] <= 1 for c in launched],
        ">= 90 %",
    )
    validity = [r["trust_validity"] for r in records if r.get("trust_validity")]
    rate(
        "trust validity: Spearman >= 0.8 and top/bottom >= 1.5",
        [
            (v["trust_score"]["spearman"] or 0) >= 0.8
            and (v["trust_score"]["top_bottom"] or 0) >= 1.5
            for v in validity
            if "trust_score" in v
        ],
        ">= 80 %",
    )
    independent = [v for v in validity if v["followers_independent"] and "followers" in v]
    rate(
        "trust validity: independent followers flat (interval holds 1 or spread < 1/4 trust's)",
        [_followers_flat(v) for v in independent],
        ">= 80 %",
    )
    # medians over worlds
    if silent:
        out["silent satisfied: median F1"] = {
            "worlds": len(silent),
            "value": float(np.median([s["f1"] for s, _ in silent])),
            "target": ">= 0.5",
        }
    return out


def _followers_flat(v: dict) -> bool:
    f = v["followers"]
    low, high = f.get("top_bottom_low"), f.get("top_bottom_high")
    holds_one = low is not None and high is not None and low <= 1.0 <= high
    return holds_one or f["spread"] < 0.25 * v["trust_score"]["spread"]


def roi_table(records: list[dict]) -> list[dict]:
    """Per platform: coverage, median bias, median interval width, bias / width."""
    rows = []
    for platform in (*PLATFORMS, "all"):
        cells = [r["roi"][platform] for r in records if r.get("roi") and platform in r["roi"]]
        if not cells:
            continue
        bias = np.array([c["estimate"] - c["truth"] for c in cells])
        width = np.array([c["high"] - c["low"] for c in cells])
        rows.append(
            {
                "platform": platform,
                "worlds": len(cells),
                "coverage": float(np.mean([c["low"] <= c["truth"] <= c["high"] for c in cells])),
                "median_bias": float(np.median(bias)),
                "median_width": float(np.median(width)),
                "bias_over_width": float(np.median(bias) / np.median(width))
                if np.median(width)
                else math.nan,
                "naive_over_truth": float(
                    np.median([c["naive"] / c["truth"] for c in cells if c["truth"] and c["naive"]])
                )
                if any(c["truth"] and c["naive"] for c in cells)
                else math.nan,
            }
        )
    return rows


def markdown(records: list[dict]) -> str:
    lines = ["| criterion | worlds | pass rate / value | target |", "|---|---|---|---|"]
    for name, c in criteria(records).items():
        value = c.get("pass_rate", c.get("value"))
        shown = "n/a" if value is None else (f"{value:.0%}" if "pass_rate" in c else f"{value:.2f}")
        lines.append(f"| {name} | {c['worlds']} | {shown} | {c['target']} |")
    lines += [
        "",
        "| ROI platform | worlds | coverage | median bias | median width | bias / width |",
        "|---|---|---|---|---|---|",
    ]
    for r in roi_table(records):
        lines.append(
            f"| {r['platform']} | {r['worlds']} | {r['coverage']:.0%} | {r['median_bias']:,.0f} | "
            f"{r['median_width']:,.0f} | {r['bias_over_width']:.2f} |"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------ running worlds


def run_world(seed: int, scale: float, root: Path) -> dict:
    """Generate world `seed` of the family, run the pipeline on it, evaluate it."""
    import os

    from core.settings import Settings
    from trustcap.run import run_pipeline
    from worlds.family import family_config
    from worlds.world import generate
    from worlds.writer import write_world

    config = family_config(seed, scale)
    world = generate(config)
    landing, warehouse, truth = root / "landing", root / "warehouse", root / "truth"
    write_world(world, landing, truth)
    os.environ.update(
        TC_LANDING_DIR=str(landing),
        TC_WAREHOUSE_DIR=str(warehouse),
        DAGSTER_HOME=str(warehouse / "dagster_home"),
    )
    settings = Settings.from_env()
    result = run_pipeline(settings)
    if not result.success:
        return {"seed": seed, "sources": config.sources, "failed": True}
    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        key = None if settings.publish_raw_ids else pseudonym_key(settings.pseudonym_key_path)
        return evaluate(con, truth, key)
    finally:
        con.close()


def _child(args: argparse.Namespace) -> int:
    record = run_world(args.one, args.scale, Path(args.dir))
    (Path(args.dir) / "record.json").write_text(json.dumps(record, default=str))
    return 0


def seeds_of(which: str, worlds: int, first: int | None = None) -> list[int]:
    from worlds.family import DEVELOPMENT_SEEDS, REPORT_SEEDS, SUITE_SEEDS

    pool = {"development": DEVELOPMENT_SEEDS, "report": REPORT_SEEDS, "suite": SUITE_SEEDS}[which]
    seeds = list(pool)
    if first is not None:
        seeds = [s for s in seeds if s >= first]
    return seeds[:worlds]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trustcap validate", description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=6)
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument(
        "--seeds", choices=["development", "report", "suite"], default="development"
    )
    parser.add_argument("--first-seed", type=int, default=None)
    parser.add_argument("--dir", default="data/validation")
    parser.add_argument("--keep", action="store_true", help="keep each world's folders")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        return _child(args)
    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    log = out / "worlds.jsonl"
    log.write_text("")
    for seed in seeds_of(args.seeds, args.worlds, args.first_seed):
        started = time.perf_counter()
        world_dir = out / f"world-{seed}"
        subprocess.run(["rm", "-rf", str(world_dir)], check=False)
        world_dir.mkdir(parents=True)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "trustcap.validation",
                "--one",
                str(seed),
                "--scale",
                str(args.scale),
                "--dir",
                str(world_dir),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        record_path = world_dir / "record.json"
        (world_dir / "child.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0 or not record_path.exists():
            record = {"seed": seed, "failed": True}
        else:
            record = json.loads(record_path.read_text())
        record["log"] = str(world_dir / "child.log")
        record["seconds"] = round(time.perf_counter() - started, 1)
        records.append(record)
        with log.open("a") as f:
            f.write(json.dumps(record, default=str) + "\n")
        print(_one_line(record), flush=True)
        if not args.keep and not record.get("failed"):
            for sub in ("landing", "warehouse"):
                subprocess.run(["rm", "-rf", str(world_dir / sub)], check=False)
    print()
    print(f"{len(records)} worlds ({args.seeds} seeds), scale {args.scale}; records in {log}")
    print(markdown([r for r in records if not r.get("failed")]))
    failed = [r["seed"] for r in records if r.get("failed")]
    if failed:
        print(f"\nruns that failed: {failed} (see child.log in their folders)")
    return 0


def _one_line(r: dict) -> str:
    if r.get("failed"):
        return f"world {r['seed']}: FAILED ({r.get('log', '')})"
    parts = [f"world {r['seed']} ({r['sources']}, {r.get('seconds', 0):.0f}s)"]
    if r.get("roi"):
        parts.append(
            "roi "
            + " ".join(
                f"{p}:{'ok' if c['low'] <= c['truth'] <= c['high'] else 'MISS'}"
                for p, c in r["roi"].items()
            )
        )
    if r.get("advocates"):
        a = r["advocates"]
        parts.append(
            f"advocates p={a['precision']:.2f} r={a['recall']:.2f} ({a['flagged']}/{a['planted']})"
        )
    if r.get("silent_satisfied"):
        parts.append(
            f"silent F1={r['silent_satisfied']['f1']:.2f} (rule {r['silent_satisfied_baseline']['f1']:.2f})"
        )
    if r.get("crises"):
        c = r["crises"]
        parts.append(
            f"crises org={'ok' if c['organic']['flag_right'] else 'x'} amp={'ok' if c['amplified']['flag_right'] else 'x'}"
            f" false={c['false_incidents']}" + (" launch" if c["launch_on"] else "")
        )
    if r.get("trust_validity") and "trust_score" in r["trust_validity"]:
        v = r["trust_validity"]
        parts.append(
            f"trust rho={v['trust_score']['spearman']} tb={v['trust_score']['top_bottom']}"
            + (f" followers tb={v['followers']['top_bottom']}" if "followers" in v else "")
        )
    return "; ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
