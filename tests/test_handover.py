"""Every relation a Python step reads is handed over on Spark (meta.handover): a
relation missing from the handover would only fail on Spark, at run time."""

import json

from core.marts import published_marts
from core.quality.suites import all_checks
from core.settings import MANIFEST_PATH
from orchestration.defs.roi.assets import INPUTS as ROI_INPUTS
from orchestration.defs.voice.assets import INPUTS as VOICE_INPUTS


def test_every_relation_the_python_steps_read_is_handed_over():
    manifest = json.loads(MANIFEST_PATH.read_text())
    handed_over = {
        f"{n['schema']}.{n['name']}"
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"].get("meta", {}).get("handover")
    }
    read = {".".join(k.path) for k in [*ROI_INPUTS, *VOICE_INPUTS]}
    read |= {c.table for c in all_checks()}
    read |= {f"marts.{m}" for m in published_marts()}
    assert read - handed_over == set()
    # and nothing handed over that no step reads (each costs a copy per run)
    assert handed_over - read == set()
