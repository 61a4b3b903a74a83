"""The small family of worlds (worlds.family.SUITE_SEEDS): the whole pipeline on
six worlds whose mechanisms were drawn at random, judged against their planted truth
by the same code as `trustcap validate` (the large family's table is in the README).
The seeds are fixed, so the outcome is deterministic; nobody tunes rules on them."""

import json
import subprocess
import sys

import pytest

from trustcap.validation import criteria
from worlds.family import SUITE_SEEDS, family_config

pytestmark = [pytest.mark.long, pytest.mark.xdist_group("family")]
SCALE = 0.2


def test_family_configs_vary_and_are_deterministic():
    configs = [family_config(s) for s in range(100, 140)]
    assert family_config(100) == configs[0]
    assert {c.sources for c in configs} == {"all", "social_only", "crm_only"}
    assert any(c.launch_on for c in configs) and any(c.launch_on is None for c in configs)
    for c in configs:
        assert sorted(c.uplift.values())[0] == 0.0  # one platform with no effect
    assert len({c.advocate_activity for c in configs}) > 30  # drawn, not fixed
    assert any(c.followers_value_slope > 0 for c in configs)


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("family")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "trustcap.validation",
            "--seeds",
            "suite",
            "--worlds",
            str(len(SUITE_SEEDS)),
            "--scale",
            str(SCALE),
            "--dir",
            str(out),
        ],
        check=True,
    )
    rows = [json.loads(line) for line in (out / "worlds.jsonl").read_text().splitlines()]
    print("\n".join(json.dumps(r, default=str) for r in rows))
    return rows


def test_every_world_of_the_family_runs(records):
    assert [r["seed"] for r in records] == list(SUITE_SEEDS)
    assert not [r["seed"] for r in records if r.get("failed")]


def test_analytics_hold_on_the_family(records):
    c = criteria(records)
    for name, value in c.items():
        print(f"{name}: {value}")
    # each the criterion, applied to the worlds it concerns
    assert c["advocates: precision and recall >= 0.6"]["pass_rate"] >= 0.8
    assert c["crises: both found, amplification flag right"]["pass_rate"] >= 0.8
    assert c["crises: at most one false incident a year"]["pass_rate"] >= 0.8
    assert c["trust validity: Spearman >= 0.8 and top/bottom >= 1.5"]["pass_rate"] >= 0.8
    assert c["roi: 90% interval covers the truth (all)"]["pass_rate"] >= 0.75
    assert c["roi: zero-uplift platform's interval contains 0"]["pass_rate"] >= 0.75
    assert c["silent satisfied: F1 above the recency-frequency-survey rule"]["pass_rate"] >= 0.75
