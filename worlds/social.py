"""The social side: accounts, brand posts and campaigns, member activities, peer
replies, the brand's replies, likes, and the texts the brand labelled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from worlds.activities import member_activities, reactions
from worlds.config import (
    DAY,
    MINUTE,
    PLATFORMS,
    Calendar,
    WorldConfig,
    ids,
    str_or_null,
    timestamps,
    to_us,
)
from worlds.customers import Customers
from worlds.texts import TOPICS, build_texts


@dataclass
class Accounts:
    """Social accounts: the brand's, contacts', anonymous ones, and the young accounts
    of the amplified crisis."""

    brand_accounts: pl.DataFrame
    soc: np.ndarray
    member_accounts: pl.DataFrame
    n_anon: int
    anon_idx: np.ndarray
    anon_platform: np.ndarray
    anon_accounts: pl.DataFrame
    n_amp: int
    amp_idx: np.ndarray
    amp_start_us: int
    amp_accounts: pl.DataFrame


def draw_accounts(
    cfg: WorldConfig, rng: np.random.Generator, cal: Calendar, c: Customers
) -> Accounts:
    """Every social account of the world."""
    start_us = cal.start_us
    n, value, has_social, advocate, platform_idx = (
        c.n,
        c.value,
        c.has_social,
        c.advocate,
        c.platform_idx,
    )
    # ---------------------------------------------------------------- social accounts
    brand_accounts = pl.DataFrame(
        {
            "platform": list(PLATFORMS),
            "account_id": [f"brand_{p}" for p in PLATFORMS],
            "handle": ["AcmeHome", "acme.home", "Acme Home"],
            "created_at": [datetime(2015, 3, 1)] * 3,
            "followers": [182_000, 96_500, 240_000],
            "is_brand": [True] * 3,
        }
    ).with_columns(pl.col("created_at").cast(pl.Datetime("us")))
    soc = np.flatnonzero(has_social)
    followers = np.round(
        np.exp(4.5 + cfg.followers_value_slope * np.log(value) + 1.5 * rng.standard_normal(n))
    ).astype(np.int64)
    followers = np.where(advocate, rng.integers(20_000, 200_000, n), followers)
    member_accounts = pl.DataFrame(
        {
            "contact_idx": soc,
            "platform": np.array(PLATFORMS)[platform_idx[soc]],
            "account_id": (soc + 100_000_000).astype(str),
            "handle": ids("fan_", soc, 6),
            "created_at": timestamps(start_us - rng.integers(200, 4000, len(soc)) * DAY),
            "followers": followers[soc],
            "is_brand": False,
        }
    )
    # accounts that engage but belong to no contact
    n_anon = max(50, round(n * cfg.anon_share))
    anon_idx = np.arange(n_anon)
    anon_platform = rng.choice(len(PLATFORMS), n_anon, p=[0.4, 0.35, 0.25])
    anon_accounts = pl.DataFrame(
        {
            "platform": np.array(PLATFORMS)[anon_platform],
            "account_id": (anon_idx + 500_000_000).astype(str),
            "handle": ids("anon_", anon_idx, 6),
            "created_at": timestamps(start_us - rng.integers(100, 3000, n_anon) * DAY),
            "followers": np.round(rng.lognormal(4.5, 1.5, n_anon)).astype(np.int64),
            "is_brand": False,
        }
    )
    # amplified crisis: young accounts created just before the burst
    amp_start, _, amp_platform = cfg.amplified_crisis
    n_amp = max(60, round(n * cfg.amplified_accounts_share))
    amp_idx = np.arange(n_amp)
    amp_start_us = to_us(amp_start)
    amp_accounts = pl.DataFrame(
        {
            "platform": amp_platform,
            "account_id": (amp_idx + 900_000_000).astype(str),
            "handle": ids("truth_seeker", amp_idx, 5),
            "created_at": timestamps(
                amp_start_us - rng.integers(1, 10 * 24, n_amp) * 3600 * 1_000_000
            ),
            "followers": rng.integers(0, 40, n_amp),
            "is_brand": False,
        }
    )
    return Accounts(
        brand_accounts=brand_accounts,
        soc=soc,
        member_accounts=member_accounts,
        n_anon=n_anon,
        anon_idx=anon_idx,
        anon_platform=anon_platform,
        anon_accounts=anon_accounts,
        n_amp=n_amp,
        amp_idx=amp_idx,
        amp_start_us=amp_start_us,
        amp_accounts=amp_accounts,
    )


def brand_posts_and_campaigns(cfg, rng, start_us, end_us):
    rows = []
    campaigns = []
    cid = 0
    for pi, p in enumerate(PLATFORMS):
        days = (end_us - start_us) // DAY
        n_posts = int(days * 1.3)
        ts = np.sort(start_us + (rng.random(n_posts) * (end_us - start_us)).astype(np.int64))
        camp = np.full(n_posts, None, dtype=object)
        for _ in range(2):
            cid += 1
            c_start = start_us + int(rng.integers(60, days - 60)) * DAY
            c_len = int(rng.integers(28, 43))
            c_end = c_start + c_len * DAY
            name = f"CMP{cid:03d}"
            campaigns.append(
                {
                    "campaign_id": name,
                    "name": f"{p.title()} {['spring', 'autumn', 'summer', 'winter'][cid % 4]}"
                    f" challenge {cid}",
                    "platform": p,
                    "started_on": date(1970, 1, 1) + timedelta(days=c_start // DAY),
                    "ended_on": date(1970, 1, 1) + timedelta(days=c_end // DAY - 1),
                    "objective": ["awareness", "engagement", "sales"][cid % 3],
                }
            )
            sel = (ts >= c_start) & (ts < c_end) & (rng.random(n_posts) < 0.7)
            camp[sel] = name
        rows.append(
            pl.DataFrame(
                {
                    "platform": p,
                    "account_id": f"brand_{p}",
                    "created_at": timestamps(ts),
                    "campaign_id": str_or_null(camp),
                    "platform_idx": pi,
                    "topic": rng.integers(0, len(TOPICS), n_posts),
                }
            )
        )
    posts = pl.concat(rows).with_row_index("i")
    posts = posts.with_columns(
        pl.concat_str([pl.lit("b"), pl.col("i").cast(pl.String).str.zfill(7)]).alias("activity_id"),
        pl.lit("post").alias("activity_type"),
        pl.lit("en").alias("lang"),
        pl.concat_str(
            [
                pl.lit("News from Acme: "),
                pl.col("topic").replace_strict(list(range(len(TOPICS))), list(TOPICS)),
                pl.lit(" update, tell us what you think!"),
            ]
        ).alias("text"),
        pl.Series(rng.poisson(40, len(posts))).alias("like_count"),
        pl.Series(rng.poisson(5, len(posts))).alias("share_count"),
    ).drop("i", "topic")
    return pl.DataFrame(campaigns), posts


def community_activities(
    cfg: WorldConfig,
    rng: np.random.Generator,
    cal: Calendar,
    c: Customers,
    a: Accounts,
    brand_posts: pl.DataFrame,
) -> list[pl.DataFrame]:
    """First engagements and follow-ups of engaged contacts, and the activity of
    accounts that belong to no contact."""
    start_us, end_us = cal.start_us, cal.end_us
    satisfaction, lang, advocate, platform_idx, engaged, engage_us = (
        c.satisfaction,
        c.lang,
        c.advocate,
        c.platform_idx,
        c.engaged,
        c.engage_us,
    )
    n_anon, anon_idx, anon_platform = a.n_anon, a.anon_idx, a.anon_platform
    acts = []
    # first engagement and follow-ups of engaged contacts
    eng = np.flatnonzero(engaged)
    follow = rng.poisson(np.where(advocate[eng], cfg.advocate_activity, 2.5) * cfg.activity_density)
    owner = np.concatenate([eng, np.repeat(eng, follow)])
    first_flag = np.concatenate([np.ones(len(eng), bool), np.zeros(follow.sum(), bool)])
    t0 = engage_us[owner]
    ts = np.where(first_flag, t0, t0 + (rng.random(len(owner)) * (end_us - t0)).astype(np.int64))
    acts.append(
        member_activities(
            rng,
            owner,
            ts,
            platform_idx[owner],
            satisfaction[owner],
            lang[owner],
            advocate[owner],
            brand_posts,
        ).with_columns(is_first_engagement=pl.Series(first_flag))
    )
    # accounts with no contact
    k = np.maximum(1, np.rint(rng.integers(1, 4, n_anon) * cfg.activity_density)).astype(int)
    a_owner = np.repeat(anon_idx, k)
    a_ts = start_us + (rng.random(len(a_owner)) * (end_us - start_us)).astype(np.int64)
    anon_acts = member_activities(
        rng,
        a_owner,
        a_ts,
        anon_platform[a_owner],
        rng.normal(-0.3, 1.0, len(a_owner)),
        np.where(rng.random(len(a_owner)) < 0.3, "fr", "en"),
        np.zeros(len(a_owner), bool),
        brand_posts,
    ).with_columns(account_id=(pl.col("owner") + 500_000_000).cast(pl.String), contact_idx=None)
    acts.append(anon_acts)
    return acts


def flagged_members(acts: list[pl.DataFrame]) -> pl.DataFrame:
    """All member activities in one frame, each flag false where not set."""
    members = pl.concat(acts, how="diagonal_relaxed")
    members = members.with_columns(
        pl.col("is_organic_crisis").fill_null(False),
        pl.col("is_amplified_crisis").fill_null(False),
        pl.col("is_counter_voice").fill_null(False),
        pl.col("is_first_engagement").fill_null(False),
    )
    return members


def numbered_members(members: pl.DataFrame) -> pl.DataFrame:
    """Contacts' activities under their own account id, numbered in time order."""
    members = members.with_columns(
        pl.when(pl.col("contact_idx").is_not_null())
        .then((pl.col("contact_idx") + 100_000_000).cast(pl.String))
        .otherwise(pl.col("account_id"))
        .alias("account_id")
    )
    members = members.sort("created_at").with_columns(
        pl.concat_str([pl.lit("m"), pl.int_range(pl.len()).cast(pl.String).str.zfill(8)]).alias(
            "activity_id"
        )
    )
    return members


def with_peer_replies(
    cfg: WorldConfig, rng: np.random.Generator, c: Customers, a: Accounts, members: pl.DataFrame
) -> pl.DataFrame:
    """Members answering other members' comments."""
    lang, advocate, adv_idx = c.lang, c.advocate, c.adv_idx
    soc = a.soc
    # peer-to-peer replies: members answer other members' comments
    comments = members.filter(
        pl.col("activity_type").is_in(["comment", "mention"]) & ~pl.col("is_amplified_crisis")
    )
    peer_mask = rng.random(comments.height) < 0.18
    parents = comments.filter(pl.Series(peer_mask))
    responders = np.where(
        rng.random(parents.height) < cfg.advocate_peer_share,
        rng.choice(adv_idx, parents.height),
        rng.choice(soc, parents.height),
    )
    peer = pl.DataFrame(
        {
            "owner": responders,
            "contact_idx": responders,
            "platform": parents["platform"],
            "account_id": (responders + 100_000_000).astype(str),
            "activity_type": "reply",
            "created_at": parents["created_at"]
            + pl.Series((rng.exponential(180, parents.height) * MINUTE).astype(np.int64)).cast(
                pl.Duration("us")
            ),
            "lang": lang[responders],
            "polarity": np.where(advocate[responders], 1, rng.choice([-1, 0, 1], parents.height)),
            "topic": parents["topic"],
            "parent_id": parents["activity_id"],
            "is_peer": True,
        }
    )
    peer = peer.with_columns(
        text=build_texts(
            rng,
            peer["lang"].to_numpy(),
            peer["polarity"].to_numpy(),
            peer["topic"].replace_strict(list(TOPICS), list(range(len(TOPICS)))).to_numpy(),
        ),
        activity_id=pl.concat_str(
            [pl.lit("p"), pl.int_range(pl.len()).cast(pl.String).str.zfill(8)]
        ),
    )
    members = pl.concat([members, peer], how="diagonal_relaxed").with_columns(
        pl.col("is_peer").fill_null(False)
    )
    return members


def brand_replies(
    cfg: WorldConfig, rng: np.random.Generator, members: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What the brand answered, and how fast: the inbound activities (answered or
    not) and the brand's replies."""
    inbound = members.filter(
        ~pl.col("is_peer")
        & (
            pl.col("activity_type").is_in(["mention", "message"])
            | pl.col("parent_id").is_not_null()
        )
    )
    answered = rng.random(inbound.height) < cfg.answer_rate
    delay_min = rng.lognormal(
        np.log(cfg.response_median_minutes), cfg.response_sigma, inbound.height
    )
    inbound = inbound.with_columns(
        is_answered=pl.Series(answered),
        response_minutes=pl.Series(np.where(answered, delay_min, np.nan)).fill_nan(None),
    )
    replies_src = inbound.filter(pl.col("is_answered"))
    replies = replies_src.select(
        pl.concat_str([pl.lit("r"), pl.int_range(pl.len()).cast(pl.String).str.zfill(8)]).alias(
            "activity_id"
        ),
        "platform",
        pl.concat_str([pl.lit("brand_"), pl.col("platform")]).alias("account_id"),
        pl.lit("reply").alias("activity_type"),
        (
            pl.col("created_at")
            + pl.duration(microseconds=(pl.col("response_minutes") * MINUTE).cast(pl.Int64))
        ).alias("created_at"),
        pl.when(pl.col("lang") == "fr")
        .then(pl.lit("Merci pour votre message, nous regardons cela tout de suite."))
        .otherwise(pl.lit("Thanks for reaching out, we're looking into it right away."))
        .alias("text"),
        pl.col("activity_id").alias("parent_id"),
        "lang",
    )
    return inbound, replies


def likes_of(
    cfg: WorldConfig,
    rng: np.random.Generator,
    cal: Calendar,
    c: Customers,
    brand_posts: pl.DataFrame,
) -> pl.DataFrame:
    """Likes: vanity, unrelated to value."""
    start_us, end_us = cal.start_us, cal.end_us
    n, has_social, platform_idx = c.n, c.has_social, c.platform_idx
    # reactions (likes): vanity, unrelated to value
    like_rate = rng.lognormal(1.0, 1.0, n) * cfg.activity_density
    n_likes = rng.poisson(np.where(has_social, like_rate, 0))
    like_owner = np.repeat(np.arange(n), n_likes)
    like_ts = start_us + (rng.random(len(like_owner)) * (end_us - start_us)).astype(np.int64)
    likes = reactions(rng, like_owner, like_ts, platform_idx[like_owner], brand_posts)
    return likes


def labelled_texts(cfg: WorldConfig, members: pl.DataFrame) -> pl.DataFrame:
    """A sample of member texts labelled by the brand with their planted polarity, by
    activity id (social/labelled_texts): what trains the brand-adapted scorer."""
    k = min(cfg.labelled_texts, members.height)
    picked = np.random.default_rng([cfg.seed, 1919]).choice(members.height, k, replace=False)
    sample = members[np.sort(picked)]
    return sample.select(
        label_id=pl.concat_str(
            [pl.lit("LBL"), pl.int_range(pl.len()).cast(pl.String).str.zfill(6)]
        ),
        platform="platform",
        activity_id="activity_id",
        text=pl.lit(None, dtype=pl.String),
        label=pl.col("polarity").replace_strict([-1, 0, 1], ["negative", "neutral", "positive"]),
    )
