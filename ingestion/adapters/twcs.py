"""Customer Support on Twitter (Kaggle `twcs.csv` layout) → social accounts and
activities with their reply links.

Brand accounts are the non-numeric author ids (customers were anonymised to
numbers); `inbound` says who wrote. A reply link is `in_response_to_tweet_id`
(often written as a float, `3.0`); `response_tweet_id` lists the answers, several
ids in one field, and fills a missing parent link. Links to tweets outside the
export dangle: they are kept (the pipeline treats an unknown parent as unknown)
and counted.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.adapters.common import (
    ImportReport,
    count_float_ids,
    find_file,
    id_text,
    read_export_csv,
    to_utc_text,
    write_entity,
)

PLATFORM = "twitter"


def _twitter_timestamp_text() -> pl.Expr:
    """`Tue Oct 31 22:10:47 +0000 2017` (Twitter's API layout) → ISO UTC text."""
    return (
        pl.col("created_at")
        .str.strptime(pl.Datetime("us", "UTC"), "%a %b %d %H:%M:%S %z %Y", strict=False)
        .dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def import_twcs(source: Path, landing_dir: Path) -> ImportReport:
    path = find_file(source, "twcs*.csv*")
    report = ImportReport("twcs", path)
    tweets = read_export_csv(path, report)
    report.quirks["in_response_to_tweet_id written as float"] = count_float_ids(
        tweets, "in_response_to_tweet_id"
    )
    tweets = tweets.with_columns(
        id_text("tweet_id").alias("tweet_id"),
        id_text("author_id").alias("author_id"),
        id_text("in_response_to_tweet_id").alias("in_response_to_tweet_id"),
        pl.col("inbound").str.to_lowercase().is_in(["true", "1"]).alias("is_inbound"),
    )
    if tweets["created_at"].str.contains(r"^\w{3} \w{3} ").all():
        created = _twitter_timestamp_text()
    else:
        created = to_utc_text(tweets, "created_at", "UTC", report)
    tweets = tweets.with_columns(created.alias("created_at_utc"))

    # the answers' side of each link: "2,3,7" → one row per answer
    answers = (
        tweets.select(
            pl.col("tweet_id").alias("parent_tweet_id"),
            pl.col("response_tweet_id").str.split(",").alias("answer_id"),
        )
        .explode("answer_id", empty_as_null=True)
        .with_columns(id_text("answer_id").alias("answer_id"))
        .filter(pl.col("answer_id").is_not_null() & (pl.col("answer_id") != ""))
    )
    report.quirks["response_tweet_id fields with several ids"] = int(
        tweets["response_tweet_id"].str.contains(",").sum() or 0
    )
    known = set(tweets["tweet_id"].to_list())
    parent_from_answers = answers.group_by("answer_id").agg(
        pl.col("parent_tweet_id").min().alias("listed_parent_id")
    )
    tweets = tweets.join(
        parent_from_answers, left_on="tweet_id", right_on="answer_id", how="left"
    ).with_columns(
        pl.coalesce("in_response_to_tweet_id", "listed_parent_id").alias("parent_id"),
    )
    report.quirks["parent links filled from response_tweet_id"] = int(
        tweets.filter(
            pl.col("in_response_to_tweet_id").is_null() & pl.col("listed_parent_id").is_not_null()
        ).height
    )
    has_known_parent = pl.col("parent_id").is_in(list(known))
    report.quirks["dangling reply links (parent outside the export)"] = int(
        tweets.filter(pl.col("parent_id").is_not_null() & ~has_known_parent).height
    )
    report.quirks["dangling answer links (answer outside the export)"] = int(
        answers.filter(~pl.col("answer_id").is_in(list(known))).height
    )

    is_brand = ~pl.col("author_id").str.contains(r"^\d+$")
    accounts = (
        tweets.group_by("author_id")
        .agg(is_brand.first().alias("is_brand"))
        .sort("author_id")
        .select(
            platform=pl.lit(PLATFORM),
            account_id=pl.col("author_id"),
            handle=pl.col("author_id"),
            is_brand=pl.col("is_brand"),
        )
    )
    activities = tweets.sort("tweet_id").select(
        platform=pl.lit(PLATFORM),
        activity_id=pl.col("tweet_id"),
        account_id=pl.col("author_id"),
        # a customer's tweet is addressed to a brand: a reply when we can see what
        # it answers, otherwise a mention (twcs holds only tweets to brands)
        activity_type=pl.when(pl.col("is_inbound") & has_known_parent)
        .then(pl.lit("reply"))
        .when(pl.col("is_inbound"))
        .then(pl.lit("mention"))
        .when(pl.col("parent_id").is_not_null())
        .then(pl.lit("reply"))
        .otherwise(pl.lit("post")),
        created_at=pl.col("created_at_utc"),
        text=pl.col("text"),
        parent_id=pl.col("parent_id"),
        lang=pl.lit(None, pl.String),
    )
    write_entity(accounts, landing_dir, "social/accounts", path.name.split(".")[0], report)
    write_entity(activities, landing_dir, "social/activities", path.name.split(".")[0], report)
    report.notes.append(
        f"{accounts['is_brand'].sum()} brand accounts; every brand account counts as 'the "
        "brand' in the marts (responsiveness_by_account splits them)"
    )
    return report
