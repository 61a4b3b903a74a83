"""What was planted: the truth each analytic is judged against."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from worlds.config import PLATFORMS, masked, timestamps
from worlds.tables import Parts


def planted_truth(cfg, tables, p: Parts):
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
            "platform": masked(
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
            "created_at": timestamps(p.created_us),
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
