"""Each real public export through its adapter and the whole pipeline.

The figures docs/real_data.md quotes come from the functions here
(`scripts/real_data.py` prints them); the tests check them against what the raw
files say when read directly, without the adapters or the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest

from core.settings import Settings
from ingestion.adapters import import_export
from tests.conftest import environment
from trustcap.run import run_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("real_data")]
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
    empty_marts: dict[str, str]

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
    empty: dict[str, str] = {}
    if result.success:
        (published,) = result.asset_materializations_for_node("published__trustcap")
        empty = published.metadata["empty_marts"].value
    return RealRun(root, result.success, report, empty)


# --- figures (docs/real_data.md) ------------------------------------------------


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
            "select measure, any_value(decile_retention_spearman) as spearman, "
            "any_value(top_bottom_retention_ratio) as top_bottom_ratio, "
            "any_value(cutoffs) as cutoffs, sum(customers) as customers "
            "from marts.trust_validity group by measure order by measure"
        ),
        "deciles": run.query(
            "select decile, customers, retained_next_90d_share, revenue_next_90d "
            "from marts.trust_validity where measure = 'trust_score' order by decile"
        ),
        "tiers": run.query(
            "select trust_tier, count(*) as contacts, sum(refunds) as refunds "
            "from marts.customer_trust group by 1 order by 2 desc"
        ),
    }


def facebook_figures(run: RealRun) -> dict:
    monthly = run.query(
        "select period, brand_posts, followers, impressions, engagements, "
        "member_activities, engaged_customers from marts.community_health_monthly "
        "where platform = 'facebook' order by period"
    )
    # does the vanity stock (page likes) say anything about the month's engagement?
    ranks = monthly.select(
        pl.corr("followers", "engagements", method="spearman").alias("followers_vs_engagements"),
        pl.corr("impressions", "engagements", method="spearman").alias(
            "impressions_vs_engagements"
        ),
    )
    return {"monthly": monthly, "spearman": ranks.row(0, named=True)}


# --- the whole pipeline on each real export -------------------------------------
# Each dataset runs once per module (about 30 s each); the expected figures are
# computed from the raw export with polars, not through the adapters or dbt.


def raw_export(path: Path, **kw) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False, **kw)


def published_strings(run: RealRun) -> set[str]:
    """Every distinct text value of every published table."""
    con = duckdb.connect(str(run.published_path), read_only=True)
    try:
        columns = con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where schema_name = 'marts' and data_type = 'VARCHAR'"
        ).fetchall()
        values: set[str] = set()
        for table, column in columns:
            values.update(
                v for (v,) in con.execute(f"select distinct {column} from marts.{table}").fetchall()
            )
        return values
    finally:
        con.close()


@pytest.fixture(scope="module")
def twcs(tmp_path_factory) -> RealRun:
    return run_real("twcs", TWCS, tmp_path_factory.mktemp("twcs"))


@pytest.fixture(scope="module")
def olist(tmp_path_factory) -> RealRun:
    return run_real("olist", OLIST, tmp_path_factory.mktemp("olist"), "BRL")


@pytest.fixture(scope="module")
def funnel(tmp_path_factory) -> RealRun:
    return run_real("olist-funnel", FUNNEL, tmp_path_factory.mktemp("funnel"), "BRL", sales=OLIST)


@pytest.fixture(scope="module")
def retail(tmp_path_factory) -> RealRun:
    return run_real("online-retail", RETAIL, tmp_path_factory.mktemp("retail"), "GBP")


@pytest.fixture(scope="module")
def facebook(tmp_path_factory) -> RealRun:
    return run_real("facebook-metrics", FACEBOOK, tmp_path_factory.mktemp("facebook"))


def twcs_first_responses() -> tuple[int, pl.DataFrame]:
    """Inbound tweets and the brands' first answers within 72 h, from the raw file:
    inbound = a customer's tweet that starts a conversation or answers a brand tweet
    (a customer answering a customer is peer-to-peer)."""
    raw = raw_export(next(TWCS.glob("*.csv.gz")))
    tweets = raw.select(
        "tweet_id",
        "author_id",
        (pl.col("inbound") == "True").alias("is_inbound"),
        pl.col("created_at").str.strptime(pl.Datetime("us", "UTC"), "%a %b %d %H:%M:%S %z %Y"),
        pl.col("in_response_to_tweet_id").str.replace(r"\.0$", "").alias("parent"),
    )
    brand_tweets = tweets.filter(~pl.col("is_inbound"))
    inbound = tweets.filter(
        pl.col("is_inbound")
        & (
            pl.col("parent").is_null()
            | ~pl.col("parent").is_in(tweets["tweet_id"].implode())
            | pl.col("parent").is_in(brand_tweets["tweet_id"].implode())
        )
    )
    first = (
        inbound.join(brand_tweets, left_on="tweet_id", right_on="parent", suffix="_reply")
        .group_by("tweet_id")
        .agg(
            pl.col("author_id_reply").sort_by("created_at_reply").first().alias("brand"),
            (
                (pl.col("created_at_reply").min() - pl.col("created_at").first()).dt.total_seconds()
                / 60
            ).alias("minutes"),
        )
        .filter(pl.col("minutes") <= 72 * 60)
    )
    return inbound.height, first


def test_twcs_responsiveness_matches_the_raw_tweets(twcs):
    assert twcs.success
    inbound, first = twcs_first_responses()
    overall = twcs_figures(twcs)["overall"]
    assert (int(overall["inbound"]), int(overall["answered"])) == (inbound, first.height)
    expected = (
        first.group_by("brand")
        .agg(pl.len().alias("answered"), pl.col("minutes").median().alias("median"))
        .filter(pl.col("answered") >= 50)
    )
    assert expected.height >= 5
    got = twcs_figures(twcs)["accounts"].join(expected, left_on="account_id", right_on="brand")
    assert got.height == expected.height
    assert (got["answered"] == got["answered_right"]).all()
    assert ((got["median_first_response_minutes"] - got["median"]).abs() < 0.01).all()
    # no orders or contacts: the revenue and trust marts are empty and say why
    assert "sales/orders" in twcs.empty_marts["community_roi_monthly"]
    summary = twcs.query(
        "select method, unresolved_engaging_account_share from marts.community_roi_summary"
    )
    assert summary["method"].str.starts_with("not estimated").all()
    assert (summary["unresolved_engaging_account_share"] == 1.0).all()
    assert "crm/contacts" in twcs.empty_marts["customer_trust"]


def test_olist_retention_by_review_score_and_private_comments(olist):
    assert olist.success
    orders = raw_export(OLIST / "olist_orders_dataset.csv.gz")
    customers = raw_export(OLIST / "olist_customers_dataset.csv.gz")
    reviews = raw_export(OLIST / "olist_order_reviews_dataset.csv.gz")
    people = orders.join(customers, on="customer_id")
    sold = people.filter(~pl.col("order_status").is_in(["canceled", "unavailable"]))
    repeaters = sold.group_by("customer_unique_id").agg((pl.len() >= 2).alias("repeat"))
    first_score = (
        reviews.join(people, on="order_id")
        .sort("review_answer_timestamp", "review_id")
        .group_by("customer_unique_id", maintain_order=True)
        .first()
        .join(repeaters, on="customer_unique_id", how="left")
        .group_by(pl.col("review_score").cast(pl.Int64).alias("review_score"))
        .agg(pl.len().alias("customers"), pl.col("repeat").fill_null(False).mean())
        .sort("review_score")
    )
    figures = olist_figures(olist)
    by_score = figures["by_score"]
    assert by_score["review_score"].to_list() == first_score["review_score"].to_list()
    assert by_score["customers"].to_list() == first_score["customers"].to_list()
    assert (by_score["repeat_share"] - first_score["repeat"]).abs().max() < 1e-9
    # the review is trust evidence: a 5 leaves more trust than a 1
    trust = dict(zip(by_score["review_score"], by_score["mean_trust_score"], strict=True))
    assert trust[5] > trust[1] + 0.15
    assert figures["tiers"]["contacts"].sum() == people["customer_unique_id"].n_unique()
    # review texts are personal data: none reaches a published table
    comments = reviews["review_comment_message"].drop_nulls()
    assert comments.len() > 1000
    assert not set(comments.to_list()) & published_strings(olist)
    assert "social/activities" in olist.empty_marts["voice_of_market"]


def test_olist_funnel_social_leads_to_deals(funnel):
    assert funnel.success
    leads = raw_export(FUNNEL / "olist_marketing_qualified_leads_dataset.csv.gz")
    deals = raw_export(FUNNEL / "olist_closed_deals_dataset.csv.gz")
    expected = (
        leads.join(deals.select("mql_id", pl.lit(True).alias("won")), on="mql_id", how="left")
        .group_by(pl.col("origin").fill_null("unknown"))
        .agg(pl.len().alias("leads"), pl.col("won").fill_null(False).sum().alias("converted"))
    )
    got = funnel_figures(funnel)["funnel"]
    joined = got.join(expected, left_on="acquisition_channel", right_on="origin")
    assert joined.height == expected.height == got.height - 1  # + the 'all' row
    assert (joined["leads"] == joined["leads_right"]).all()
    assert (joined["converted"] == joined["converted_right"]).all()
    social = got.filter(pl.col("acquisition_channel") == "social").row(0, named=True)
    assert social["leads"] > 1000 and social["converted"] > 50
    assert (
        social["conversion_rate_low"] < social["conversion_rate"] < social["conversion_rate_high"]
    )
    assert social["revenue"] > 0  # won sellers' sales reach the social channel


def test_online_retail_customers_orders_and_returns(retail):
    assert retail.success
    raw = raw_export(next(RETAIL.glob("*.csv.gz")), null_values=["NA", ""], encoding="utf8-lossy")
    known = raw.filter(pl.col("CustomerID").is_not_null())
    is_credit = pl.col("InvoiceNo").str.starts_with("C")
    tiers = retail_figures(retail)["tiers"]
    trust = retail.query(
        "select count(*) as contacts, sum(completed_orders) as orders, sum(refunds) as refunds "
        "from marts.customer_trust"
    ).row(0, named=True)
    assert tiers["contacts"].sum() == trust["contacts"] == known["CustomerID"].n_unique()
    assert trust["orders"] == known.filter(~is_credit)["InvoiceNo"].n_unique()
    assert trust["refunds"] == known.filter(is_credit)["InvoiceNo"].n_unique()
    validity = retail_figures(retail)["validity"]
    assert validity["measure"].to_list() == ["trust_score"]  # no social data: no vanity measure
    assert validity["cutoffs"][0] >= 1


def test_facebook_page_vanity_beside_zero_measured_value(facebook):
    assert facebook.success
    posts = raw_export(next(FACEBOOK.glob("*.csv.gz")), separator=";")
    by_month = (
        posts.group_by(pl.col("Post Month").cast(pl.Int64).alias("month"))
        .agg(
            pl.len().alias("posts"),
            pl.col("Lifetime Post Total Impressions").cast(pl.Int64).sum().alias("impressions"),
        )
        .sort("month")
    )
    monthly = facebook_figures(facebook)["monthly"]
    assert monthly["brand_posts"].to_list() == by_month["posts"].to_list()
    assert [int(v) for v in monthly["impressions"]] == by_month["impressions"].to_list()
    assert monthly["engaged_customers"].sum() == 0  # no member identities in a page export
    assert "crm/contacts" in facebook.empty_marts["customer_trust"]
    # only the brand's own posts: the listening marts say so instead of a generic reason
    assert facebook.empty_marts["responsiveness_daily"].startswith("no inbound activity")
    assert facebook.empty_marts["voice_of_market"].startswith("no member voice")
