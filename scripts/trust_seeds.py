"""Trust capital's checks over many generated worlds, not only the test's seed 7.

For each seed: generate a world, run the whole pipeline (the same code as
`trustcap run`) and print what tests/pipeline/test_trust.py asserts on seed 7:
retention top/bottom ratio and Spearman across deciles for trust and the vanity
measures, the unlocking minority's precision and recall against the planted
advocates, the silent satisfied F1 (planted flag, definition), and the brand stock's
change over each planted crisis.

    .venv/bin/python scripts/trust_seeds.py --seeds 5 --first-seed 1 --scale 1

Slow (about 70 s a seed at scale 1 on 2 cores): a measurement, not part of the suite.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pipeline.conftest import make_world  # noqa: E402
from tests.pipeline.test_trust import (  # noqa: E402
    crisis_stock,
    minority_scores,
    silent_scores,
    validity_trends,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    print(
        "seed | trust ratio, rho | followers ratio, rho | likes ratio, rho | minority n, P, R "
        "| silent F1 planted, defined | organic stock %, betrayals x | amplified stock %, x"
    )
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        with tempfile.TemporaryDirectory() as tmp:
            pw = make_world(Path(tmp), seed=seed, scale=args.scale)
            if not pw.run().success:
                print(f"{seed} | run failed", flush=True)
                continue
            v = validity_trends(pw)
            n, precision, recall = minority_scores(pw)
            silent = silent_scores(pw)
            stock = crisis_stock(pw)
        cells = [
            f"{v[m]['top_bottom_retention_ratio']:.2f}, {v[m]['decile_retention_spearman']:+.2f}"
            for m in ("trust_score", "followers", "likes_given")
        ]
        crises = [
            f"{100 * (after / before - 1):+.1f}, {ratio:.1f}"
            for before, after, ratio in (stock["organic"], stock["amplified"])
        ]
        print(
            f"{seed} | {' | '.join(cells)} | {n}, {precision:.2f}, {recall:.2f} | "
            f"{silent['planted'][2]:.2f}, {silent['defined'][2]:.2f} | {' | '.join(crises)}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
