"""Coverage of the ROI estimator's 90 % intervals over many generated worlds.

For each seed: generate a small world, run the whole pipeline (the same code as
`trustcap run`), and compare community_roi_summary with the planted truth of the
covered cohorts. Prints one line per seed and a table per platform: how often the
interval covered the truth (a 90 % interval should do so 80-97 % of the time over
20+ seeds), the mean z-score (bias in standard errors) and the mean relative error.

    .venv/bin/python scripts/roi_coverage.py --seeds 20 --scale 0.5 [--world default|a|b]

Slow (about 40 s a seed at scale 0.5 on 2 cores): a benchmark, not part of the suite.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pipeline.conftest import make_world  # noqa: E402
from tests.pipeline.test_roi import (  # noqa: E402
    PLATFORMS,
    WORLD_A,
    WORLD_B,
    covered_truth,
    summary,
)

WORLDS = {
    # the demo world's mechanisms: a small net effect, true ROI negative
    "default": {},
    # the tests' worlds: A, strong uplift and the default costs (true ROI negative,
    # naive positive); B, strong uplift, cheap work, complaints that cost nothing
    "a": WORLD_A,
    "b": WORLD_B,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--world", choices=sorted(WORLDS), default="default")
    args = parser.parse_args()
    rows: dict[str, list[tuple[float, float, float, float]]] = {p: [] for p in PLATFORMS}
    pretrend_failed: dict[str, list[bool]] = {p: [] for p in PLATFORMS}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            pw = make_world(Path(tmp), seed=seed, scale=args.scale, **WORLDS[args.world])
            if not pw.run().success:
                print(f"seed {seed}: run failed", flush=True)
                continue
            est = summary(pw)
            truth = covered_truth(pw, est["all"]["window_start"], est["all"]["window_end"])
        line = []
        for p in PLATFORMS:
            e, t = est[p], truth[p]["incremental_revenue"]
            rows[p].append(
                (
                    t,
                    e["incremental_revenue"],
                    e["incremental_revenue_low"],
                    e["incremental_revenue_high"],
                )
            )
            line.append(f"{p} {e['incremental_revenue']:.0f} vs {t:.0f}")
            if e.get("pretrend_ok") is not None:
                pretrend_failed[p].append(not e["pretrend_ok"])
        print(f"seed {seed} ({time.perf_counter() - started:.0f}s): " + "; ".join(line), flush=True)
    print(f"\nworld {args.world}, scale {args.scale}, {len(rows['all'])} seeds")
    print(
        "platform   covered  zero_in  mean_z  median_bias/median_width  mean_rel_error  pretrend_failed"
    )
    for p, r in rows.items():
        a = np.array(r)
        if not len(a):
            continue
        truth, est, low, high = a.T
        sd = (high - low) / (2 * 1.6448536)
        covered = ((low <= truth) & (truth <= high)).mean()
        zero_in = ((low <= 0) & (high >= 0)).mean()
        z = ((est - truth) / sd).mean()
        bias_width = np.median(est - truth) / np.median(high - low)
        rel = np.where(truth != 0, np.abs(est - truth) / np.maximum(np.abs(truth), 1), np.nan)
        failed = pretrend_failed[p]
        pre = f"{sum(failed)}/{len(failed)}" if failed else "-"
        print(
            f"{p:10} {covered:7.0%}  {zero_in:7.0%}  {z:6.2f}  {bias_width:24.2f}"
            f"  {np.nanmean(rel):14.0%}  {pre:>15}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
