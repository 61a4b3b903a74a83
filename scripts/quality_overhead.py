"""What the quality checks add to a full run, measured on a landing folder.

Runs the whole job, then the same job without the Great Expectations checks and
without publication (which refuses to publish unchecked marts), alternately,
`--repeat` times each, against the settings in force (TC_LANDING_DIR,
TC_WAREHOUSE_DIR: use a scratch warehouse). Reruns ingest nothing new, so the
figures are for a full rebuild of every model on already-ingested data.

    TC_LANDING_DIR=/tmp/demo/landing TC_WAREHOUSE_DIR=/tmp/demo/warehouse \\
        .venv/bin/python scripts/quality_overhead.py --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from dagster import AssetKey, AssetSelection, DagsterInstance, Definitions, define_asset_job

    from core.settings import Settings
    from orchestration.definitions import build_assets
    from orchestration.defs.quality.checks import asset_keys_of, build_quality_checks
    from orchestration.resources import build_resources
    from trustcap.run import ensure_dagster_home, ensure_manifest

    settings = Settings.from_env()
    ensure_dagster_home(settings)
    ensure_manifest(settings)
    settings.export_env()
    assets = build_assets()
    checks = build_quality_checks(asset_keys_of(assets))
    with_checks = define_asset_job("with_checks", selection=AssetSelection.all())
    without = define_asset_job(
        "without_checks",
        selection=AssetSelection.all()
        - AssetSelection.checks(*checks)
        - AssetSelection.assets(AssetKey(["published", "trustcap"])),
    )
    defs = Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[with_checks, without],
        resources=build_resources(),
    )
    times: dict[str, list[float]] = {"with_checks": [], "without_checks": []}
    with DagsterInstance.get() as instance:
        for _ in range(args.repeat):
            for name in times:
                started = time.perf_counter()
                result = defs.resolve_job_def(name).execute_in_process(instance=instance)
                assert result.success
                times[name].append(time.perf_counter() - started)
    a = statistics.median(times["with_checks"])
    b = statistics.median(times["without_checks"])
    print(f"median of {args.repeat}: with checks {a:.1f}s, without {b:.1f}s")
    print(f"the checks add {a - b:.1f}s, {100 * (a - b) / b:.0f} % of the run without them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
