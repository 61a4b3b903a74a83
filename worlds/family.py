"""A family of worlds: the demo generator with its mechanisms drawn at random.

One world of the demo tells nothing about whether a rule is general: a threshold
fitted to it fits it. Each world of the family draws, from its seed alone, how
strong every mechanism is (uplift per platform, zero and small included; selection
on value; lapsing; seasonality; advocates' number and activity; crisis size,
platform and date; unresolvable accounts; survey rates; followers related to value
or not; a program launch; social-only and CRM-only landings), then generates the
world with `worlds.world.generate`.

Seeds are split once, here: rules are tuned on DEVELOPMENT_SEEDS and reported on
REPORT_SEEDS, which nobody tunes on (see docs/validation.md).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from worlds.world import PLATFORMS, WorldConfig

DEVELOPMENT_SEEDS = range(100, 200)
# 1000-1099 and 2000-2029 were reported on by 2026-12-04 (docs/validation.md); the
# rest are unseen: each is looked at once, to report
REPORT_SEEDS = (*range(1000, 1100), *range(2000, 2100))
# the small family the test suite runs: the first report seeds (it reports, never tunes)
SUITE_SEEDS = range(1000, 1006)

START = date(2024, 11, 1)
MONTHS = 24
DAYS = 730  # about MONTHS months from START


def _day(rng: np.random.Generator, lo: int, hi: int) -> date:
    return START + timedelta(days=int(rng.integers(lo, hi)))


def _apart(days: list[date], candidate: date, gap: int) -> bool:
    return all(abs((candidate - d).days) >= gap for d in days)


def family_config(seed: int, scale: float = 0.2, sources: str | None = None) -> WorldConfig:
    """The mechanisms of world `seed`, drawn from wide ranges; deterministic by seed.
    `sources` forces the landed sources (else drawn: mostly all, some one-sided)."""
    rng = np.random.default_rng([seed, 20261203])
    # one platform has no effect at all; the others small or large
    zero = int(rng.integers(len(PLATFORMS)))
    uplift = {}
    for i, platform in enumerate(PLATFORMS):
        if i == zero:
            uplift[platform] = 0.0
        elif rng.random() < 0.5:
            uplift[platform] = round(float(rng.uniform(0.03, 0.12)), 3)
        else:
            uplift[platform] = round(float(rng.uniform(0.15, 0.5)), 3)
    # crises and the launch on distinct days, at least 45 days apart, with 90 days of
    # baseline before each and 30 days after (so each can be seen and measured)
    organic_on = _day(rng, 120, DAYS - 45)
    amplified_on = organic_on
    while not _apart([organic_on], amplified_on, 60):
        amplified_on = _day(rng, 90, DAYS - 30)
    launch_on = None
    if rng.random() < 0.4:
        launch_on = organic_on
        while not _apart([organic_on, amplified_on], launch_on, 45):
            launch_on = _day(rng, 120, DAYS - 120)
    value_slope = rng.uniform(0.2, 1.0)
    drawn_sources = rng.choice(["all", "social_only", "crm_only"], p=[0.8, 0.1, 0.1])
    adv_lo = int(rng.integers(1, 3))
    return WorldConfig(
        seed=seed,
        scale=scale,
        start=START,
        months=MONTHS,
        uplift=uplift,
        cost_scale=round(float(rng.uniform(0.2, 1.0)), 3),
        share_social=round(float(rng.uniform(0.3, 0.6)), 3),
        share_linked=round(float(rng.uniform(0.6, 0.95)), 3),
        answer_rate=round(float(rng.uniform(0.5, 0.95)), 3),
        response_median_minutes=round(float(rng.uniform(30, 600)), 1),
        organic_crisis=(organic_on, int(rng.integers(4, 11)), str(rng.choice(PLATFORMS))),
        organic_sales_drop=round(float(rng.uniform(0.1, 0.5)), 3),
        amplified_crisis=(amplified_on, int(rng.integers(1, 4)), str(rng.choice(PLATFORMS))),
        advocate_share=round(float(np.exp(rng.uniform(np.log(0.001), np.log(0.006)))), 5),
        advocate_activity=round(float(rng.uniform(8.0, 40.0)), 1),
        advocate_crisis_mentions=(adv_lo, adv_lo + int(rng.integers(1, 4))),
        advocate_peer_share=round(float(rng.uniform(0.05, 0.35)), 3),
        selection_strength=round(float(rng.uniform(0.3, 2.0)), 3),
        lapse_hazard=round(float(rng.uniform(0.01, 0.05)), 4),
        already_lapsed_share=round(float(rng.uniform(0.05, 0.3)), 3),
        season_amplitude=round(float(rng.uniform(0.0, 1.5)), 3),
        organic_crisis_authors_share=round(float(rng.uniform(0.01, 0.04)), 4),
        amplified_accounts_share=round(float(rng.uniform(0.01, 0.03)), 4),
        anon_share=round(float(rng.uniform(0.02, 0.2)), 3),
        survey_rate=round(float(rng.uniform(0.2, 1.0)), 3),
        silent_survey_rate=round(float(rng.uniform(0.8, 2.5)), 3),
        silent_share=round(float(rng.uniform(0.03, 0.12)), 3),
        followers_value_slope=0.0 if rng.random() < 0.7 else round(float(value_slope), 3),
        launch_on=launch_on,
        pre_launch_volume=round(float(rng.uniform(0.25, 0.6)), 3) if launch_on else 1.0,
        pre_launch_negative=round(float(rng.uniform(0.4, 1.0)), 3) if launch_on else 1.0,
        sources=sources or str(drawn_sources),
        # drawn last: the draws above stay what they were before it was added
        activity_density=round(float(rng.uniform(1.0, 3.0)), 2),
    )
