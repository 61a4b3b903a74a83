"""The drawn world assembled into the landing contract's tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from worlds.config import DAY, PLATFORMS, ids, masked, timestamps
from worlds.customers import with_acquisition


@dataclass
class Parts:
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


def contract_tables(cfg, rng, p: Parts):
    contact_ids = ids("C", np.arange(p.n))
    contacts = pl.DataFrame(
        {
            "contact_id": contact_ids,
            "email": contact_ids.str.to_lowercase() + "@example.com",
            "created_at": timestamps(p.created_us),
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
    handles = ids("fan_", li, 6)
    # some CRMs store handles with "@" and another case
    handles = pl.Series(np.where(rng.random(len(li)) < 0.5, "@", "")) + pl.Series(
        np.where(rng.random(len(li)) < 0.5, handles.str.to_uppercase(), handles)
    )
    identities = pl.DataFrame(
        {
            "contact_id": contact_ids.gather(li),
            "platform": np.array(PLATFORMS)[p.platform_idx[li]],
            "account_id": masked((li + 100_000_000).astype(str), ~p.link_by_handle[li]),
            "handle": masked(handles, p.link_by_handle[li]),
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
            "response_id": ids("S", np.arange(len(owner)), 8),
            "contact_id": contact_ids.gather(owner),
            "responded_at": timestamps(resp_us),
            "nps": masked(nps, rng.random(len(owner)) < 0.8),
            "csat": masked(csat, rng.random(len(owner)) < 0.7),
            "comment": masked(
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
        ticket_id=ids("T", np.arange(p.tickets.height), 8),
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
    order_ids = ids("O", p.orders["order_idx"].to_numpy(), 9)
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
    contacts = with_acquisition(cfg, contacts, p.has_social, orders_out)

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
