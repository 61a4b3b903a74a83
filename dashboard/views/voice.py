"""Voice: what the market says by topic and week, how much of it was scored, and the
crises with each sign of amplification."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from common import count, pct, publication_caption, query, require_publication

require_publication()
st.title("Voice of the market")

weekly = query("select * from marts.voice_of_market order by week, topic")
if weekly.empty:
    st.info("voice_of_market is empty in this publication.")
else:
    # topic `all` holds every text once (a text can belong to several topics)
    overall = weekly[weekly["topic"] == "all"]
    if overall.empty:
        overall = weekly
    mentions = overall["mentions"].sum()
    scored = overall["scored_mentions"].sum()
    negative = overall["negative_mentions"].sum()
    c1, c2, c3 = st.columns(3)
    c1.metric("Member texts", count(mentions))
    c2.metric("Negative share (of scored)", pct(negative / scored if scored else None))
    c3.metric("Scored share", pct(scored / mentions if mentions else None))

    st.subheader("Negative share by topic and week")
    st.altair_chart(
        alt.Chart(weekly.assign(week_end=weekly["week"] + pd.Timedelta(days=7)))
        .mark_rect()
        .encode(
            x=alt.X("week:T", title=None),
            x2="week_end:T",
            y=alt.Y("topic:N", title=None),
            color=alt.Color(
                "negative_share:Q",
                scale=alt.Scale(scheme="reds", domain=[0, 1]),
                legend=alt.Legend(format="%", title="negative"),
            ),
            tooltip=[
                "week:T",
                "topic:N",
                "mentions:Q",
                alt.Tooltip("negative_share:Q", format=".0%"),
                alt.Tooltip("scored_share:Q", format=".0%"),
            ],
        )
        .properties(height=260),
        width="stretch",
    )

    st.subheader("By topic, whole window")
    by_topic = (
        weekly.groupby("topic", as_index=False)[
            ["mentions", "scored_mentions", "negative_mentions"]
        ]
        .sum()
        .sort_values("negative_mentions", ascending=False)
    )
    st.table(
        by_topic.assign(
            negative_share=[
                pct(r.negative_mentions / r.scored_mentions if r.scored_mentions else None)
                for r in by_topic.itertuples()
            ],
            scored_share=[
                pct(r.scored_mentions / r.mentions if r.mentions else None)
                for r in by_topic.itertuples()
            ],
            mentions=by_topic["mentions"].map(count),
            negative_mentions=by_topic["negative_mentions"].map(count),
        )[["topic", "mentions", "negative_mentions", "negative_share", "scored_share"]].rename(
            columns={
                "negative_mentions": "negative mentions",
                "negative_share": "negative share",
                "scored_share": "scored share",
            }
        ),
        hide_index=True,
    )

st.subheader("Crises and their amplification signals")
crises = query("select * from marts.crisis_events order by started_on, platform")
if crises.empty:
    st.info("No crisis detected in this publication.")
else:
    st.table(
        crises.assign(
            days=[(r.ended_on - r.started_on).days + 1 for r in crises.itertuples()],
            severity=crises["severity"].map(lambda v: f"{v:.0f}x"),
            new_account_share=crises["new_account_share"].map(lambda v: pct(v, 0)),
            duplicate_text_share=crises["duplicate_text_share"].map(lambda v: pct(v, 0)),
            known_customer_share=crises["known_customer_share"].map(lambda v: pct(v, 0)),
            burst_synchrony=crises["burst_synchrony"].map(lambda v: f"{v:.2f}"),
            amplification_score=crises["amplification_score"].map(lambda v: f"{v:.2f}"),
            suspected_amplification=crises["suspected_amplification"].map(
                {True: "suspected", False: "organic"}
            ),
            revenue_change_pct=crises["revenue_change_pct"].map(
                lambda v: "–" if pd.isna(v) else f"{v:+.1f} %"
            ),
        )[
            [
                "crisis_id",
                "days",
                "negative_mentions",
                "severity",
                "new_account_share",
                "duplicate_text_share",
                "known_customer_share",
                "burst_synchrony",
                "amplification_score",
                "suspected_amplification",
                "advocate_counter_mentions",
                "revenue_change_pct",
            ]
        ].rename(
            columns={
                "crisis_id": "crisis (platform, start)",
                "negative_mentions": "negative",
                "severity": "× usual",
                "new_account_share": "new accounts",
                "duplicate_text_share": "duplicates",
                "known_customer_share": "customers",
                "burst_synchrony": "synchrony",
                "amplification_score": "score",
                "suspected_amplification": "amplification",
                "advocate_counter_mentions": "advocates replying",
                "revenue_change_pct": "revenue",
            }
        ),
        hide_index=True,
    )
    st.caption(
        "× usual: negative mentions against the usual level; new accounts: share of the "
        "authors with a young account; duplicates: share of the mentions that are near "
        "copies of another author's; customers: share of the authors who are known "
        "customers; synchrony: share of the mentions posted in the busiest 6 hours; "
        "score: amplification in [0, 1]; advocates replying: positive activities of the "
        "unlocking minority during the crisis; revenue: 14 days after against the 28 "
        "before."
    )

publication_caption()
