"""Customers and the CRM: contacts, who engages, tickets, acquisition, and the
betrayals (an unanswered complaint, an unresolved ticket) that make them lapse."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from worlds.config import DAY, PLATFORMS, Calendar, WorldConfig, sigmoid, timestamps
from worlds.texts import TOPICS


@dataclass
class Customers:
    """One value per contact (index 0..n-1), as drawn."""

    n: int
    value: np.ndarray
    satisfaction: np.ndarray
    country: np.ndarray
    segment: np.ndarray
    pre_existing: np.ndarray
    created_us: np.ndarray
    created_month: np.ndarray
    lang: np.ndarray
    has_social: np.ndarray
    silent: np.ndarray
    advocate: np.ndarray
    adv_idx: np.ndarray
    platform_idx: np.ndarray
    linked: np.ndarray
    link_by_handle: np.ndarray
    engaged: np.ndarray
    engage_us: np.ndarray
    engage_month: np.ndarray


def draw_customers(cfg: WorldConfig, rng: np.random.Generator, cal: Calendar) -> Customers:
    """Contacts, their value and satisfaction, their social presence, and who engages when."""
    n = cfg.n_contacts
    start_us, end_us, month_starts = cal.start_us, cal.end_us, cal.month_starts
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
    p_engage = sigmoid(-0.4 + cfg.selection_strength * np.log(value))
    engaged = has_social & ((rng.random(n) < p_engage) | advocate)
    engage_us = start_us + (rng.random(n) * (end_us - start_us - 7 * DAY)).astype(np.int64)
    engage_us = np.where(
        advocate, start_us + (rng.random(n) * 60 * DAY).astype(np.int64), engage_us
    )
    engage_month = np.searchsorted(month_starts, engage_us, side="right") - 1
    return Customers(
        n=n,
        value=value,
        satisfaction=satisfaction,
        country=country,
        segment=segment,
        pre_existing=pre_existing,
        created_us=created_us,
        created_month=created_month,
        lang=lang,
        has_social=has_social,
        silent=silent,
        advocate=advocate,
        adv_idx=adv_idx,
        platform_idx=platform_idx,
        linked=linked,
        link_by_handle=link_by_handle,
        engaged=engaged,
        engage_us=engage_us,
        engage_month=engage_month,
    )


@dataclass
class Betrayals:
    tickets: pl.DataFrame
    betrayal_month: np.ndarray  # month of a contact's first betrayal (complaint or ticket)
    ticket_betrayal_month: np.ndarray  # ... counting unresolved tickets only


def draw_betrayals(
    cfg: WorldConfig, rng: np.random.Generator, cal: Calendar, c: Customers, inbound: pl.DataFrame
) -> Betrayals:
    """Tickets, and the month each contact was first let down."""
    start_us, end_us, month_starts = cal.start_us, cal.end_us, cal.month_starts
    n, satisfaction, created_us = c.n, c.satisfaction, c.created_us
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
    tickets = tickets_of(cfg, rng, n, created_us, satisfaction, start_us, end_us)
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
    return Betrayals(tickets, betrayal_month, ticket_betrayal_month)


def tickets_of(cfg, rng, n, created_us, satisfaction, start_us, end_us):
    k = rng.poisson(0.45, n)
    owner = np.repeat(np.arange(n), k)
    lo = np.maximum(created_us[owner], start_us)
    opened = lo + (rng.random(len(owner)) * (end_us - lo)).astype(np.int64)
    p_unres = sigmoid(-2.6 - 0.5 * satisfaction[owner])
    u = rng.random(len(owner))
    resolve_us = opened + (rng.lognormal(np.log(30), 1.0, len(owner)) * 3600e6).astype(np.int64)
    status = np.where(u < p_unres, "closed_unresolved", "resolved")
    status = np.where(resolve_us > end_us, "open", status)
    return pl.DataFrame(
        {
            "contact_idx": owner,
            "channel": rng.choice(["social", "email", "phone", "chat", "store"], len(owner)),
            "opened_at": timestamps(opened),
            "resolved_at": pl.Series(np.where(status == "resolved", resolve_us, 0)).cast(
                pl.Datetime("us")
            ),
            "status": status,
            "topic": rng.choice(np.array(TOPICS), len(owner)),
        }
    ).with_columns(
        pl.when(pl.col("status") == "resolved").then(pl.col("resolved_at")).alias("resolved_at")
    )


ACQUISITION_CHANNELS = ("organic_search", "paid_search", "referral", "email", "direct_traffic")


def with_acquisition(cfg, contacts: pl.DataFrame, has_social, orders: pl.DataFrame):
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
