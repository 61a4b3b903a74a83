"""Building blocks of social activity: picking the brand post an activity answers,
member activities with their texts, and reactions."""

from __future__ import annotations

import numpy as np
import polars as pl

from worlds.config import PLATFORMS, sigmoid, str_or_null, timestamps
from worlds.texts import TOPICS, build_texts


def pick_parent_post(rng, brand_posts: pl.DataFrame, platform_idx: np.ndarray, ts: np.ndarray):
    """A recent brand post on the same platform, posted before `ts` (or the first one)."""
    parent = np.empty(len(ts), dtype=object)
    campaign = np.empty(len(ts), dtype=object)
    for pi in range(len(PLATFORMS)):
        posts = brand_posts.filter(pl.col("platform_idx") == pi)
        pts = posts["created_at"].cast(pl.Int64).to_numpy()
        sel = platform_idx == pi
        pos = np.searchsorted(pts, ts[sel], side="right") - 1 - rng.integers(0, 4, int(sel.sum()))
        pos = np.clip(pos, 0, len(pts) - 1)
        parent[sel] = posts["activity_id"].to_numpy()[pos]
        campaign[sel] = posts["campaign_id"].to_numpy()[pos]
    return parent, campaign


def member_activities(
    rng,
    owner,
    ts,
    platform_idx,
    satisfaction,
    lang,
    is_adv,
    brand_posts,
    polarity=None,
    topic=None,
    kinds=("comment", "mention", "message", "reply"),
):
    m = len(owner)
    if polarity is None:
        u = rng.random(m)
        p_neg = sigmoid(-1.3 - 1.1 * satisfaction)
        p_pos = sigmoid(-0.4 + 1.1 * satisfaction)
        pol = np.where(u < p_neg, -1, np.where(u < p_neg + p_pos * (1 - p_neg), 1, 0))
        pol = np.where(is_adv, 1, pol)
    else:
        pol = np.full(m, polarity)
    top = rng.integers(0, len(TOPICS), m) if topic is None else np.full(m, topic)
    weights = {"comment": 0.45, "mention": 0.3, "message": 0.15, "reply": 0.1}
    w = np.array([weights[k] for k in kinds])
    kind = np.array(kinds)[rng.choice(len(kinds), m, p=w / w.sum())]
    parent, campaign = pick_parent_post(rng, brand_posts, platform_idx, ts)
    on_post = np.isin(kind, ["comment", "reply"])
    return pl.DataFrame(
        {
            "owner": owner,
            "contact_idx": owner,
            "platform": np.array(PLATFORMS)[platform_idx],
            "account_id": (owner + 100_000_000).astype(str),
            "activity_type": kind,
            "created_at": timestamps(ts),
            "text": build_texts(rng, lang, pol, top),
            "lang": lang,
            "polarity": pol,
            "topic": np.array(TOPICS)[top],
            "parent_id": str_or_null(np.where(on_post, parent, None)),
            "post_campaign_id": str_or_null(np.where(on_post, campaign, None)),
            "like_count": rng.poisson(1.5, m),
        }
    )


def reactions(rng, owner, ts, platform_idx, brand_posts):
    parent, _ = pick_parent_post(rng, brand_posts, platform_idx, ts)
    return pl.DataFrame(
        {
            "owner": owner,
            "platform": np.array(PLATFORMS)[platform_idx],
            "account_id": (owner + 100_000_000).astype(str),
            "activity_type": "reaction",
            "created_at": timestamps(ts),
            "parent_id": str_or_null(parent),
        }
    ).with_columns(
        pl.concat_str([pl.lit("l"), pl.int_range(pl.len()).cast(pl.String).str.zfill(9)]).alias(
            "activity_id"
        )
    )
