"""Each real public export through its adapter and the whole pipeline.

The figures the README's "Real data" section quotes come from the functions here
(`scripts/real_data.py` prints them); the tests check them against what the raw
files say when read directly, without the adapters or the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.adapters import import_export
from tests.conftest import environment
from trustcap.cli import run_pipeline
from trustcap.settings import Settings

pytestmark = pytest.mark.slow
REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"
TWCS = REAL / "twcs_customer_support_on_twitter_sample"
OLIST = REAL / "olist_ecommerce_sample15k"
FUNNEL = REAL / "olist_marketing_funnel"
RETAIL = REAL / "uci_online_retail_sample"
FACEBOOK = REAL / "uci_facebook_metrics"


@dataclass
class RealRun:
    root: Path
    success: bool
    report: object

    @property
    def published_path(self) -> Path:
        return self.root / "warehouse" / "published" / "trustcap.duckdb"

    def query(self, sql: str) -> pl.DataFrame:
        con = duckdb.connect(str(self.published_path), read_only=True)
        try:
            return con.sql(sql).pl()
        finally:
            con.close()

    def warehouse(self, sql: str) -> pl.DataFrame:
        con = duckdb.connect(str(self.root / "warehouse" / "warehouse.duckdb"), read_only=True)
        try:
            return con.sql(sql).pl()
        finally:
            con.close()


def run_real(
    adapter: str, source: Path, root: Path, currency: str = "EUR", sales: Path | None = None
) -> RealRun:
    """`trustcap import <adapter> <source>` then `trustcap run`, in `root`."""
    landing = root / "landing"
    report = import_export(adapter, source, landing, sales)
    with environment(
        TC_LANDING_DIR=str(landing),
        TC_WAREHOUSE_DIR=str(root / "warehouse"),
        DAGSTER_HOME=str(root / "dagster_home"),
        TC_REPORTING_CURRENCY=currency,
    ):
        result = run_pipeline(Settings.from_env())
    return RealRun(root, result.success, report)


# --- figures (README "Real data") ------------------------------------------------


def twcs_figures(run: RealRun) -> dict:
    accounts = run.query(
        "select account_id, inbound, answered, answered_share, median_first_response_minutes, "
        "p90_first_response_minutes from marts.responsiveness_by_account order by inbound desc"
    )
    overall = run.query(
        "select sum(inbound) as inbound, sum(answered) as answered "
        "from marts.responsiveness_daily where platform = 'all'"
    ).row(0, named=True)
    return {"accounts": accounts, "overall": overall}


def olist_figures(run: RealRun) -> dict:
    # customers whose (only or first) review gave this score: share who bought again
    by_score = run.warehouse(
        """
        with first_review as (
            select contact_id, csat, row_number() over (
                partition by contact_id order by responded_at, response_id) as n
            from staging.stg_crm__surveys where csat is not null
        )
        select first_review.csat as review_score, count(*) as customers,
            avg(case when trust.completed_orders >= 2 then 1.0 else 0.0 end) as repeat_share,
            avg(trust.trust_score) as mean_trust_score
        from first_review
        join marts.customer_trust as trust using (contact_id)
        where first_review.n = 1
        group by 1 order by 1
        """
    )
    validity = run.query(
        "select measure, any_value(decile_retention_spearman) as spearman, "
        "any_value(top_bottom_retention_ratio) as top_bottom_ratio, sum(customers) as customers "
        "from marts.trust_validity group by measure order by measure"
    )
    tiers = run.query(
        "select trust_tier, count(*) as contacts from marts.customer_trust group by 1 order by 2 desc"
    )
    return {"by_score": by_score, "validity": validity, "tiers": tiers}


def funnel_figures(run: RealRun) -> dict:
    return {
        "funnel": run.query(
            "select acquisition_channel, leads, converted, conversion_rate, conversion_rate_low, "
            "conversion_rate_high, median_days_to_convert, leads_with_revenue, revenue, "
            "revenue_per_lead, revenue_per_converted from marts.acquisition_funnel "
            "order by leads desc"
        )
    }


def retail_figures(run: RealRun) -> dict:
    return {
        "validity": run.query(
            "select measure, cutoff_on, any_value(decile_retention_spearman) as spearman, "
            "any_value(top_bottom_retention_ratio) as top_bottom_ratio, sum(customers) as customers "
            "from marts.trust_validity_by_cutoff group by measure, cutoff_on order by 1, 2"
        ),
        "tiers": run.query(
            "select trust_tier, count(*) as contacts, sum(refunds) as refunds "
            "from marts.customer_trust group by 1 order by 2 desc"
        ),
    }


def facebook_figures(run: RealRun) -> dict:
    return {
        "monthly": run.query(
            "select period, brand_posts, followers, impressions, engagements, "
            "member_activities, engaged_customers from marts.community_health_monthly "
            "where platform = 'facebook' order by period"
        )
    }
