"""Trust: the brand's trust capital with the crises on it, the tiers, and whether
trust (and not vanity) predicts retention."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from common import count, pct, publication_caption, query, require_publication

TIERS = ["betrayed", "at_risk", "neutral", "trusting", "advocate"]

require_publication()
st.title("Trust capital")

daily = query("select * from marts.trust_capital_daily order by date")
crises = query(
    "select crisis_id, platform, started_on, ended_on, peak_on, negative_mentions, "
    "suspected_amplification from marts.crisis_events where platform <> 'all' order by started_on"
)
if daily.empty:
    st.info("trust_capital_daily is empty in this publication.")
else:
    last = daily.iloc[-1]
    c1, c2, c3 = st.columns(3)
    c1.metric(f"Trust capital on {last.date:%Y-%m-%d}", f"{last.trust_capital:,.0f}")
    c2.metric("Customers trusting", count(last.customers_trusting))
    c3.metric("Customers betrayed", count(last.customers_betrayed))

    st.subheader("Trust capital over time, crises marked")
    line = (
        alt.Chart(daily)
        .mark_line(color="#1f6f8b")
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("trust_capital:Q", title="trust capital"),
            tooltip=["date:T", alt.Tooltip("trust_capital:Q", format=",.0f")],
        )
    )
    layers = [line]
    if not crises.empty:
        marked = crises.assign(
            label=[
                f"{r.platform} {r.started_on:%Y-%m-%d}"
                + (" (amplified)" if r.suspected_amplification else "")
                for r in crises.itertuples()
            ]
        )
        layers.append(
            alt.Chart(marked)
            .mark_rect(opacity=0.2, color="#d62728")
            .encode(x="started_on:T", x2="ended_on:T")
        )
        layers.append(
            alt.Chart(marked)
            .mark_rule(strokeDash=[4, 3], strokeWidth=2)
            .encode(
                x="started_on:T",
                color=alt.Color(
                    "label:N",
                    scale=alt.Scale(scheme="set1"),
                    legend=alt.Legend(orient="bottom", title="crisis", labelLimit=0),
                ),
                tooltip=["label:N", "negative_mentions:Q"],
            )
        )
    st.altair_chart(alt.layer(*layers).properties(height=300), width="stretch")

st.subheader("Tiers")
tiers = query(
    "select trust_tier, count(*) as customers, "
    "count(*) filter (where is_silent_satisfied) as silent_satisfied "
    "from marts.customer_trust group by trust_tier"
)
if tiers.empty:
    st.info("customer_trust is empty in this publication.")
else:
    tiers["order"] = tiers["trust_tier"].map({t: i for i, t in enumerate(TIERS)})
    tiers = tiers.sort_values("order")
    tiers["share"] = tiers["customers"] / tiers["customers"].sum()
    left, right = st.columns(2)
    left.table(
        tiers.assign(
            customers=tiers["customers"].map(count),
            share=tiers["share"].map(lambda v: pct(v)),
            silent_satisfied=tiers["silent_satisfied"].map(count),
        )[["trust_tier", "customers", "share", "silent_satisfied"]].rename(
            columns={"trust_tier": "tier", "silent_satisfied": "silent satisfied"}
        ),
        hide_index=True,
    )
    right.altair_chart(
        alt.Chart(tiers)
        .mark_bar()
        .encode(
            x=alt.X("trust_tier:N", sort=TIERS, title=None),
            y=alt.Y("customers:Q"),
            color=alt.Color(
                "trust_tier:N",
                sort=TIERS,
                scale=alt.Scale(
                    domain=TIERS, range=["#d62728", "#ff7f0e", "#bdbdbd", "#74c476", "#238b45"]
                ),
                legend=None,
            ),
        )
        .properties(height=220),
        width="stretch",
    )

st.subheader("Does it predict retention? Deciles of trust next to followers and likes")
validity = query("select * from marts.trust_validity order by measure, decile")
if validity.empty:
    st.info("trust_validity is empty in this publication.")
else:
    st.markdown(
        "Customers ranked into deciles by each measure; the share still buying in the "
        "next 90 days. A measure worth its name rises with its decile."
    )
    st.altair_chart(
        alt.Chart(validity)
        .mark_line(point=True)
        .encode(
            x=alt.X("decile:O"),
            y=alt.Y(
                "retained_next_90d_share:Q",
                title="retained next 90 days",
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color("measure:N", legend=alt.Legend(orient="bottom", title=None)),
            tooltip=[
                "measure:N",
                "decile:O",
                alt.Tooltip("retained_next_90d_share:Q", format=".1%"),
                "customers:Q",
            ],
        )
        .properties(height=280),
        width="stretch",
    )
    per_measure = validity.groupby("measure", as_index=False).first()
    st.table(
        pd.DataFrame(
            {
                "measure": per_measure["measure"],
                "top / bottom decile retention": per_measure["top_bottom_retention_ratio"].map(
                    lambda v: f"{v:.2f}x"
                ),
                "Spearman (decile, retention)": per_measure["decile_retention_spearman"].map(
                    lambda v: f"{v:+.2f}"
                ),
                "predicts retention": per_measure["predicts_retention"].map(
                    {True: "yes", False: "no"}
                ),
            }
        ),
        hide_index=True,
    )

publication_caption()
