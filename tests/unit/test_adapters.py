"""Adapters on the real exports (tests/fixtures/real), quirks included. Expected
values are read from the raw files directly, not through the adapter's code."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import polars as pl
import pytest

from ingestion.adapters import import_export
from ingestion.adapters.common import ImportReport, detect_datetime_format, read_export_csv
from ingestion.contract import ENTITY_BY_NAME
from ingestion.load import StoragePaths, ingest_entity

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"
TWCS = REAL / "twcs_customer_support_on_twitter_sample"
OLIST = REAL / "olist_ecommerce_sample15k"
FUNNEL = REAL / "olist_marketing_funnel"
RETAIL = REAL / "uci_online_retail_sample"
FACEBOOK = REAL / "uci_facebook_metrics"


def landed(landing: Path, entity: str) -> pl.DataFrame:
    files = sorted((landing / entity).glob("*.csv"))
    assert len(files) == 1, files
    return pl.read_csv(files[0], infer_schema=False)


def raw_csv(path: Path, **kw) -> pl.DataFrame:
    return pl.read_csv(gzip.decompress(path.read_bytes()), infer_schema=False, **kw)


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            digest.update(p.name.encode() + p.read_bytes())
    return digest.hexdigest()


def landing_rows_validate(landing: Path, tmp_path: Path) -> dict[str, tuple[int, int]]:
    """(loaded, quarantined) per landed entity, through the real ingestion."""
    wh = tmp_path / "wh"
    paths = StoragePaths(wh / "raw", wh / "quarantine", wh / "log")
    out = {}
    for entity in ENTITY_BY_NAME.values():
        if (landing / entity.source / entity.name).is_dir():
            r = ingest_entity(entity, landing, paths)
            out[entity.qualified] = (r.rows_loaded, r.rows_quarantined)
    return out


def test_twcs_accounts_links_and_quirks(tmp_path):
    before = tree_digest(TWCS)
    report = import_export("twcs", TWCS, tmp_path)
    assert tree_digest(TWCS) == before  # the export is only read
    raw = raw_csv(next(TWCS.glob("*.csv.gz")))
    assert raw.columns[0] == ""  # the pandas index column the adapter must drop
    activities = landed(tmp_path, "social/activities")
    accounts = landed(tmp_path, "social/accounts")
    assert "" not in activities.columns and activities.height == raw.height == 5000
    # brands are the non-numeric author ids, and they are exactly the outbound authors
    brands = set(accounts.filter(pl.col("is_brand") == "true")["account_id"])
    assert len(brands) == 76
    assert brands == set(raw.filter(pl.col("inbound") == "False")["author_id"])
    # float ids (`3.0`) come back as the tweet ids they are, and point at real tweets
    assert raw["in_response_to_tweet_id"].str.ends_with(".0").sum() > 3000
    joined = activities.join(
        raw.select("tweet_id", "in_response_to_tweet_id"),
        left_on="activity_id",
        right_on="tweet_id",
    )
    linked = joined.filter(pl.col("in_response_to_tweet_id").is_not_null())
    assert (linked["parent_id"] + ".0" == linked["in_response_to_tweet_id"]).all()
    # several ids in one field: every listed answer that exists has this tweet as parent
    answers = (
        raw.select("tweet_id", pl.col("response_tweet_id").str.split(","))
        .explode("response_tweet_id", empty_as_null=True)
        .drop_nulls()
        .join(activities, left_on="response_tweet_id", right_on="activity_id")
    )
    assert raw["response_tweet_id"].str.contains(",").sum() > 100
    assert answers.height > 2000 and (answers["parent_id"] == answers["tweet_id"]).all()
    # dangling links are kept and counted, never dropped
    ids = set(activities["activity_id"])
    dangling = activities.filter(
        pl.col("parent_id").is_not_null() & ~pl.col("parent_id").is_in(list(ids))
    ).height
    assert dangling > 0
    assert report.quirks["dangling reply links (parent outside the export)"] == dangling
    # a customer's tweet is addressed to a brand: mention, or reply when its parent is known
    inbound = activities.join(
        raw.select("tweet_id", "inbound"), left_on="activity_id", right_on="tweet_id"
    ).filter(pl.col("inbound") == "True")
    assert set(inbound["activity_type"]) == {"mention", "reply"}
    assert activities["created_at"].str.contains(r"^2\d{3}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").all()
    assert landing_rows_validate(tmp_path, tmp_path)["social/activities"] == (5000, 0)


def test_olist_people_orders_and_private_reviews(tmp_path):
    report = import_export("olist", OLIST, tmp_path)
    customers = raw_csv(OLIST / "olist_customers_dataset.csv.gz")
    orders = raw_csv(OLIST / "olist_orders_dataset.csv.gz")
    items = raw_csv(OLIST / "olist_order_items_dataset.csv.gz")
    reviews = raw_csv(OLIST / "olist_order_reviews_dataset.csv.gz")
    contacts = landed(tmp_path, "crm/contacts")
    landed_orders = landed(tmp_path, "sales/orders")
    surveys = landed(tmp_path, "crm/surveys")
    # the person is customer_unique_id, not the per-order customer_id
    assert contacts.height == customers["customer_unique_id"].n_unique() == 14904
    assert landed_orders.height == orders.height
    total = items.select(
        (pl.col("price").cast(pl.Float64) + pl.col("freight_value").cast(pl.Float64)).sum()
    ).item()
    assert landed_orders["amount"].cast(pl.Float64).sum() == pytest.approx(total, abs=0.5)
    assert set(landed_orders["currency"]) == {"BRL"}
    cancelled = orders.filter(pl.col("order_status").is_in(["canceled", "unavailable"])).height
    assert (landed_orders["status"] == "cancelled").sum() == cancelled
    # São Paulo local time (UTC-3 in 2018-06, no daylight saving) → UTC
    first = orders.row(0, named=True)
    assert first["order_purchase_timestamp"] == "2018-06-12 20:07:44"
    assert landed_orders.filter(pl.col("order_id") == first["order_id"])["ordered_at"].item() == (
        "2018-06-12T23:07:44Z"
    )
    # one answer per review and order; the score is CSAT; the text stays a (private) comment
    assert surveys.height == reviews.height and surveys["response_id"].n_unique() == surveys.height
    assert report.quirks["review ids shared by several orders (suffixed with the order id)"] == 40
    assert (
        surveys["csat"]
        .value_counts()
        .sort("csat")
        .equals(
            reviews["review_score"]
            .value_counts()
            .sort("review_score")
            .rename({"review_score": "csat"})
        )
    )
    assert (
        surveys["comment"].drop_nulls().len()
        >= reviews["review_comment_message"].drop_nulls().len()
    )
    counts = landing_rows_validate(tmp_path, tmp_path)
    assert counts["crm/contacts"] == (14904, 0)
    assert counts["sales/orders"] == (15000, 0) and counts["crm/surveys"] == (14944, 0)


def test_olist_funnel_day_first_dates_and_the_social_chain(tmp_path):
    import_export("olist-funnel", FUNNEL, tmp_path, OLIST)
    leads = raw_csv(FUNNEL / "olist_marketing_qualified_leads_dataset.csv.gz")
    deals = raw_csv(FUNNEL / "olist_closed_deals_dataset.csv.gz")
    contacts = landed(tmp_path, "crm/contacts")
    # re-saved through Excel: 01-02-2018 is 1 February
    row = leads.row(0, named=True)
    assert row["first_contact_date"] == "01-02-2018"
    assert contacts.filter(pl.col("contact_id") == row["mql_id"])["created_at"].item() == (
        "2018-02-01T00:00:00Z"
    )
    assert contacts["created_at"].null_count() == 0  # every date parses, DST days included
    social = contacts.filter(pl.col("acquisition_channel") == "social")
    social_raw = leads.filter(pl.col("origin") == "social")
    assert social.height == social_raw.height == 1350
    won_social = deals.join(social_raw, on="mql_id").height
    assert social["converted_at"].drop_nulls().len() == won_social == 75
    orders = landed(tmp_path, "sales/orders")
    assert set(orders["contact_id"]) <= set(deals["mql_id"])
    items = raw_csv(OLIST / "olist_order_items_dataset.csv.gz").join(deals, on="seller_id")
    assert orders["amount"].cast(pl.Float64).sum() == pytest.approx(
        items["price"].cast(pl.Float64).sum(), abs=0.5
    )
    assert landing_rows_validate(tmp_path, tmp_path)["crm/contacts"] == (8000, 0)


def test_online_retail_returns_guests_and_countries(tmp_path):
    import_export("online-retail", RETAIL, tmp_path)
    raw = raw_csv(RETAIL / "online_retail_sample.csv.gz", null_values=["NA"])
    orders = landed(tmp_path, "sales/orders")
    lines = landed(tmp_path, "sales/order_lines")
    assert lines.height == raw.height and (lines["quantity"].cast(pl.Int64) > 0).all()
    assert orders.height == raw["InvoiceNo"].n_unique()
    credit_notes = raw.filter(pl.col("InvoiceNo").str.starts_with("C"))["InvoiceNo"].n_unique()
    refunded = orders.filter(pl.col("status") == "refunded")
    assert refunded["order_id"].str.starts_with("C").sum() == credit_notes
    assert orders["contact_id"].null_count() > 0  # guest orders stay guest orders
    contacts = landed(tmp_path, "crm/contacts")
    assert contacts.height == raw["CustomerID"].drop_nulls().n_unique()
    countries = set(contacts["country"].drop_nulls())
    assert {"GB", "DE", "FR", "IE", "US"} <= countries and all(len(c) == 2 for c in countries)
    # UK local time: 2011-06-16 14:45 BST is 13:45 UTC; 2010-12-01 08:34 GMT stays
    assert orders.filter(pl.col("order_id") == "557055")["ordered_at"].item() == (
        "2011-06-16T13:45:00Z"
    )
    counts = landing_rows_validate(tmp_path, tmp_path)
    assert counts["sales/order_lines"] == (20000, 0) and counts["sales/orders"] == (9362, 0)


def test_facebook_dates_rebuilt_within_their_month_and_weekday(tmp_path):
    import_export("facebook-metrics", FACEBOOK, tmp_path)
    raw = raw_csv(FACEBOOK / "dataset_Facebook.csv.gz", separator=";")
    posts = landed(tmp_path, "social/activities").with_columns(
        pl.col("created_at").str.to_datetime("%Y-%m-%dT%H:%M:%SZ")
    )
    assert posts.height == raw.height == 500
    # post-1 is the file's last row (oldest); the file lists days newest first
    expected = raw.select(
        pl.col("Post Month").cast(pl.Int64),
        pl.col("Post Hour").cast(pl.Int64),
        pl.col("like").cast(pl.Int64, strict=False),
    )
    got = posts.sort(pl.col("activity_id").str.slice(5).cast(pl.Int64), descending=True)
    assert (got["created_at"].dt.month() == expected["Post Month"]).all()
    assert (got["created_at"].dt.hour() == expected["Post Hour"]).all()
    assert got["created_at"].dt.date().is_sorted(descending=True)
    # the weekday numbering that fits the whole file is 1 = Sunday
    weekday = (got["created_at"].dt.weekday() % 7) + 1  # Monday=1..Sunday=7 → Sunday=1
    assert (weekday == raw["Post Weekday"].cast(pl.Int64)).all()
    metrics = landed(tmp_path, "social/page_metrics")
    assert (
        metrics["impressions"].cast(pl.Int64).sum()
        == raw["Lifetime Post Total Impressions"].cast(pl.Int64).sum()
    )
    assert metrics["followers"].cast(pl.Int64).max() == 139441


def test_non_utf8_export_is_decoded_not_mangled(tmp_path):
    """The Olist reviews re-encoded as Windows-1252 (what Excel writes) read as the
    same text as the UTF-8 original."""
    original = gzip.decompress((OLIST / "olist_order_reviews_dataset.csv.gz").read_bytes())
    text = original.decode("utf-8")
    cp1252 = tmp_path / "reviews_cp1252.csv"
    cp1252.write_bytes(text.encode("cp1252", errors="replace"))
    report = ImportReport("test", cp1252)
    frame = read_export_csv(cp1252, report)
    assert report.quirks == {"reviews_cp1252.csv: encoding": "cp1252"}
    reference = pl.read_csv(original, infer_schema=False)
    accented = reference["review_comment_message"].drop_nulls().str.contains("ã").sum()
    assert accented > 100
    assert frame["review_comment_message"].drop_nulls().str.contains("ã").sum() == accented


def test_date_layout_is_detected_or_refused():
    assert detect_datetime_format(pl.Series("d", ["01-02-2018", "20-10-2017"])) == "%d-%m-%Y"
    assert detect_datetime_format(pl.Series("d", ["2011-03-10 16:16:00"])) == "%Y-%m-%d %H:%M:%S"
    # the original UCI layout, month first: 1/13/2011 rules out day first
    us = pl.Series("d", ["12/1/2010 8:26", "1/13/2011 10:05"])
    assert detect_datetime_format(us) == "%m/%d/%Y %H:%M"
    with pytest.raises(ValueError, match="no known date layout"):
        detect_datetime_format(pl.Series("d", ["yesterday"]))


def test_reimport_changes_nothing(tmp_path):
    import_export("twcs", TWCS, tmp_path)
    first = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.rglob("*.csv")}
    import_export("twcs", TWCS, tmp_path)
    second = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.rglob("*.csv")}
    assert first == second and not list(tmp_path.rglob(".*"))
