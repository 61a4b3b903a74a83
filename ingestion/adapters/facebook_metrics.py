"""UCI Facebook metrics (Moro et al. 2016: 500 posts of a cosmetics brand's page,
2014) → the brand's page account, its posts as activities, daily page metrics.

The export has no dates: only month, weekday and hour of each post, the posts
listed newest first. Dates are rebuilt by walking each month backwards from its
last day, every post on the latest day not after the previous one that has its
weekday; the weekday numbering (1 = Sunday or 1 = Monday) is the one under which
every post fits its month. Months are exact; days are the latest the order allows.
Post metrics are lifetime figures, counted on the post's day. There are no
commenters' identities, so nothing joins the CRM.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from ingestion.adapters.common import ImportReport, find_file, read_export_csv, write_entity

PLATFORM = "facebook"
PAGE_ACCOUNT = "brand_page"
YEAR = 2014  # the paper's year; the file has none


def _rebuild_dates(months: list[int], weekdays: list[int], monday_is: int) -> list[date] | None:
    """One date per post (file order, newest first), or None if a post does not fit."""
    out: list[date] = []
    latest: date | None = None
    for month, weekday in zip(months, weekdays, strict=True):
        month_end = date(YEAR, month, calendar.monthrange(YEAR, month)[1])
        day = month_end if latest is None or latest > month_end else latest
        target = (weekday - monday_is) % 7  # Python: Monday = 0
        while day.weekday() != target:
            day -= timedelta(days=1)
        if day.month != month:
            return None
        out.append(day)
        latest = day
    return out


def import_facebook_metrics(source: Path, landing_dir: Path) -> ImportReport:
    path = find_file(source, "*.csv*")
    report = ImportReport("facebook_metrics", path)
    posts = read_export_csv(path, report, separator=";")
    numeric = [c for c in posts.columns if c != "Type"]
    posts = posts.with_columns(pl.col(numeric).cast(pl.Int64, strict=False))
    report.quirks["semicolon-separated"] = 1
    months, weekdays = posts["Post Month"].to_list(), posts["Post Weekday"].to_list()
    dates, numbering = None, ""
    for monday_is, name in ((2, "1 = Sunday"), (1, "1 = Monday")):
        dates = _rebuild_dates(months, weekdays, monday_is)
        if dates is not None:
            numbering = name
            break
    if dates is None:
        raise ValueError(
            f"{path.name}: posts are not in newest-first order; dates cannot be rebuilt"
        )
    report.quirks["dates rebuilt from month + weekday + hour (weekday numbering)"] = numbering
    posts = posts.with_columns(
        pl.Series("posted_on", dates, dtype=pl.Date),
        pl.int_range(pl.len(), 0, -1).alias("post_no"),  # oldest post is 1
    ).with_columns(
        pl.col("posted_on")
        .cast(pl.Datetime("us"))
        .dt.offset_by(pl.format("{}h", pl.col("Post Hour")))
        .dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        .alias("created_at")
    )
    activities = posts.sort("post_no").select(
        platform=pl.lit(PLATFORM),
        activity_id=pl.format("post-{}", pl.col("post_no")),
        account_id=pl.lit(PAGE_ACCOUNT),
        activity_type=pl.lit("post"),
        created_at=pl.col("created_at"),
        like_count=pl.col("like"),
        share_count=pl.col("share"),
        comment_count=pl.col("comment"),
        post_format=pl.col("Type").str.to_lowercase(),
        is_paid=pl.col("Paid") == 1,
        reach=pl.col("Lifetime Post Total Reach"),
        impressions=pl.col("Lifetime Post Total Impressions"),
        engaged_users=pl.col("Lifetime Engaged Users"),
    )
    page_metrics = (
        posts.group_by("posted_on")
        .agg(
            pl.col("Page total likes").max().alias("followers"),
            pl.col("Lifetime Post Total Impressions").sum().alias("impressions"),
            pl.col("Lifetime Post Total Reach").sum().alias("reach"),
            pl.col("Total Interactions").sum().alias("engagements"),
        )
        .sort("posted_on")
        .select(
            platform=pl.lit(PLATFORM),
            account_id=pl.lit(PAGE_ACCOUNT),
            date=pl.col("posted_on").dt.strftime("%Y-%m-%d"),
            followers="followers",
            impressions="impressions",
            reach="reach",
            engagements="engagements",
        )
    )
    accounts = pl.DataFrame(
        {
            "platform": [PLATFORM],
            "account_id": [PAGE_ACCOUNT],
            "handle": [None],
            "followers": [int(posts["Page total likes"].max())],
            "is_brand": [True],
        },
        schema_overrides={"handle": pl.String},
    )
    stem = path.name.split(".")[0]
    write_entity(accounts, landing_dir, "social/accounts", stem, report)
    write_entity(activities, landing_dir, "social/activities", stem, report)
    write_entity(page_metrics, landing_dir, "social/page_metrics", stem, report)
    report.notes.append(
        "page-level data only: no member activities or identities, so value metrics "
        "(engaged customers, peer replies) are zero by construction, not by measurement"
    )
    return report
