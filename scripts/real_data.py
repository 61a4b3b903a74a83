"""The real public exports through their adapters and the whole pipeline: the
figures of the README's "Real data" section.

    .venv/bin/python scripts/real_data.py              # all five, from tests/fixtures/real
    .venv/bin/python scripts/real_data.py twcs olist   # some of them
    .venv/bin/python scripts/real_data.py --keep /tmp/real   # keep the warehouses

Each dataset runs in its own folder (landing, warehouse), as `trustcap import`
then `trustcap run` would; about 70 s each on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pipeline.test_real_data import (  # noqa: E402
    FACEBOOK,
    FUNNEL,
    OLIST,
    RETAIL,
    TWCS,
    facebook_figures,
    funnel_figures,
    olist_figures,
    retail_figures,
    run_real,
    twcs_figures,
)

DATASETS = {
    "twcs": (lambda root: run_real("twcs", TWCS, root), twcs_figures),
    "olist": (lambda root: run_real("olist", OLIST, root, "BRL"), olist_figures),
    "olist-funnel": (
        lambda root: run_real("olist-funnel", FUNNEL, root, "BRL", sales=OLIST),
        funnel_figures,
    ),
    "online-retail": (lambda root: run_real("online-retail", RETAIL, root, "GBP"), retail_figures),
    "facebook-metrics": (
        lambda root: run_real("facebook-metrics", FACEBOOK, root),
        facebook_figures,
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", help=f"any of {', '.join(DATASETS)} (all)")
    parser.add_argument("--keep", type=Path, help="folder to keep each dataset's warehouse in")
    args = parser.parse_args()
    unknown = set(args.datasets) - set(DATASETS)
    if unknown:
        parser.error(f"unknown datasets {sorted(unknown)}; choose from {', '.join(DATASETS)}")
    pl.Config.set_tbl_rows(40)
    pl.Config.set_tbl_cols(12)
    pl.Config.set_tbl_width_chars(160)
    base = args.keep or Path(tempfile.mkdtemp(prefix="trustcap-real-"))
    for name in args.datasets or DATASETS:
        run, figures = DATASETS[name]
        result = run(base / name)
        print(f"\n=== {name}: pipeline {'succeeded' if result.success else 'FAILED'}")
        print("\n".join(result.report.lines()))
        for title, value in figures(result).items():
            print(f"-- {title}\n{value}")
        for mart, reason in result.empty_marts.items():
            print(f"-- empty: {mart}: {reason}")
        print(f"published: {result.published_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
