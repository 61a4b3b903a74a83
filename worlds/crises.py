"""The crises and the launch: an organic crisis (real customers complain, sales
drop), an amplified one (young accounts, near-duplicate texts), advocates' counter-
voice, and a community program's launch that thins what came before it."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from worlds.activities import member_activities
from worlds.config import DAY, PLATFORMS, WorldConfig, timestamps, to_us
from worlds.customers import Customers
from worlds.social import Accounts
from worlds.texts import TOPICS, build_amplified_texts


def crisis_activities(
    cfg: WorldConfig, rng: np.random.Generator, c: Customers, a: Accounts, brand_posts: pl.DataFrame
) -> list[pl.DataFrame]:
    """The organic crisis, the amplified burst, and advocates answering both."""
    n, satisfaction, lang, has_social, advocate, adv_idx, platform_idx = (
        c.n,
        c.satisfaction,
        c.lang,
        c.has_social,
        c.advocate,
        c.adv_idx,
        c.platform_idx,
    )
    n_amp, amp_idx, amp_start_us = a.n_amp, a.amp_idx, a.amp_start_us
    acts = []
    # organic crisis: real customers on the crisis platform complain about quality
    org_start, org_days, org_platform = cfg.organic_crisis
    org_start_us = to_us(org_start)
    p_org = PLATFORMS.index(org_platform)
    pool = np.flatnonzero(has_social & (platform_idx == p_org) & ~advocate)
    n_org = min(len(pool), max(40, round(n * cfg.organic_crisis_authors_share)))
    org_auth = rng.choice(pool, n_org, replace=False)
    org_owner = np.repeat(org_auth, rng.integers(1, 3, n_org))
    org_ts = org_start_us + (rng.beta(1.5, 3.0, len(org_owner)) * org_days * DAY).astype(np.int64)
    acts.append(
        member_activities(
            rng,
            org_owner,
            org_ts,
            platform_idx[org_owner],
            satisfaction[org_owner],
            lang[org_owner],
            np.zeros(len(org_owner), bool),
            brand_posts,
            polarity=-1,
            topic=TOPICS.index("quality"),
            kinds=("mention", "comment"),
        ).with_columns(is_organic_crisis=True)
    )
    _, amp_days, amp_platform = cfg.amplified_crisis
    # amplified crisis: a synchronised burst of near-duplicates from young accounts
    amp_owner = np.repeat(amp_idx, rng.integers(1, 4, n_amp))
    amp_ts = amp_start_us + (
        rng.normal(0.5, 0.12, len(amp_owner)).clip(0, 1) * amp_days * DAY
    ).astype(np.int64)
    amp_acts = pl.DataFrame(
        {
            "owner": amp_owner,
            "contact_idx": pl.Series([None] * len(amp_owner), dtype=pl.Int64),
            "platform": amp_platform,
            "account_id": (amp_owner + 900_000_000).astype(str),
            "activity_type": "mention",
            "created_at": timestamps(amp_ts),
            "text": build_amplified_texts(rng, len(amp_owner)),
            "lang": "en",
            "polarity": -1,
            "topic": "ethics",
            "parent_id": pl.Series([None] * len(amp_owner), dtype=pl.String),
            "is_amplified_crisis": True,
        }
    )
    acts.append(amp_acts)
    # advocates answer both crises with positive counter-voice
    counter = []
    for c_start, c_days, c_platform in (cfg.organic_crisis, cfg.amplified_crisis):
        advs = adv_idx[platform_idx[adv_idx] == PLATFORMS.index(c_platform)]
        owner_c = np.repeat(advs, rng.integers(*cfg.advocate_crisis_mentions, len(advs)))
        ts_c = to_us(c_start) + (rng.random(len(owner_c)) * c_days * DAY).astype(np.int64)
        counter.append(
            member_activities(
                rng,
                owner_c,
                ts_c,
                platform_idx[owner_c],
                satisfaction[owner_c],
                lang[owner_c],
                np.ones(len(owner_c), bool),
                brand_posts,
                polarity=1,
                kinds=("mention",),
            ).with_columns(is_counter_voice=True)
        )
    acts.extend(counter)
    return acts


def thin_before_launch(cfg: WorldConfig, members: pl.DataFrame) -> pl.DataFrame:
    """Before the program's launch members talk to the brand less, and complain less:
    a lasting step in volume and in negative share on the launch day. First
    engagements, crises and counter-voice are kept (their truth is planted elsewhere)."""
    rng = np.random.default_rng([cfg.seed, 4211])
    before = (
        members["created_at"] < datetime.combine(cfg.launch_on, datetime.min.time())
    ).to_numpy()
    keep_p = np.where(
        members["polarity"].to_numpy() == -1,
        cfg.pre_launch_volume * cfg.pre_launch_negative,
        cfg.pre_launch_volume,
    )
    protected = (
        members["is_first_engagement"]
        | members["is_organic_crisis"]
        | members["is_amplified_crisis"]
        | members["is_counter_voice"]
    ).to_numpy()
    keep = protected | ~before | (rng.random(members.height) < keep_p)
    return members.filter(pl.Series(keep))
