"""Responsiveness: how much of what members address to the brand gets an answer,
and how fast."""

from __future__ import annotations

import altair as alt
import streamlit as st
from common import count, pct, platform_choice, publication_caption, query, require_publication

require_publication()
st.title("Responsiveness")

platforms = query("select distinct platform from marts.responsiveness_daily")["platform"]
if platforms.empty:
    st.info("responsiveness_daily is empty in this publication.")
    publication_caption()
    st.stop()

platform = platform_choice(platforms.tolist(), key="responsiveness_platform")
daily = query(
    "select * from marts.responsiveness_daily where platform = ? order by date", [platform]
)
inbound, answered = daily["inbound"].sum(), daily["answered"].sum()
st.caption(f"{daily['date'].min():%Y-%m-%d} to {daily['date'].max():%Y-%m-%d}")
c1, c2, c3, c4 = st.columns(4)
c1.metric("Inbound", count(inbound))
c2.metric("Answered", count(answered))
c3.metric("Answered share", pct(answered / inbound if inbound else None))
c4.metric(
    "Median first response",
    f"{daily['median_first_response_minutes'].median():,.0f} min",
    help="The median, over the days, of each day's median first response",
)

weekly = (
    daily.assign(week=daily["date"].dt.to_period("W").dt.start_time)
    .groupby("week", as_index=False)
    .agg(
        inbound=("inbound", "sum"),
        answered=("answered", "sum"),
        median=("median_first_response_minutes", "median"),
        p90=("p90_first_response_minutes", "median"),
    )
)
weekly["answered_share"] = weekly["answered"] / weekly["inbound"]
left, right = st.columns(2)
left.subheader("Answered share per week")
left.altair_chart(
    alt.Chart(weekly)
    .mark_line(point=False, color="#1f6f8b")
    .encode(
        x=alt.X("week:T", title=None),
        y=alt.Y("answered_share:Q", title="answered", axis=alt.Axis(format="%")),
        tooltip=["week:T", "inbound:Q", alt.Tooltip("answered_share:Q", format=".0%")],
    )
    .properties(height=260),
    width="stretch",
)
right.subheader("First response per week (minutes)")
right.altair_chart(
    alt.Chart(weekly)
    .transform_fold(["median", "p90"], as_=["measure", "minutes"])
    .mark_line()
    .encode(
        x=alt.X("week:T", title=None),
        y=alt.Y("minutes:Q", title="minutes"),
        color=alt.Color("measure:N", legend=alt.Legend(orient="bottom", title=None)),
    )
    .properties(height=260),
    width="stretch",
)

st.subheader("By platform, whole window")
by_platform = query(
    "select platform, sum(inbound) as inbound, sum(answered) as answered, "
    "median(median_first_response_minutes) as median_minutes "
    "from marts.responsiveness_daily group by platform order by platform <> 'all', platform"
)
st.table(
    by_platform.assign(
        answered_share=[
            pct(r.answered / r.inbound if r.inbound else None) for r in by_platform.itertuples()
        ],
        inbound=by_platform["inbound"].map(count),
        answered=by_platform["answered"].map(count),
        median_minutes=by_platform["median_minutes"].map(lambda v: f"{v:,.0f}"),
    )[["platform", "inbound", "answered", "answered_share", "median_minutes"]].rename(
        columns={
            "answered_share": "answered share",
            "median_minutes": "median first response (min)",
        }
    ),
    hide_index=True,
)

publication_caption()
