"""The estimator with exchangeable contacts pooled against contact by contact, on a
built warehouse (docs/performance.md, "The estimator at L").

    .venv/bin/python scripts/roi_pooling.py WAREHOUSE.duckdb
    .venv/bin/python scripts/roi_pooling.py --simulated 30 [--contacts 30000]

Runs `analytics.roi.estimate` twice, each in its own process so that each peak memory
is its own: as shipped (pseudo-contacts of up to MAX_POOLED_CONTACTS) and contact by
contact (MAX_POOLED_CONTACTS = 1, the fit before pooling). Prints time and peak
memory of each, the largest coefficient difference (pooling is exact: 0 up to the
solver's tolerance), and how the standard errors and the summary intervals moved
(clustered by pseudo-contact instead of contact). Slow at L: the contact-by-contact
fit is the one that took minutes.

With --simulated N: N simulated panels with a planted effect (the unit tests'
generator: one stratum, every contact present from the first month, so contacts pool
as much as they can), both ways; how often each 90 % interval covers the planted
incremental revenue, and the interval widths' ratio. About 40 s a seed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_one(warehouse: str, max_pooled: int, out: str) -> None:
    import duckdb

    import analytics.roi as roi

    warnings.filterwarnings("ignore")
    con = duckdb.connect(warehouse, read_only=True)
    inputs = roi.load_inputs(con)
    con.close()
    import pyfixest  # noqa: F401  imported before the clock starts

    if max_pooled:
        roi.MAX_POOLED_CONTACTS = max_pooled
    started = time.perf_counter()
    result = roi.estimate(inputs)
    seconds = time.perf_counter() - started
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    result.coefficients.write_parquet(f"{out}_coefficients.parquet")
    result.summary.write_parquet(f"{out}_summary.parquet")
    Path(f"{out}.json").write_text(
        json.dumps({"seconds": seconds, "peak_gb": peak_gb, "panel_rows": inputs.panel.height})
    )


def simulated(seeds: int, contacts: int) -> None:
    import numpy as np

    import analytics.roi as roi
    from tests.unit.test_roi_estimator import simulate

    warnings.filterwarnings("ignore")
    shipped = roi.MAX_POOLED_CONTACTS
    uplift = {"twitter": 0.3, "facebook": 0.0}
    covered = {"pooled": [], "contact by contact": []}
    ratios = []
    for seed in range(seeds):
        inputs, truth = simulate(500 + seed, uplift, n=contacts)
        line = []
        widths = {}
        for name, max_pooled in (("pooled", shipped), ("contact by contact", 1)):
            roi.MAX_POOLED_CONTACTS = max_pooled
            started = time.perf_counter()
            rows = {r["platform"]: r for r in roi.estimate(inputs).summary.iter_rows(named=True)}
            hits = [
                rows[p]["incremental_revenue_low"]
                <= truth[p]
                <= rows[p]["incremental_revenue_high"]
                for p in (*uplift, "all")
            ]
            covered[name].append(hits)
            widths[name] = np.array(
                [
                    rows[p]["incremental_revenue_high"] - rows[p]["incremental_revenue_low"]
                    for p in (*uplift, "all")
                ]
            )
            line.append(f"{name} {time.perf_counter() - started:.1f} s covered {sum(hits)}/3")
        ratios.append(widths["pooled"] / widths["contact by contact"])
        print(f"seed {500 + seed}: " + "; ".join(line), flush=True)
    roi.MAX_POOLED_CONTACTS = shipped
    for name, hits in covered.items():
        rate = np.array(hits).mean(axis=0)
        print(
            f"{name}: 90 % interval covered the truth, "
            + ", ".join(f"{p} {r:.0%}" for p, r in zip((*uplift, "all"), rate, strict=True))
        )
    r = np.array(ratios)
    print(
        "interval width pooled / contact by contact, per platform min-median-max: "
        + "; ".join(
            f"{p} {c.min():.3f}-{np.median(c):.3f}-{c.max():.3f}"
            for p, c in zip((*uplift, "all"), r.T, strict=True)
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", nargs="?")
    parser.add_argument("--simulated", type=int, metavar="SEEDS")
    parser.add_argument("--contacts", type=int, default=30_000)
    parser.add_argument("--one", nargs=2, metavar=("MAX_POOLED", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.simulated:
        simulated(args.simulated, args.contacts)
        return 0
    if not args.warehouse:
        parser.error("give a warehouse, or --simulated SEEDS")
    if args.one:
        run_one(args.warehouse, int(args.one[0]), args.one[1])
        return 0
    import polars as pl

    with tempfile.TemporaryDirectory() as tmp:
        figures = {}
        for name, max_pooled in (("pooled", 0), ("contact by contact", 1)):
            out = str(Path(tmp) / name.replace(" ", "_"))
            subprocess.run(
                [sys.executable, __file__, args.warehouse, "--one", str(max_pooled), out],
                check=True,
            )
            figures[name] = json.loads(Path(f"{out}.json").read_text())
            figures[name]["out"] = out
            print(
                f"{name}: {figures[name]['seconds']:.1f} s, peak {figures[name]['peak_gb']:.2f} GB"
                f" ({figures[name]['panel_rows']:,} contact-months)",
                flush=True,
            )
        pooled, exact = figures["pooled"]["out"], figures["contact by contact"]["out"]
        keys = ["model", "treatment_group"]
        coef = pl.read_parquet(f"{exact}_coefficients.parquet").join(
            pl.read_parquet(f"{pooled}_coefficients.parquet"), on=keys, suffix="_pooled"
        )
        ratio = coef["std_error_pooled"] / coef["std_error"]
        print(
            f"{coef.height} coefficients: largest difference "
            f"{(coef['coefficient'] - coef['coefficient_pooled']).abs().max():.1e}; "
            "standard error pooled / contact by contact, min 10% 50% 90% max: "
            + " ".join(f"{ratio.quantile(q):.3f}" for q in (0, 0.1, 0.5, 0.9, 1))
        )
        summary = pl.read_parquet(f"{exact}_summary.parquet").join(
            pl.read_parquet(f"{pooled}_summary.parquet"), on="platform", suffix="_pooled"
        )
        width = pl.col("incremental_revenue_high") - pl.col("incremental_revenue_low")
        width_pooled = pl.col("incremental_revenue_high_pooled") - pl.col(
            "incremental_revenue_low_pooled"
        )
        print(
            summary.select(
                "platform",
                "incremental_revenue",
                (pl.col("incremental_revenue_pooled") - pl.col("incremental_revenue")).alias(
                    "estimate_moved"
                ),
                (width_pooled / width).round(4).alias("interval_width_ratio"),
                pl.col("pretrend_p_value").round(4),
                pl.col("pretrend_p_value_pooled").round(4),
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
