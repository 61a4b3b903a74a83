"""The demo world: a brand's community, customers and sales with a known truth.

Everything is drawn with numpy and assembled with polars, column by column; no
Python loop runs per contact, order or activity, so the scale setting reaches
millions of rows. What was planted is returned beside the tables (see
`World.truth`), and `worlds.writer` turns both into a landing folder and
a truth folder.

Mechanisms planted (see shared/docs/methods.md for why each matters):
- purchase rate per contact-month = base(value) x season(month) x (1 + uplift of
  the contact's platform after the month of first engagement); the extra orders
  are drawn separately, so the true incremental revenue is known order by order;
- higher-value customers engage more (selection), seasonality is multiplicative;
- lapse: customers stop buying; an unanswered complaint or an unresolved ticket
  raises the lapse hazard; satisfaction lowers it and drives surveys and sentiment;
- lapsed customers can still engage; some engaging accounts are linked to no contact;
- an organic crisis (real customers complain, sales drop) and an amplified one
  (young accounts, near-duplicate texts, no sales effect);
- advocates (high trust, large reach, positive voice, answering crises) and
  silent satisfied customers (loyal, satisfied, no social presence);
- followers unrelated to value; peer-to-peer replies; English and French texts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from worlds.texts import TOPICS, build_amplified_texts, build_texts

PLATFORMS = ("twitter", "instagram", "facebook")
SEASON = np.array([0.85, 0.85, 0.95, 0.95, 0.95, 0.9, 0.8, 0.85, 1.0, 1.05, 1.3, 1.6])
DAY = 86_400_000_000  # microseconds
MINUTE = 60_000_000


@dataclass(frozen=True)
class WorldConfig:
    seed: int = 7
    scale: float = 1.0
    start: date = date(2024, 11, 1)
    months: int = 24
    contacts_per_scale: int = 20_000
    # multiply member activities and orders per contact (1.0: the planted world's
    # rates); the benchmark raises them to reach a large brand's volumes
    activity_density: float = 1.0
    order_density: float = 1.0
    # causal uplift of the monthly purchase rate after first engagement, per platform
    uplift: dict[str, float] = field(
        default_factory=lambda: {"twitter": 0.35, "instagram": 0.15, "facebook": 0.0}
    )
    cost_scale: float = 0.6  # multiplies every cost line (costs also scale with `scale`)
    share_social: float = 0.45
    share_linked: float = 0.85  # of contacts with a social account
    # monthly lapse hazard after an unanswered complaint or an unresolved ticket
    betrayal_lapse_hazard: float = 0.12
    # set False for a world where unanswered complaints cost nothing, so a platform
    # without uplift has a true effect of exactly zero
    complaints_cost_customers: bool = True
    answer_rate: float = 0.78
    response_median_minutes: float = 95.0
    response_sigma: float = 1.1
    organic_crisis: tuple[date, int, str] = (date(2026, 4, 14), 6, "twitter")
    organic_sales_drop: float = 0.35  # share of orders lost during the 28 days after start
    # at the turn of a season (November 1.3 -> December 1.6) with a year of history
    # before it: revenue_change_pct must remove seasonality to come out near zero
    amplified_crisis: tuple[date, int, str] = (date(2025, 12, 1), 2, "instagram")
    default_margin_rate: float = 0.35  # what the pipeline applies to lines without unit_cost
    reporting_currency: str = "EUR"
    # ---- mechanisms the family of worlds varies (worlds.family); the defaults
    # are the demo world's, and leave its random draws exactly as they were
    advocate_share: float = 0.002  # of contacts (at least 6)
    advocate_activity: float = 30.0  # mean follow-up activities per advocate in the window
    advocate_crisis_mentions: tuple[int, int] = (2, 5)  # counter-voice per crisis, [lo, hi)
    selection_strength: float = 1.3  # slope of engagement's log-odds on log(value)
    lapse_hazard: float = 0.022  # monthly lapse hazard at average satisfaction
    already_lapsed_share: float = 0.15  # of pre-existing customers, lapsed before the window
    season_amplitude: float = 1.0  # multiplies each month's deviation from 1 in SEASON
    organic_crisis_authors_share: float = 0.02  # of contacts (at least 40)
    amplified_accounts_share: float = 0.018  # of contacts (at least 60)
    anon_share: float = 0.05  # accounts linked to no contact, per contact (at least 50)
    survey_rate: float = 0.6  # mean survey answers per contact in the window
    silent_survey_rate: float = 2.0  # the same for the silent satisfied
    silent_share: float = 0.06  # of contacts without a social account
    advocate_peer_share: float = 0.35  # of peer-to-peer replies written by advocates
    # log-followers = 4.5 + followers_value_slope x log(value) + noise: 0 = vanity
    followers_value_slope: float = 0.0
    # a community program launch: before this day members talk to the brand less
    # (volume x pre_launch_volume) and complain less (negatives x pre_launch_negative
    # on top); first engagements are kept, so the ROI truth is unchanged by it
    launch_on: date | None = None
    pre_launch_volume: float = 1.0
    pre_launch_negative: float = 1.0
    # which sources land: "all", "social_only" (social/*), "crm_only" (no social/*)
    sources: str = "all"
    # ---- voice (issue 19); the defaults leave every other landed table as it was
    # languages members write in: the default world's French (FR, BE) and English;
    # with more, each contact's language is drawn among these (its own generator)
    text_languages: tuple[str, ...] = ("en", "fr")
    # member texts the brand labelled with their planted polarity (social/labelled_texts),
    # drawn by a generator of their own; 0: no labels
    labelled_texts: int = 400

    @property
    def n_contacts(self) -> int:
        return max(200, round(self.contacts_per_scale * self.scale))


@dataclass
class World:
    config: WorldConfig
    tables: dict[str, pl.DataFrame]  # "<source>/<entity>" -> frame in contract types
    truth: dict
    truth_tables: dict[str, pl.DataFrame]


def _us(d: date | datetime) -> int:
    if isinstance(d, datetime):
        return int((d - datetime(1970, 1, 1)).total_seconds() * 1_000_000)
    return (d - date(1970, 1, 1)).days * DAY


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _ids(prefix: str, idx: np.ndarray, width: int = 7) -> pl.Series:
    return prefix + pl.Series(idx).cast(pl.String).str.zfill(width)


def _masked(values: np.ndarray | pl.Series, keep: np.ndarray) -> pl.Series:
    """`values` where `keep`, else null."""
    return pl.select(pl.when(pl.Series(keep)).then(pl.Series(values))).to_series()


def _str_or_null(values: np.ndarray) -> pl.Series:
    """Object array of str/None -> polars String series with nulls (no per-row Python)."""
    mask = np.not_equal(values, None)
    text = np.where(mask, values, "").astype(str)
    return pl.select(pl.when(pl.Series(mask)).then(pl.Series(text))).to_series()


def _ts(values: np.ndarray) -> pl.Series:
    return pl.Series(values.astype(np.int64)).cast(pl.Datetime("us"))


def generate(config: WorldConfig | None = None) -> World:
    cfg = config or WorldConfig()
    rng = np.random.default_rng(cfg.seed)
    n = cfg.n_contacts
    start_us = _us(cfg.start)
    month_starts = np.array(
        [
            _us(
                date(
                    cfg.start.year + (cfg.start.month - 1 + m) // 12,
                    (cfg.start.month - 1 + m) % 12 + 1,
                    1,
                )
            )
            for m in range(cfg.months + 1)
        ],
        dtype=np.int64,
    )
    end_us = int(month_starts[-1])
    cal_month = np.array(
        [(cfg.start.month - 1 + m) % 12 for m in range(cfg.months)], dtype=np.int64
    )

    # ---------------------------------------------------------------- contacts
    value = rng.lognormal(0.0, 0.8, n)
    satisfaction = rng.normal(0.0, 1.0, n)
    country = rng.choice(np.array(["FR", "DE", "US", "GB", "BE"]), n, p=[0.45, 0.15, 0.2, 0.1, 0.1])
    segment = np.where(rng.random(n) < 0.15, "smb", "consumer")
    value = np.where(segment == "smb", value * 1.4, value)
    pre_existing = rng.random(n) < 0.6
    created_us = np.where(
        pre_existing,
        start_us - rng.integers(30, 5 * 365, n) * DAY,
        start_us + (rng.random(n) * (end_us - start_us - 30 * DAY)).astype(np.int64),
    )
    created_month = np.clip(np.searchsorted(month_starts, created_us, side="right") - 1, 0, None)
    lang = np.where(np.isin(country, ["FR", "BE"]), "fr", "en")
    if tuple(cfg.text_languages) != ("en", "fr"):
        # a generator of its own: the world's other draws stay as they were
        lang_rng = np.random.default_rng([cfg.seed, 19])
        lang = lang_rng.choice(np.array(cfg.text_languages), n)

    has_social = rng.random(n) < cfg.share_social
    # silent satisfied: loyal, satisfied, no social presence
    silent = (~has_social) & (rng.random(n) < cfg.silent_share)
    satisfaction = np.where(silent, np.abs(satisfaction) + 1.5, satisfaction)
    value = np.where(silent, value * 1.6 + 0.4, value)
    # advocates: a small minority with high trust and reach
    n_adv = max(6, round(n * cfg.advocate_share))
    adv_idx = rng.choice(np.flatnonzero(has_social & ~silent), n_adv, replace=False)
    advocate = np.zeros(n, dtype=bool)
    advocate[adv_idx] = True
    satisfaction = np.where(advocate, 2.5 + rng.random(n) * 0.5, satisfaction)
    platform_idx = rng.choice(len(PLATFORMS), n, p=[0.4, 0.35, 0.25])
    # advocates sit on the crisis platforms so their counter-voice can be seen
    platform_idx = np.where(advocate, rng.choice([0, 1], n), platform_idx)
    linked = has_social & ((rng.random(n) < cfg.share_linked) | advocate)
    link_by_handle = linked & (rng.random(n) < 0.3)

    # ---------------------------------------------------------------- engagement
    p_engage = _sigmoid(-0.4 + cfg.selection_strength * np.log(value))
    engaged = has_social & ((rng.random(n) < p_engage) | advocate)
    engage_us = start_us + (rng.random(n) * (end_us - start_us - 7 * DAY)).astype(np.int64)
    engage_us = np.where(
        advocate, start_us + (rng.random(n) * 60 * DAY).astype(np.int64), engage_us
    )
    engage_month = np.searchsorted(month_starts, engage_us, side="right") - 1

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
            "handle": _ids("fan_", soc, 6),
            "created_at": _ts(start_us - rng.integers(200, 4000, len(soc)) * DAY),
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
            "handle": _ids("anon_", anon_idx, 6),
            "created_at": _ts(start_us - rng.integers(100, 3000, n_anon) * DAY),
            "followers": np.round(rng.lognormal(4.5, 1.5, n_anon)).astype(np.int64),
            "is_brand": False,
        }
    )
    # amplified crisis: young accounts created just before the burst
    amp_start, amp_days, amp_platform = cfg.amplified_crisis
    n_amp = max(60, round(n * cfg.amplified_accounts_share))
    amp_idx = np.arange(n_amp)
    amp_start_us = _us(amp_start)
    amp_accounts = pl.DataFrame(
        {
            "platform": amp_platform,
            "account_id": (amp_idx + 900_000_000).astype(str),
            "handle": _ids("truth_seeker", amp_idx, 5),
            "created_at": _ts(amp_start_us - rng.integers(1, 10 * 24, n_amp) * 3600 * 1_000_000),
            "followers": rng.integers(0, 40, n_amp),
            "is_brand": False,
        }
    )

    # ---------------------------------------------------------------- brand posts & campaigns
    campaigns, brand_posts = _brand_posts(cfg, rng, start_us, end_us)

    # ---------------------------------------------------------------- member activities
    acts = []
    # first engagement and follow-ups of engaged contacts
    eng = np.flatnonzero(engaged)
    follow = rng.poisson(np.where(advocate[eng], cfg.advocate_activity, 2.5) * cfg.activity_density)
    owner = np.concatenate([eng, np.repeat(eng, follow)])
    first_flag = np.concatenate([np.ones(len(eng), bool), np.zeros(follow.sum(), bool)])
    t0 = engage_us[owner]
    ts = np.where(first_flag, t0, t0 + (rng.random(len(owner)) * (end_us - t0)).astype(np.int64))
    acts.append(
        _member_activities(
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
    anon_acts = _member_activities(
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

    # organic crisis: real customers on the crisis platform complain about quality
    org_start, org_days, org_platform = cfg.organic_crisis
    org_start_us = _us(org_start)
    p_org = PLATFORMS.index(org_platform)
    pool = np.flatnonzero(has_social & (platform_idx == p_org) & ~advocate)
    n_org = min(len(pool), max(40, round(n * cfg.organic_crisis_authors_share)))
    org_auth = rng.choice(pool, n_org, replace=False)
    org_owner = np.repeat(org_auth, rng.integers(1, 3, n_org))
    org_ts = org_start_us + (rng.beta(1.5, 3.0, len(org_owner)) * org_days * DAY).astype(np.int64)
    acts.append(
        _member_activities(
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
            "created_at": _ts(amp_ts),
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
        ts_c = _us(c_start) + (rng.random(len(owner_c)) * c_days * DAY).astype(np.int64)
        counter.append(
            _member_activities(
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

    members = pl.concat(acts, how="diagonal_relaxed")
    members = members.with_columns(
        pl.col("is_organic_crisis").fill_null(False),
        pl.col("is_amplified_crisis").fill_null(False),
        pl.col("is_counter_voice").fill_null(False),
        pl.col("is_first_engagement").fill_null(False),
    )
    if cfg.launch_on is not None:
        members = _thin_before_launch(cfg, members)
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

    # ---------------------------------------------------------------- brand replies
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

    # reactions (likes): vanity, unrelated to value
    like_rate = rng.lognormal(1.0, 1.0, n) * cfg.activity_density
    n_likes = rng.poisson(np.where(has_social, like_rate, 0))
    like_owner = np.repeat(np.arange(n), n_likes)
    like_ts = start_us + (rng.random(len(like_owner)) * (end_us - start_us)).astype(np.int64)
    likes = _reactions(rng, like_owner, like_ts, platform_idx[like_owner], brand_posts)

    # ---------------------------------------------------------------- trust events
    complaints = inbound.filter(
        (pl.col("polarity") == -1) & ~pl.col("is_answered") & pl.col("contact_idx").is_not_null()
    )
    never = np.iinfo(np.int64).max
    complaint_betrayal = np.full(n, never)
    if complaints.height:
        cb = complaints.group_by("contact_idx").agg(pl.col("created_at").min())
        complaint_betrayal[cb["contact_idx"].to_numpy()] = (
            cb["created_at"].cast(pl.Int64).to_numpy()
        )
    tickets = _tickets(cfg, rng, n, created_us, satisfaction, start_us, end_us)
    ticket_betrayal = np.full(n, never)
    unresolved = tickets.filter(pl.col("status") == "closed_unresolved")
    if unresolved.height:
        ub = unresolved.group_by("contact_idx").agg(pl.col("opened_at").min())
        ticket_betrayal[ub["contact_idx"].to_numpy()] = (
            ub["opened_at"].cast(pl.Int64).to_numpy() + 7 * DAY
        )

    def month_of(ts: np.ndarray) -> np.ndarray:
        return np.where(
            ts < end_us, np.searchsorted(month_starts, ts, side="right") - 1, cfg.months + 10
        )

    if not cfg.complaints_cost_customers:
        complaint_betrayal = np.full(n, never)
    betrayal_month = month_of(np.minimum(complaint_betrayal, ticket_betrayal))
    ticket_betrayal_month = month_of(ticket_betrayal)

    # ---------------------------------------------------------------- lapse and orders
    hazard = np.clip(cfg.lapse_hazard * np.exp(-0.45 * satisfaction), 0.002, 0.2)
    hazard = np.where(silent, 0.004, hazard)
    already_lapsed = pre_existing & (rng.random(n) < cfg.already_lapsed_share) & ~silent & ~advocate
    lapse0 = np.maximum(created_month, 0) + rng.geometric(hazard) - 1
    after_betrayal = rng.geometric(cfg.betrayal_lapse_hazard, n)
    lapse_month = np.where(already_lapsed, -1, np.minimum(lapse0, betrayal_month + after_betrayal))
    # the same customer had no unanswered complaint (common random numbers): what an
    # unanswered complaint - part of engaging - cost is a causal effect of engagement too
    lapse_without_complaint = np.where(
        already_lapsed, -1, np.minimum(lapse0, ticket_betrayal_month + after_betrayal)
    )

    months = np.arange(cfg.months)
    alive = (months[None, :] >= created_month[:, None]) & (months[None, :] < lapse_month[:, None])
    alive_cf = (months[None, :] >= created_month[:, None]) & (
        months[None, :] < lapse_without_complaint[:, None]
    )
    base_rate = 0.11 * value * cfg.order_density
    season = 1.0 + cfg.season_amplitude * (SEASON - 1.0)
    lam0 = base_rate[:, None] * season[cal_month][None, :] * alive
    uplift = np.array([cfg.uplift.get(p, 0.0) for p in PLATFORMS])[platform_idx]
    treated = engaged[:, None] & (months[None, :] > engage_month[:, None])
    lam_x = lam0 * (uplift[:, None] * treated)
    n0 = rng.poisson(lam0)
    nx = rng.poisson(lam_x)
    lam_lost = (
        base_rate[:, None]
        * season[cal_month][None, :]
        * (alive_cf & ~alive)
        * (1 + uplift[:, None] * treated)
    )
    n_lost = rng.poisson(lam_lost)
    orders, lines, crisis_lost_14d = _orders(
        cfg, rng, n0, nx, n_lost, month_starts, org_start_us, country
    )

    fx = _fx_rates(cfg, rng)
    costs = _costs(cfg, rng, campaigns, month_starts)

    parts = _Parts(
        n=n,
        crisis_lost_14d=crisis_lost_14d,
        created_us=created_us,
        country=country,
        segment=segment,
        satisfaction=satisfaction,
        silent=silent,
        has_social=has_social,
        betrayal_month=betrayal_month,
        month_starts=month_starts,
        brand_accounts=brand_accounts,
        member_accounts=member_accounts,
        anon_accounts=anon_accounts,
        amp_accounts=amp_accounts,
        linked=linked,
        link_by_handle=link_by_handle,
        brand_posts=brand_posts,
        members=members,
        replies=replies,
        likes=likes,
        tickets=tickets,
        orders=orders,
        lines=lines,
        fx=fx,
        costs=costs,
        campaigns=campaigns,
        platform_idx=platform_idx,
        inbound=inbound,
        engaged=engaged,
        advocate=advocate,
        lapse_month=lapse_month,
        adv_idx=adv_idx,
        n_amp=n_amp,
    )
    tables = _contract_tables(cfg, rng, parts)
    tables["social/labelled_texts"] = _labelled_texts(cfg, members)
    truth, truth_tables = _truth(cfg, tables, parts)
    # orders an unanswered complaint prevented exist only in the truth
    landed = tables["sales/orders"].filter(~pl.col("is_lost_to_complaint"))
    tables["sales/orders"] = landed
    tables["sales/order_lines"] = tables["sales/order_lines"].filter(
        pl.col("order_id").is_in(landed["order_id"].implode())
    )
    if cfg.sources != "all":
        social = cfg.sources == "social_only"
        tables = {k: v for k, v in tables.items() if k.startswith("social/") == social}
    return World(cfg, tables, truth, truth_tables)


def _labelled_texts(cfg: WorldConfig, members: pl.DataFrame) -> pl.DataFrame:
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


def _thin_before_launch(cfg: WorldConfig, members: pl.DataFrame) -> pl.DataFrame:
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


@dataclass
class _Parts:
    """What `generate` drew, handed to the assembly of tables and of the truth."""

    n: object
    crisis_lost_14d: int
    created_us: object
    country: object
    segment: object
    satisfaction: object
    silent: object
    has_social: object
    betrayal_month: object
    month_starts: object
    brand_accounts: object
    member_accounts: object
    anon_accounts: object
    amp_accounts: object
    linked: object
    link_by_handle: object
    brand_posts: object
    members: object
    replies: object
    likes: object
    tickets: object
    orders: object
    lines: object
    fx: object
    costs: object
    campaigns: object
    platform_idx: object
    inbound: object
    engaged: object
    advocate: object
    lapse_month: object
    adv_idx: object
    n_amp: object


# ==================================================================== building blocks


def _brand_posts(cfg, rng, start_us, end_us):
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
                    "created_at": _ts(ts),
                    "campaign_id": _str_or_null(camp),
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


def _pick_parent_post(rng, brand_posts: pl.DataFrame, platform_idx: np.ndarray, ts: np.ndarray):
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


def _member_activities(
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
        p_neg = _sigmoid(-1.3 - 1.1 * satisfaction)
        p_pos = _sigmoid(-0.4 + 1.1 * satisfaction)
        pol = np.where(u < p_neg, -1, np.where(u < p_neg + p_pos * (1 - p_neg), 1, 0))
        pol = np.where(is_adv, 1, pol)
    else:
        pol = np.full(m, polarity)
    top = rng.integers(0, len(TOPICS), m) if topic is None else np.full(m, topic)
    weights = {"comment": 0.45, "mention": 0.3, "message": 0.15, "reply": 0.1}
    w = np.array([weights[k] for k in kinds])
    kind = np.array(kinds)[rng.choice(len(kinds), m, p=w / w.sum())]
    parent, campaign = _pick_parent_post(rng, brand_posts, platform_idx, ts)
    on_post = np.isin(kind, ["comment", "reply"])
    return pl.DataFrame(
        {
            "owner": owner,
            "contact_idx": owner,
            "platform": np.array(PLATFORMS)[platform_idx],
            "account_id": (owner + 100_000_000).astype(str),
            "activity_type": kind,
            "created_at": _ts(ts),
            "text": build_texts(rng, lang, pol, top),
            "lang": lang,
            "polarity": pol,
            "topic": np.array(TOPICS)[top],
            "parent_id": _str_or_null(np.where(on_post, parent, None)),
            "post_campaign_id": _str_or_null(np.where(on_post, campaign, None)),
            "like_count": rng.poisson(1.5, m),
        }
    )


def _reactions(rng, owner, ts, platform_idx, brand_posts):
    parent, _ = _pick_parent_post(rng, brand_posts, platform_idx, ts)
    return pl.DataFrame(
        {
            "owner": owner,
            "platform": np.array(PLATFORMS)[platform_idx],
            "account_id": (owner + 100_000_000).astype(str),
            "activity_type": "reaction",
            "created_at": _ts(ts),
            "parent_id": _str_or_null(parent),
        }
    ).with_columns(
        pl.concat_str([pl.lit("l"), pl.int_range(pl.len()).cast(pl.String).str.zfill(9)]).alias(
            "activity_id"
        )
    )


def _tickets(cfg, rng, n, created_us, satisfaction, start_us, end_us):
    k = rng.poisson(0.45, n)
    owner = np.repeat(np.arange(n), k)
    lo = np.maximum(created_us[owner], start_us)
    opened = lo + (rng.random(len(owner)) * (end_us - lo)).astype(np.int64)
    p_unres = _sigmoid(-2.6 - 0.5 * satisfaction[owner])
    u = rng.random(len(owner))
    resolve_us = opened + (rng.lognormal(np.log(30), 1.0, len(owner)) * 3600e6).astype(np.int64)
    status = np.where(u < p_unres, "closed_unresolved", "resolved")
    status = np.where(resolve_us > end_us, "open", status)
    return pl.DataFrame(
        {
            "contact_idx": owner,
            "channel": rng.choice(["social", "email", "phone", "chat", "store"], len(owner)),
            "opened_at": _ts(opened),
            "resolved_at": pl.Series(np.where(status == "resolved", resolve_us, 0)).cast(
                pl.Datetime("us")
            ),
            "status": status,
            "topic": rng.choice(np.array(TOPICS), len(owner)),
        }
    ).with_columns(
        pl.when(pl.col("status") == "resolved").then(pl.col("resolved_at")).alias("resolved_at")
    )


def _orders(cfg, rng, n0, nx, n_lost, month_starts, crisis_start_us, country):
    """Orders of each contact-month cell: n0 baseline, nx caused by engagement, and
    n_lost that an unanswered complaint prevented (truth only, never landed)."""
    n, months = n0.shape
    counts = (n0 + nx + n_lost).ravel()
    cells = np.repeat(np.arange(n * months), counts)
    first_of_cell = np.repeat(np.cumsum(counts) - counts, counts)
    rank = np.arange(len(cells)) - first_of_cell
    extra_flag = (rank >= n0.ravel()[cells]) & (rank < (n0 + nx).ravel()[cells])
    lost_flag = rank >= (n0 + nx).ravel()[cells]
    contact = cells // months
    month = cells % months
    span = month_starts[month + 1] - month_starts[month]
    ts = month_starts[month] + (rng.random(len(cells)) * span).astype(np.int64)
    # organic crisis: a share of orders in the 28 days after it started never happen
    lost = (
        (ts >= crisis_start_us)
        & (ts < crisis_start_us + 28 * DAY)
        & (rng.random(len(cells)) < cfg.organic_sales_drop)
    )
    # orders the crisis removed in its first 14 days (the window revenue_change_pct reads)
    crisis_lost_14d = int((lost & ~lost_flag & (ts < crisis_start_us + 14 * DAY)).sum())
    keep = ~lost
    contact, ts, extra_flag = contact[keep], ts[keep], extra_flag[keep]
    lost_flag = lost_flag[keep]
    m = int((~lost_flag).sum())
    # guest orders (no contact)
    n_guest = m // 20
    g_ts = month_starts[0] + (rng.random(n_guest) * (month_starts[-1] - month_starts[0])).astype(
        np.int64
    )
    contact_all = np.concatenate([contact, np.full(n_guest, -1)])
    ts_all = np.concatenate([ts, g_ts])
    extra_all = np.concatenate([extra_flag, np.zeros(n_guest, bool)])
    lost_all = np.concatenate([lost_flag, np.zeros(n_guest, bool)])
    order_ix = np.argsort(ts_all, kind="stable")
    contact_all, ts_all, extra_all = contact_all[order_ix], ts_all[order_ix], extra_all[order_ix]
    lost_all = lost_all[order_ix]
    m = len(contact_all)
    currency = np.where(
        (contact_all >= 0) & (country[np.maximum(contact_all, 0)] == "US"), "USD", "EUR"
    )
    status = rng.choice(["completed", "cancelled", "refunded"], m, p=[0.93, 0.04, 0.03])
    channel = rng.choice(["online", "store", "marketplace"], m, p=[0.7, 0.2, 0.1])
    orders = pl.DataFrame(
        {
            "order_idx": np.arange(m),
            "contact_idx": _masked(contact_all, contact_all >= 0),
            "ordered_at": _ts(ts_all),
            "currency": currency,
            "status": status,
            "channel": channel,
            "is_incremental": extra_all,
            "is_lost_to_complaint": lost_all,
        }
    )
    # lines: price in EUR from a catalogue, converted to the order currency later
    n_lines = 1 + np.minimum(rng.poisson(0.5, m), 3)
    line_order = np.repeat(np.arange(m), n_lines)
    line_no = np.arange(len(line_order)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    n_sku = 240
    sku_price = np.round(rng.lognormal(3.9, 0.55, n_sku), 2)
    sku_margin = rng.uniform(0.25, 0.55, n_sku)
    sku = rng.integers(0, n_sku, len(line_order))
    lines = pl.DataFrame(
        {
            "order_idx": line_order,
            "line_no": line_no,
            "sku": _ids("SKU-", sku, 4),
            "quantity": 1 + rng.poisson(0.3, len(line_order)),
            "unit_price_eur": sku_price[sku],
            "unit_cost_eur": sku_price[sku] * (1 - sku_margin[sku]),
            "has_cost": rng.random(len(line_order)) < 0.75,
        }
    )
    return orders, lines, crisis_lost_14d


def _fx_rates(cfg, rng):
    days = cfg.months * 31 + 40
    d0 = cfg.start - timedelta(days=35)
    steps = rng.normal(0, 0.003, days)
    rate = 0.92 * np.exp(np.cumsum(steps))
    return pl.DataFrame(
        {
            "date": pl.date_range(d0, d0 + timedelta(days=days - 1), "1d", eager=True),
            "currency": "USD",
            "rate_to_reporting": np.round(rate, 6),
        }
    )


def _costs(cfg, rng, campaigns: pl.DataFrame, month_starts):
    rows = []
    i = 0
    for m in range(len(month_starts) - 1):
        day0 = date(1970, 1, 1) + timedelta(days=int(month_starts[m] // DAY))
        for p, staff in (("twitter", 1500.0), ("instagram", 1300.0), ("facebook", 1100.0)):
            i += 1
            rows.append(
                (
                    f"K{i:05d}",
                    day0 + timedelta(days=27),
                    "staff",
                    staff,
                    "EUR",
                    p,
                    None,
                    "community manager time",
                )
            )
        i += 1
        rows.append(
            (
                f"K{i:05d}",
                day0 + timedelta(days=4),
                "tooling",
                540.0,
                "USD",
                None,
                None,
                "social listening suite",
            )
        )
        if m % 3 == 0:
            i += 1
            rows.append(
                (
                    f"K{i:05d}",
                    day0 + timedelta(days=14),
                    "agency",
                    3000.0,
                    "EUR",
                    None,
                    None,
                    "content agency retainer",
                )
            )
    for c in campaigns.iter_rows(named=True):
        i += 1
        rows.append(
            (
                f"K{i:05d}",
                c["started_on"],
                "ads",
                float(rng.integers(3000, 9000)),
                "EUR",
                c["platform"],
                c["campaign_id"],
                "paid promotion",
            )
        )
        i += 1
        rows.append(
            (
                f"K{i:05d}",
                c["ended_on"],
                "prizes",
                float(rng.integers(800, 2500)),
                "EUR",
                c["platform"],
                c["campaign_id"],
                "contest prizes",
            )
        )
    frame = pl.DataFrame(
        rows,
        schema={
            "cost_id": pl.String,
            "incurred_on": pl.Date,
            "category": pl.String,
            "amount": pl.Float64,
            "currency": pl.String,
            "platform": pl.String,
            "campaign_id": pl.String,
            "note": pl.String,
        },
        orient="row",
    )
    # the community team and its budget grow with the community
    return frame.with_columns((pl.col("amount") * cfg.cost_scale * cfg.scale).round(2))


ACQUISITION_CHANNELS = ("organic_search", "paid_search", "referral", "email", "direct_traffic")


def _with_acquisition(cfg, contacts: pl.DataFrame, has_social, orders: pl.DataFrame):
    """The CRM's acquisition channel and conversion (first completed order), drawn
    from a generator of their own so the world's other draws are unchanged."""
    rng = np.random.default_rng([cfg.seed, 7919])
    n = contacts.height
    other = np.array(ACQUISITION_CHANNELS)[rng.integers(0, len(ACQUISITION_CHANNELS), n)]
    channel = np.where(has_social & (rng.random(n) < 0.35), "social", other)
    first_orders = (
        orders.filter((pl.col("status") == "completed") & pl.col("contact_id").is_not_null())
        .group_by("contact_id")
        .agg(pl.col("ordered_at").min().alias("converted_at"))
    )
    return contacts.with_columns(acquisition_channel=pl.Series(channel)).join(
        first_orders, on="contact_id", how="left", maintain_order="left"
    )


def _contract_tables(cfg, rng, p: _Parts):
    contact_ids = _ids("C", np.arange(p.n))
    contacts = pl.DataFrame(
        {
            "contact_id": contact_ids,
            "email": contact_ids.str.to_lowercase() + "@example.com",
            "created_at": _ts(p.created_us),
            "country": p.country,
            "segment": p.segment,
            "marketing_opt_in": rng.random(p.n) < 0.6,
        }
    )
    accounts = pl.concat(
        [p.brand_accounts, p.member_accounts.drop("contact_idx"), p.anon_accounts, p.amp_accounts],
        how="vertical_relaxed",
    )
    li = np.flatnonzero(p.linked)
    handles = _ids("fan_", li, 6)
    # some CRMs store handles with "@" and another case
    handles = pl.Series(np.where(rng.random(len(li)) < 0.5, "@", "")) + pl.Series(
        np.where(rng.random(len(li)) < 0.5, handles.str.to_uppercase(), handles)
    )
    identities = pl.DataFrame(
        {
            "contact_id": contact_ids.gather(li),
            "platform": np.array(PLATFORMS)[p.platform_idx[li]],
            "account_id": _masked((li + 100_000_000).astype(str), ~p.link_by_handle[li]),
            "handle": _masked(handles, p.link_by_handle[li]),
        }
    )
    sentiment_expr = (
        pl.when(pl.col("platform") == "facebook")
        .then((pl.col("polarity") * 0.6 + pl.col("noise")).clip(-1, 1).round(3))
        .otherwise(None)
    )
    member_acts = p.members.with_columns(
        noise=pl.Series(rng.normal(0, 0.15, p.members.height)),
        campaign_id=pl.lit(None, dtype=pl.String),
        share_count=pl.lit(0),
    ).with_columns(sentiment=sentiment_expr)
    cols = [
        "platform",
        "activity_id",
        "account_id",
        "activity_type",
        "created_at",
        "text",
        "parent_id",
        "campaign_id",
        "like_count",
        "share_count",
        "lang",
        "sentiment",
    ]
    activities = pl.concat(
        [
            p.brand_posts.with_columns(
                sentiment=pl.lit(None, dtype=pl.Float64), parent_id=pl.lit(None, dtype=pl.String)
            ).select(cols),
            member_acts.select(cols),
            p.replies.with_columns(
                campaign_id=pl.lit(None, dtype=pl.String),
                like_count=pl.lit(0),
                share_count=pl.lit(0),
                sentiment=pl.lit(None, dtype=pl.Float64),
            ).select(cols),
            p.likes.with_columns(
                text=pl.lit(None, dtype=pl.String),
                campaign_id=pl.lit(None, dtype=pl.String),
                like_count=pl.lit(None, dtype=pl.Int64),
                share_count=pl.lit(None, dtype=pl.Int64),
                lang=pl.lit(None, dtype=pl.String),
                sentiment=pl.lit(None, dtype=pl.Float64),
            ).select(cols),
        ],
        how="vertical_relaxed",
    ).sort("created_at")

    # page metrics: vanity, daily per brand account
    days = pl.date_range(
        cfg.start,
        date(1970, 1, 1) + timedelta(days=int(p.month_starts[-1] // DAY) - 1),
        "1d",
        eager=True,
    )
    pm = []
    for row in p.brand_accounts.iter_rows(named=True):
        t = np.arange(len(days))
        fol = np.round(row["followers"] * (0.8 + 0.25 * t / len(days)) + rng.normal(0, 300, len(t)))
        imp = np.round(fol * rng.uniform(0.02, 0.09, len(t)))
        pm.append(
            pl.DataFrame(
                {
                    "platform": row["platform"],
                    "account_id": row["account_id"],
                    "date": days,
                    "followers": fol.astype(np.int64),
                    "impressions": imp.astype(np.int64),
                    "reach": np.round(imp * rng.uniform(0.5, 0.8, len(t))).astype(np.int64),
                    "engagements": np.round(imp * rng.uniform(0.01, 0.04, len(t))).astype(np.int64),
                }
            )
        )
    page_metrics = pl.concat(pm)

    # surveys: p.satisfaction drives NPS/CSAT; scores drop after a betrayal
    k = rng.poisson(np.where(p.silent, cfg.silent_survey_rate, cfg.survey_rate))
    owner = np.repeat(np.arange(p.n), k)
    lo = np.maximum(p.created_us[owner], p.month_starts[0])
    resp_us = lo + (rng.random(len(owner)) * (p.month_starts[-1] - lo)).astype(np.int64)
    resp_month = np.searchsorted(p.month_starts, resp_us, side="right") - 1
    after_betrayal = resp_month > p.betrayal_month[owner]
    mood = p.satisfaction[owner] - 2.0 * after_betrayal + rng.normal(0, 0.6, len(owner))
    nps = np.clip(np.round(7.2 + 1.6 * mood), 0, 10).astype(np.int64)
    csat = np.clip(np.round(3.7 + 0.8 * mood), 1, 5).astype(np.int64)
    has_comment = rng.random(len(owner)) < 0.4
    surveys = pl.DataFrame(
        {
            "response_id": _ids("S", np.arange(len(owner)), 8),
            "contact_id": contact_ids.gather(owner),
            "responded_at": _ts(resp_us),
            "nps": _masked(nps, rng.random(len(owner)) < 0.8),
            "csat": _masked(csat, rng.random(len(owner)) < 0.7),
            "comment": _masked(
                np.where(
                    mood > 0,
                    "Very happy, thanks Anna at the desk",
                    "Call me back on my mobile, this is unacceptable",
                ),
                has_comment,
            ),
        }
    )
    tickets_out = p.tickets.with_columns(
        contact_id=contact_ids.gather(p.tickets["contact_idx"].to_numpy()),
        ticket_id=_ids("T", np.arange(p.tickets.height), 8),
    ).select("ticket_id", "contact_id", "channel", "opened_at", "resolved_at", "status", "topic")

    # p.orders: amounts in the order's currency, from EUR catalogue prices
    fx_daily = p.fx.select("date", pl.col("rate_to_reporting").alias("usd_rate"))
    orders_fx = (
        p.orders.with_columns(pl.col("ordered_at").dt.date().alias("date"))
        .join(fx_daily, on="date", how="left")
        .with_columns(
            pl.when(pl.col("currency") == "USD")
            .then(pl.col("usd_rate"))
            .otherwise(1.0)
            .alias("rate")
        )
    )
    lines_local = p.lines.join(orders_fx.select("order_idx", "rate"), on="order_idx").with_columns(
        (pl.col("unit_price_eur") / pl.col("rate")).round(2).alias("unit_price"),
        pl.when(pl.col("has_cost"))
        .then((pl.col("unit_cost_eur") / pl.col("rate")).round(2))
        .alias("unit_cost"),
    )
    amounts = lines_local.group_by("order_idx").agg(
        (pl.col("quantity") * pl.col("unit_price")).sum().round(2).alias("amount")
    )
    order_ids = _ids("O", p.orders["order_idx"].to_numpy(), 9)
    orders_out = (
        orders_fx.join(amounts, on="order_idx")
        .sort("order_idx")
        .with_columns(
            order_id=order_ids,
            contact_id=pl.when(pl.col("contact_idx").is_not_null()).then(
                pl.lit("C") + pl.col("contact_idx").cast(pl.String).str.zfill(7)
            ),
        )
    )
    order_lines = lines_local.with_columns(
        order_id=pl.lit("O") + pl.col("order_idx").cast(pl.String).str.zfill(9)
    ).select("order_id", "line_no", "sku", "quantity", "unit_price", "unit_cost")
    contacts = _with_acquisition(cfg, contacts, p.has_social, orders_out)

    return {
        "social/accounts": accounts,
        "social/activities": activities,
        "social/page_metrics": page_metrics,
        "crm/contacts": contacts,
        "crm/identities": identities,
        "crm/surveys": surveys,
        "crm/tickets": tickets_out,
        "sales/orders": orders_out.select(
            "order_id",
            "contact_id",
            "ordered_at",
            "currency",
            "amount",
            "status",
            "channel",
            "is_incremental",
            "is_lost_to_complaint",
            "rate",
        ),
        "sales/order_lines": order_lines,
        "costs/community_costs": p.costs,
        "costs/campaigns": p.campaigns,
        "reference/fx_rates": p.fx,
    }


def _truth(cfg, tables, p: _Parts):
    contact_ids = tables["crm/contacts"]["contact_id"]
    o = tables["sales/orders"]
    margin_rate = cfg.default_margin_rate
    lines_eur = tables["sales/order_lines"].join(o.select("order_id", "rate"), on="order_id")
    order_margin = lines_eur.group_by("order_id").agg(
        (
            pl.col("quantity") * pl.col("unit_price") * pl.col("rate")
            - pl.col("quantity")
            * pl.coalesce(pl.col("unit_cost"), pl.col("unit_price") * (1 - margin_rate))
            * pl.col("rate")
        )
        .sum()
        .alias("margin_eur")
    )
    o = o.join(order_margin, on="order_id", how="left").with_columns(
        (pl.col("amount") * pl.col("rate")).alias("revenue_eur")
    )
    # engagement start as the pipeline defines it: first p.inbound activity of a p.linked contact
    linked_ids = set(np.flatnonzero(p.linked).tolist())
    first = (
        p.inbound.filter(pl.col("contact_idx").is_not_null())
        .group_by("contact_idx")
        .agg(pl.col("created_at").min().alias("engaged_at"), pl.col("platform").first())
        .filter(pl.col("contact_idx").is_in(list(linked_ids)))
        .with_columns(contact_id=pl.lit("C") + pl.col("contact_idx").cast(pl.String).str.zfill(7))
    )
    completed = o.filter(pl.col("status") == "completed")
    after = completed.join(first.select("contact_id", "engaged_at", "platform"), on="contact_id")
    after = after.filter(pl.col("ordered_at") >= pl.col("engaged_at"))
    per_platform = {}
    costs = (
        tables["costs/community_costs"]
        .with_columns(pl.col("incurred_on").alias("date"))
        .join(p.fx.select("date", pl.col("rate_to_reporting").alias("usd")), on="date", how="left")
        .with_columns(
            (
                pl.col("amount")
                * pl.when(pl.col("currency") == "USD").then(pl.col("usd")).otherwise(1.0)
            ).alias("cost_eur")
        )
    )
    total_cost = float(costs["cost_eur"].sum())
    for plat in (*PLATFORMS, "all"):
        sel = after if plat == "all" else after.filter(pl.col("platform") == plat)
        inc = sel.filter(pl.col("is_incremental"))
        lost = sel.filter(pl.col("is_lost_to_complaint"))
        landed = sel.filter(~pl.col("is_lost_to_complaint"))
        per_platform[plat] = {
            "uplift": None if plat == "all" else cfg.uplift.get(plat, 0.0),
            "engaged_linked_contacts": int(
                first.height if plat == "all" else first.filter(pl.col("platform") == plat).height
            ),
            "naive_revenue": round(float(landed["revenue_eur"].sum()), 2),
            "naive_margin": round(float(landed["margin_eur"].sum()), 2),
            # caused by engaging: the uplift's extra orders minus the orders an
            # unanswered complaint cost
            "incremental_revenue": round(
                float(inc["revenue_eur"].sum() - lost["revenue_eur"].sum()), 2
            ),
            "incremental_margin": round(
                float(inc["margin_eur"].sum() - lost["margin_eur"].sum()), 2
            ),
            "lost_to_unanswered_complaints": round(float(lost["revenue_eur"].sum()), 2),
        }
    per_platform["all"]["cost"] = round(total_cost, 2)
    all_ = per_platform["all"]
    all_["roi"] = round((all_["incremental_margin"] - total_cost) / total_cost, 4)
    all_["naive_roi"] = round((all_["naive_margin"] - total_cost) / total_cost, 4)

    answered = p.inbound.filter(pl.col("is_answered"))
    window = 72 * 60
    within = answered.filter(pl.col("response_minutes") <= window)
    engaging_accounts = (
        p.members.filter(pl.col("activity_id").is_in(p.inbound["activity_id"].implode()))
        .select("platform", "account_id")
        .unique()
    )
    linked_accounts = set((np.flatnonzero(p.linked) + 100_000_000).astype(str).tolist())
    unresolved_share = float((~engaging_accounts["account_id"].is_in(list(linked_accounts))).mean())
    lapsed_engagers = int(
        first.filter(
            pl.col("contact_idx").is_in(np.flatnonzero(p.lapse_month < cfg.months).tolist())
        ).height
    )
    org, amp = cfg.organic_crisis, cfg.amplified_crisis
    org_from = datetime.combine(org[0], datetime.min.time())
    crisis_orders_14d = o.filter(
        ~pl.col("is_lost_to_complaint")
        & (pl.col("ordered_at") >= org_from)
        & (pl.col("ordered_at") < org_from + timedelta(days=14))
    ).height
    truth = {
        "config": {
            k: (str(v) if isinstance(v, date | tuple) else v) for k, v in asdict(cfg).items()
        },
        "window": {"start": str(cfg.start), "months": cfg.months},
        "contacts": len(contact_ids),
        "orders": int(o.filter(~pl.col("is_lost_to_complaint")).height),
        "activities": int(tables["social/activities"].height),
        "roi": per_platform,
        "responsiveness": {
            "answer_rate_planted": cfg.answer_rate,
            "response_median_minutes_planted": cfg.response_median_minutes,
            "inbound": int(p.inbound.height),
            "answered_within_window": int(within.height),
            "answered_share_realised": round(within.height / max(p.inbound.height, 1), 4),
            "median_first_response_minutes_realised": round(
                float(within["response_minutes"].median()), 2
            ),
            "p90_first_response_minutes_realised": round(
                float(within["response_minutes"].quantile(0.9, "linear")), 2
            ),
        },
        "crises": {
            "organic": {
                "platform": org[2],
                "start": str(org[0]),
                "end": str(org[0] + timedelta(days=org[1] - 1)),
                "planted_revenue_change_pct": -100 * cfg.organic_sales_drop,
                # in this sample: orders removed in the 14 days from the start, over the
                # orders there would have been (guest orders are never removed)
                "realised_order_change_pct": round(
                    -100 * p.crisis_lost_14d / (crisis_orders_14d + p.crisis_lost_14d), 2
                ),
                "amplified": False,
            },
            "amplified": {
                "platform": amp[2],
                "start": str(amp[0]),
                "end": str(amp[0] + timedelta(days=amp[1] - 1)),
                "planted_revenue_change_pct": 0.0,
                "amplified": True,
                "young_accounts": int(p.n_amp),
            },
        },
        "identity": {
            "engaging_accounts": int(engaging_accounts.height),
            "unresolved_engaging_account_share": round(unresolved_share, 4),
            "lapsed_contacts_who_engaged": lapsed_engagers,
        },
        "advocates": sorted((p.adv_idx + 100_000_000).astype(str).tolist()),
        "launch_on": None if cfg.launch_on is None else str(cfg.launch_on),
        "sources": cfg.sources,
        "silent_satisfied_count": int(p.silent.sum()),
    }
    engaged_at = first.select(
        "contact_id", "engaged_at", pl.col("platform").alias("engaged_platform")
    )
    truth_contacts = pl.DataFrame(
        {
            "contact_id": contact_ids,
            "platform": _masked(
                np.array(PLATFORMS)[p.platform_idx], p.engaged | p.linked | p.advocate
            ),
            "is_engaged": p.engaged,
            "is_linked": p.linked,
            "is_advocate": p.advocate,
            "is_silent_satisfied": p.silent,
            # latent traits the pipeline never sees, for checks of what it infers
            "has_social_account": p.has_social,
            "satisfaction": np.round(p.satisfaction, 4),
            "lapse_month": p.lapse_month,
            "created_at": _ts(p.created_us),
        }
    )
    truth_contacts = truth_contacts.join(engaged_at, on="contact_id", how="left")
    truth_orders = o.select(
        "order_id",
        "contact_id",
        "ordered_at",
        "is_incremental",
        "is_lost_to_complaint",
        "revenue_eur",
        "margin_eur",
        "status",
    )
    # member texts' planted polarity (-1, 0, 1), language, topic and crisis membership
    truth_activities = p.members.select(
        "platform",
        "activity_id",
        "polarity",
        "lang",
        "topic",
        "is_organic_crisis",
        "is_amplified_crisis",
        "is_counter_voice",
    )
    return truth, {
        "contacts": truth_contacts,
        "orders": truth_orders,
        "activities": truth_activities,
    }
