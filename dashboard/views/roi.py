"""ROI: what community work returns, naive against causal, with the 90 % interval."""

from __future__ import annotations

import altair as alt
import streamlit as st
from common import (
    money,
    pct,
    platform_choice,
    publication_caption,
    query,
    require_publication,
)

require_publication()
st.title("Community ROI")
st.markdown(
    "**Naive** credits engaged customers with all their revenue after they first "
    "engaged; **causal** (incremental) compares them with matched customers not yet "
    "engaged, before and after. The band is the 90 % interval of the causal estimate."
)

summary = query("select * from marts.community_roi_summary")
if summary.empty:
    st.info("community_roi_summary is empty in this publication.")
    publication_caption()
    st.stop()

platform = platform_choice(summary["platform"].tolist(), key="roi_platform")
row = summary[summary["platform"] == platform].iloc[0]
st.caption(
    f"{row.window_start:%Y-%m-%d} to {row.window_end:%Y-%m-%d} · method {row.method} · "
    f"{int(row.engaged_customers):,} engaged customers, {int(row.control_customers):,} controls"
)

c1, c2, c3 = st.columns(3)
c1.metric(
    "Causal ROI",
    pct(row.roi, 0, signed=True),
    help=f"90 % interval {pct(row.roi_low, 0, True)} to {pct(row.roi_high, 0, True)}",
)
c2.metric("Naive ROI", pct(row.naive_roi, 0, signed=True))
c3.metric("Cost", money(row.cost))
c4, c5, c6 = st.columns(3)
c4.metric(
    "Incremental revenue",
    money(row.incremental_revenue),
    help=f"90 % interval {money(row.incremental_revenue_low)} to "
    f"{money(row.incremental_revenue_high)}",
)
c5.metric("Naive revenue", money(row.naive_revenue))
c6.metric(
    "Accounts not linked to a contact",
    pct(row.unresolved_engaging_account_share, 0),
    help="Share of engaging social accounts not linked to a CRM contact: their effect "
    "is not measured, the causal figures cover linked contacts only.",
)
st.caption(
    f"Causal ROI 90 % interval: {pct(row.roi_low, 0, True)} to {pct(row.roi_high, 0, True)}; "
    f"incremental revenue: {money(row.incremental_revenue_low)} to "
    f"{money(row.incremental_revenue_high)}"
)

monthly = query(
    "select * from marts.community_roi_monthly where platform = ? order by period", [platform]
)


def naive_against_causal(monthly, naive: str, causal: str, title: str, number_format: str):
    """The causal figure's 90 % band, and its line beside the naive one."""
    band = (
        alt.Chart(monthly)
        .mark_area(opacity=0.25, color="#1f6f8b")
        .encode(
            x=alt.X("period:T", title=None),
            y=alt.Y(f"{causal}_low:Q", title=title, axis=alt.Axis(format=number_format)),
            y2=f"{causal}_high:Q",
        )
    )
    lines = (
        alt.Chart(monthly)
        .transform_fold([naive, causal], as_=["measure", "value"])
        .mark_line(point=True)
        .encode(
            x="period:T",
            y="value:Q",
            color=alt.Color(
                "measure:N",
                scale=alt.Scale(domain=[naive, causal], range=["#d95f02", "#1f6f8b"]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=["period:T", "measure:N", alt.Tooltip("value:Q", format=number_format)],
        )
    )
    return band + lines


if not monthly.empty:
    cost = (
        alt.Chart(monthly)
        .mark_bar(color="#7f7f7f")
        .encode(
            x=alt.X("period:T", title=None),
            y=alt.Y("cost:Q", title="cost per month"),
            tooltip=["period:T", alt.Tooltip("cost:Q", format=",.0f")],
        )
    )
    revenue = naive_against_causal(
        monthly, "naive_revenue", "incremental_revenue", "revenue per month", ",.0f"
    )
    left, right = st.columns([3, 2])
    left.subheader("Revenue: naive against causal (90 % band)")
    left.altair_chart(revenue.properties(height=280), width="stretch")
    right.subheader("Cost")
    right.altair_chart(cost.properties(height=280), width="stretch")
    roi = naive_against_causal(monthly, "naive_roi", "roi", "ROI", ".0%")
    st.subheader("ROI per month: naive against causal (90 % band)")
    st.altair_chart(roi.properties(height=260), width="stretch")

st.subheader("By platform, whole window")
by_platform = summary.sort_values("platform", key=lambda s: s != "all")
st.table(
    by_platform.assign(
        cost=by_platform["cost"].map(money),
        naive_revenue=by_platform["naive_revenue"].map(money),
        incremental_revenue=[
            f"{money(r.incremental_revenue)} ({money(r.incremental_revenue_low)} to "
            f"{money(r.incremental_revenue_high)})"
            for r in by_platform.itertuples()
        ],
        naive_roi=by_platform["naive_roi"].map(lambda v: pct(v, 0, True)),
        roi=[
            f"{pct(r.roi, 0, True)} ({pct(r.roi_low, 0, True)} to {pct(r.roi_high, 0, True)})"
            for r in by_platform.itertuples()
        ],
        unlinked=by_platform["unresolved_engaging_account_share"].map(lambda v: pct(v, 0)),
    )[
        [
            "platform",
            "cost",
            "naive_revenue",
            "incremental_revenue",
            "naive_roi",
            "roi",
            "unlinked",
        ]
    ].rename(
        columns={
            "naive_revenue": "naive revenue",
            "incremental_revenue": "incremental revenue (90 %)",
            "naive_roi": "naive ROI",
            "roi": "causal ROI (90 %)",
            "unlinked": "accounts not linked",
        }
    ),
    hide_index=True,
)

st.subheader("Campaigns")
campaigns = query("select * from marts.campaign_roi order by started_on, campaign_id")
if campaigns.empty:
    st.info("No campaigns in this publication.")
else:
    st.table(
        campaigns.assign(
            period=[
                f"{r.started_on:%Y-%m-%d} to {r.ended_on:%Y-%m-%d}" for r in campaigns.itertuples()
            ],
            cost=campaigns["cost"].map(money),
            incremental_revenue=campaigns["incremental_revenue"].map(money),
            roi=[
                f"{pct(r.roi, 0, True)} ({pct(r.roi_low, 0, True)} to {pct(r.roi_high, 0, True)})"
                for r in campaigns.itertuples()
            ],
            pooled=campaigns["is_pooled_with_platform"].map({True: "yes", False: "no"}),
        )[
            [
                "name",
                "platform",
                "period",
                "cost",
                "engaged_customers",
                "incremental_revenue",
                "roi",
                "pooled",
            ]
        ].rename(
            columns={
                "engaged_customers": "engaged",
                "incremental_revenue": "incremental revenue",
                "roi": "causal ROI (90 %)",
                "pooled": "pooled with platform",
            }
        ),
        hide_index=True,
    )

publication_caption()
