"""What every page shares: the published catalog (read-only), number formats, the
publication's caption. The path comes from `trustcap dashboard` after `--`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

PLATFORM_ALL = "all"


def published_path() -> Path:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--published", required=True)
    args, _ = parser.parse_known_args(sys.argv[1:])
    return Path(args.published)


def query(sql: str, params: list | None = None) -> pd.DataFrame:
    """One short read-only connection per query: each query reads the newest
    publication (the catalog's views find it), and no lock is ever held."""
    con = duckdb.connect(str(published_path()), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def require_publication() -> None:
    path = published_path()
    if not path.exists():
        st.error(f"No publication at {path} yet: run `trustcap run` first.")
        st.stop()


def publication_caption() -> None:
    """Last element of every page: which publication the figures come from (the
    browser test waits for it to know the page is complete)."""
    info = query("select publication_id, published_at from marts.publication_info")
    if info.empty:
        st.caption("Publication unknown, published at an unknown time")
        return
    row = info.iloc[0]
    st.caption(f"Publication {row.publication_id}, published {row.published_at:%Y-%m-%d %H:%M} UTC")


def pct(value: float | None, digits: int = 1, signed: bool = False) -> str:
    if value is None or pd.isna(value):
        return "–"
    sign = "+" if signed else ""
    return f"{value * 100:{sign}.{digits}f} %"


def money(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:,.0f}"


def count(value: int | float | None) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{int(value):,}"


def platform_choice(platforms: list[str], key: str) -> str:
    """The platforms of a mart, `all` (the totals) first."""
    ordered = [PLATFORM_ALL, *sorted(p for p in platforms if p != PLATFORM_ALL)]
    return st.selectbox("Platform", ordered, index=0, key=key)
