"""Data quality: the checks of one run, failed ones first, then a line per asset."""

from __future__ import annotations

import streamlit as st
from common import count, publication_caption, query, require_publication

require_publication()
st.title("Data quality")

runs = query(
    "select run_id, max(checked_at) as checked_at from marts.pipeline_quality "
    "group by run_id order by checked_at desc"
)
if runs.empty:
    st.info("pipeline_quality is empty in this publication.")
    publication_caption()
    st.stop()

published_run = query("select run_id from marts.publication_info")["run_id"]
labels = [f"{r.run_id} ({r.checked_at:%Y-%m-%d %H:%M})" for r in runs.itertuples()]
default = 0
if not published_run.empty and published_run.iloc[0] in runs["run_id"].tolist():
    default = runs["run_id"].tolist().index(published_run.iloc[0])
choice = st.selectbox("Run (the published one by default)", labels, index=default)
run_id = runs["run_id"].iloc[labels.index(choice)]

checks = query("select * from marts.pipeline_quality where run_id = ?", [run_id])
failed = checks[~checks["passed"]]
c1, c2, c3, c4 = st.columns(4)
c1.metric("Checks", count(len(checks)))
c2.metric("Failed, blocking", count((failed["severity"] == "blocking").sum()))
c3.metric("Failed, warnings", count((failed["severity"] != "blocking").sum()))
c4.metric("Rows quarantined", count(checks["quarantined_rows"].fillna(0).sum()))

st.subheader("Failed checks")
if failed.empty:
    st.success("Every check of this run passed.")
else:
    failed = failed.assign(blocking_first=failed["severity"] != "blocking").sort_values(
        ["blocking_first", "asset", "check_name"]
    )
    st.table(
        failed[["asset", "check_name", "severity", "observed_value", "description"]].rename(
            columns={"check_name": "check", "observed_value": "observed"}
        ),
        hide_index=True,
    )

st.subheader("Per asset")
per_asset = (
    checks.assign(
        failed=~checks["passed"],
        failed_blocking=(~checks["passed"]) & (checks["severity"] == "blocking"),
    )
    .groupby("asset", as_index=False)
    .agg(
        checks=("check_name", "count"),
        failed=("failed", "sum"),
        failed_blocking=("failed_blocking", "sum"),
    )
    .sort_values(["failed_blocking", "failed", "asset"], ascending=[False, False, True])
)
st.dataframe(
    per_asset.rename(columns={"failed_blocking": "failed, blocking"}),
    hide_index=True,
    height=min(36 * (len(per_asset) + 1), 600),
)

publication_caption()
