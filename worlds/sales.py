"""Sales: when customers lapse, their orders (baseline, caused by engagement, and
lost to an unanswered complaint), order lines, and exchange rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import polars as pl

from worlds.config import DAY, PLATFORMS, SEASON, Calendar, WorldConfig, ids, masked, timestamps
from worlds.customers import Betrayals, Customers


@dataclass
class Sales:
    orders: pl.DataFrame
    lines: pl.DataFrame
    crisis_lost_14d: int  # orders the organic crisis removed in its first 14 days
    lapse_month: np.ndarray


def draw_sales(
    cfg: WorldConfig,
    rng: np.random.Generator,
    cal: Calendar,
    c: Customers,
    b: Betrayals,
    org_start_us: int,
) -> Sales:
    """Lapse, then orders per contact-month."""
    month_starts, cal_month = cal.month_starts, cal.cal_month
    (
        n,
        value,
        satisfaction,
        country,
        pre_existing,
        created_month,
        silent,
        advocate,
        platform_idx,
        engaged,
        engage_month,
    ) = (
        c.n,
        c.value,
        c.satisfaction,
        c.country,
        c.pre_existing,
        c.created_month,
        c.silent,
        c.advocate,
        c.platform_idx,
        c.engaged,
        c.engage_month,
    )
    betrayal_month, ticket_betrayal_month = b.betrayal_month, b.ticket_betrayal_month
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
    orders, lines, crisis_lost_14d = orders_of(
        cfg, rng, n0, nx, n_lost, month_starts, org_start_us, country
    )
    return Sales(orders, lines, crisis_lost_14d, lapse_month)


def orders_of(cfg, rng, n0, nx, n_lost, month_starts, crisis_start_us, country):
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
            "contact_idx": masked(contact_all, contact_all >= 0),
            "ordered_at": timestamps(ts_all),
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
            "sku": ids("SKU-", sku, 4),
            "quantity": 1 + rng.poisson(0.3, len(line_order)),
            "unit_price_eur": sku_price[sku],
            "unit_cost_eur": sku_price[sku] * (1 - sku_margin[sku]),
            "has_cost": rng.random(len(line_order)) < 0.75,
        }
    )
    return orders, lines, crisis_lost_14d


def fx_rates(cfg, rng):
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
