"""The demo world: a brand's community, customers and sales with a known truth.

Everything is drawn with numpy and assembled with polars, column by column; no
Python loop runs per contact, order or activity, so the scale setting reaches
millions of rows. What was planted is returned beside the tables (see
`World.truth`), and `worlds.writer` turns both into a landing folder and
a truth folder.

Mechanisms planted (see docs/reference/methods.md for why each matters):
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

import numpy as np
import polars as pl

from worlds.config import PLATFORMS, Calendar, World, WorldConfig, to_us
from worlds.costs import community_costs
from worlds.crises import crisis_activities, thin_before_launch
from worlds.customers import draw_betrayals, draw_customers
from worlds.sales import draw_sales, fx_rates
from worlds.social import (
    brand_posts_and_campaigns,
    brand_replies,
    community_activities,
    draw_accounts,
    flagged_members,
    labelled_texts,
    likes_of,
    numbered_members,
    with_peer_replies,
)
from worlds.tables import Parts, contract_tables
from worlds.truth import planted_truth

__all__ = ["PLATFORMS", "World", "WorldConfig", "generate"]


def generate(config: WorldConfig | None = None) -> World:
    """The world of `config`, drawn stage by stage from one generator: the order of
    the stages is the order of the draws, so a seed gives the same world."""
    cfg = config or WorldConfig()
    rng = np.random.default_rng(cfg.seed)
    cal = Calendar.of(cfg)
    c = draw_customers(cfg, rng, cal)
    a = draw_accounts(cfg, rng, cal, c)
    campaigns, brand_posts = brand_posts_and_campaigns(cfg, rng, cal.start_us, cal.end_us)
    acts = community_activities(cfg, rng, cal, c, a, brand_posts)
    acts += crisis_activities(cfg, rng, c, a, brand_posts)
    members = flagged_members(acts)
    if cfg.launch_on is not None:
        members = thin_before_launch(cfg, members)
    members = with_peer_replies(cfg, rng, c, a, numbered_members(members))
    inbound, replies = brand_replies(cfg, rng, members)
    likes = likes_of(cfg, rng, cal, c, brand_posts)
    b = draw_betrayals(cfg, rng, cal, c, inbound)
    s = draw_sales(cfg, rng, cal, c, b, to_us(cfg.organic_crisis[0]))
    fx = fx_rates(cfg, rng)
    costs = community_costs(cfg, rng, campaigns, cal.month_starts)

    parts = Parts(
        n=c.n,
        crisis_lost_14d=s.crisis_lost_14d,
        created_us=c.created_us,
        country=c.country,
        segment=c.segment,
        satisfaction=c.satisfaction,
        silent=c.silent,
        has_social=c.has_social,
        betrayal_month=b.betrayal_month,
        month_starts=cal.month_starts,
        brand_accounts=a.brand_accounts,
        member_accounts=a.member_accounts,
        anon_accounts=a.anon_accounts,
        amp_accounts=a.amp_accounts,
        linked=c.linked,
        link_by_handle=c.link_by_handle,
        brand_posts=brand_posts,
        members=members,
        replies=replies,
        likes=likes,
        tickets=b.tickets,
        orders=s.orders,
        lines=s.lines,
        fx=fx,
        costs=costs,
        campaigns=campaigns,
        platform_idx=c.platform_idx,
        inbound=inbound,
        engaged=c.engaged,
        advocate=c.advocate,
        lapse_month=s.lapse_month,
        adv_idx=c.adv_idx,
        n_amp=a.n_amp,
    )
    tables = contract_tables(cfg, rng, parts)
    tables["social/labelled_texts"] = labelled_texts(cfg, members)
    truth, truth_tables = planted_truth(cfg, tables, parts)
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
