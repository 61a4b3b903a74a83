"""What the community work costs: the team, tools and campaigns, by month."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from worlds.config import DAY


def community_costs(cfg, rng, campaigns: pl.DataFrame, month_starts):
    rows = []
    i = 0
    for m in range(len(month_starts) - 1):
        day0 = date(1970, 1, 1) + timedelta(days=int(month_starts[m] // DAY))
        for p, staff in (("twitter", 1500.0), ("instagram", 1300.0), ("facebook", 1100.0)):
            i += 1
            rows.append(
                (
                    f"K{i:05d}",
                    day0 + timedelta(days=27),
                    "staff",
                    staff,
                    "EUR",
                    p,
                    None,
                    "community manager time",
                )
            )
        i += 1
        rows.append(
            (
                f"K{i:05d}",
                day0 + timedelta(days=4),
                "tooling",
                540.0,
                "USD",
                None,
                None,
                "social listening suite",
            )
        )
        if m % 3 == 0:
            i += 1
            rows.append(
                (
                    f"K{i:05d}",
                    day0 + timedelta(days=14),
                    "agency",
                    3000.0,
                    "EUR",
                    None,
                    None,
                    "content agency retainer",
                )
            )
    for c in campaigns.iter_rows(named=True):
        i += 1
        rows.append(
            (
                f"K{i:05d}",
                c["started_on"],
                "ads",
                float(rng.integers(3000, 9000)),
                "EUR",
                c["platform"],
                c["campaign_id"],
                "paid promotion",
            )
        )
        i += 1
        rows.append(
            (
                f"K{i:05d}",
                c["ended_on"],
                "prizes",
                float(rng.integers(800, 2500)),
                "EUR",
                c["platform"],
                c["campaign_id"],
                "contest prizes",
            )
        )
    frame = pl.DataFrame(
        rows,
        schema={
            "cost_id": pl.String,
            "incurred_on": pl.Date,
            "category": pl.String,
            "amount": pl.Float64,
            "currency": pl.String,
            "platform": pl.String,
            "campaign_id": pl.String,
            "note": pl.String,
        },
        orient="row",
    )
    # the community team and its budget grow with the community
    return frame.with_columns((pl.col("amount") * cfg.cost_scale * cfg.scale).round(2))
