"""What a world is made of: its configuration, its calendar, and the small column
helpers every part of the generator uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import polars as pl

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


@dataclass(frozen=True)
class Calendar:
    """The world's months, in microseconds since the epoch."""

    start_us: int
    end_us: int
    month_starts: np.ndarray  # first instant of each month, and of the month after the last
    cal_month: np.ndarray  # calendar month (0-11) of each month of the world

    @classmethod
    def of(cls, cfg: WorldConfig) -> Calendar:
        start_us = to_us(cfg.start)
        month_starts = np.array(
            [
                to_us(
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
        return cls(start_us, end_us, month_starts, cal_month)


def to_us(d: date | datetime) -> int:
    if isinstance(d, datetime):
        return int((d - datetime(1970, 1, 1)).total_seconds() * 1_000_000)
    return (d - date(1970, 1, 1)).days * DAY


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def ids(prefix: str, idx: np.ndarray, width: int = 7) -> pl.Series:
    return prefix + pl.Series(idx).cast(pl.String).str.zfill(width)


def masked(values: np.ndarray | pl.Series, keep: np.ndarray) -> pl.Series:
    """`values` where `keep`, else null."""
    return pl.select(pl.when(pl.Series(keep)).then(pl.Series(values))).to_series()


def str_or_null(values: np.ndarray) -> pl.Series:
    """Object array of str/None -> polars String series with nulls (no per-row Python)."""
    mask = np.not_equal(values, None)
    text = np.where(mask, values, "").astype(str)
    return pl.select(pl.when(pl.Series(mask)).then(pl.Series(text))).to_series()


def timestamps(values: np.ndarray) -> pl.Series:
    return pl.Series(values.astype(np.int64)).cast(pl.Datetime("us"))
