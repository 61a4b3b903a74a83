"""Trust Capital dashboard: started by `trustcap dashboard` (streamlit run app.py --
--published <published/trustcap.duckdb>). Reads only the published marts."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Trust Capital", layout="wide")

pages = [
    st.Page("views/roi.py", title="ROI", url_path="roi", default=True),
    st.Page("views/trust.py", title="Trust", url_path="trust"),
    st.Page("views/voice.py", title="Voice", url_path="voice"),
    st.Page("views/responsiveness.py", title="Responsiveness", url_path="responsiveness"),
    st.Page("views/data_quality.py", title="Data quality", url_path="data_quality"),
]
st.navigation(pages).run()
