"""Olist Brazilian e-commerce export → contacts, orders, order lines, surveys.

`customer_unique_id` is the person (Olist issues a new `customer_id` per order);
orders are in BRL at the order's total (items + freight); each item is one order
line (quantity 1, Olist lists repeated items as separate rows); review scores are
CSAT 1–5 and the review text goes to the survey comment, which the marts never
publish. Olist's timestamps are Brazilian local time (São Paulo).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.adapters.common import (
    ImportReport,
    find_file,
    id_text,
    read_export_csv,
    to_utc_text,
    write_entity,
)

TIME_ZONE = "America/Sao_Paulo"
CURRENCY = "BRL"
# Olist's order states → the contract's; paid orders not yet delivered count as sold
ORDER_STATUS = {
    "delivered": "completed",
    "shipped": "completed",
    "invoiced": "completed",
    "processing": "completed",
    "approved": "completed",
    "created": "completed",
    "canceled": "cancelled",
    "unavailable": "cancelled",
}


def read_olist(source: Path, name: str, report: ImportReport) -> pl.DataFrame:
    return read_export_csv(find_file(source, f"olist_{name}_dataset.csv*"), report)


def import_olist(source: Path, landing_dir: Path) -> ImportReport:
    report = ImportReport("olist", source)
    customers = read_olist(source, "customers", report).with_columns(
        id_text("customer_id"), id_text("customer_unique_id")
    )
    orders = read_olist(source, "orders", report).with_columns(
        id_text("order_id"),
        id_text("customer_id"),
    )
    orders = orders.with_columns(
        to_utc_text(orders, "order_purchase_timestamp", TIME_ZONE, report).alias("ordered_at")
    )
    items = read_olist(source, "order_items", report).with_columns(
        id_text("order_id"),
        pl.col("order_item_id").cast(pl.Int64),
        pl.col("price").cast(pl.Float64),
        pl.col("freight_value").cast(pl.Float64),
    )
    reviews = read_olist(source, "order_reviews", report).with_columns(id_text("order_id"))

    orders = orders.join(
        customers.select("customer_id", "customer_unique_id"), on="customer_id", how="left"
    )
    unknown_status = sorted(set(orders["order_status"].drop_nulls()) - set(ORDER_STATUS))
    if unknown_status:
        # left as they are: the pipeline quarantines them with the value as reason
        report.quirks["order states without a mapping (quarantined)"] = ", ".join(unknown_status)
    totals = items.group_by("order_id").agg(
        (pl.col("price").sum() + pl.col("freight_value").sum()).round(2).alias("amount")
    )
    orders = orders.join(totals, on="order_id", how="left")
    report.quirks["orders without items (amount 0)"] = int(orders["amount"].null_count())

    first_orders = orders.group_by("customer_unique_id").agg(
        pl.col("ordered_at").min().alias("created_at")
    )
    contacts = (
        customers.group_by("customer_unique_id")
        .agg(pl.col("customer_state").first().alias("region"))
        .join(first_orders, on="customer_unique_id", how="left")
        .sort("customer_unique_id")
        .select(
            contact_id=pl.col("customer_unique_id"),
            created_at=pl.col("created_at"),
            country=pl.lit("BR"),
            segment=pl.lit("consumer"),
            region=pl.col("region"),
        )
    )
    landed_orders = orders.sort("order_id").select(
        order_id=pl.col("order_id"),
        contact_id=pl.col("customer_unique_id"),
        ordered_at=pl.col("ordered_at"),
        currency=pl.lit(CURRENCY),
        amount=pl.col("amount").fill_null(0.0),
        status=pl.col("order_status").replace(ORDER_STATUS),
        channel=pl.lit("marketplace"),
        source_status=pl.col("order_status"),
    )
    lines = items.sort("order_id", "order_item_id").select(
        order_id=pl.col("order_id"),
        line_no=pl.col("order_item_id"),
        sku=pl.col("product_id"),
        quantity=pl.lit(1),
        unit_price=pl.col("price"),
        seller_id=pl.col("seller_id"),
    )

    # Olist reuses a review id for the orders one review covered: one answer per order
    reviews = reviews.join(
        orders.select("order_id", "customer_unique_id"), on="order_id", how="left"
    ).with_columns(pl.len().over("review_id").alias("orders_in_review"))
    report.quirks["review ids shared by several orders (suffixed with the order id)"] = int(
        reviews.filter(pl.col("orders_in_review") > 1).height
    )
    answered = pl.coalesce("review_answer_timestamp", "review_creation_date")
    reviews = reviews.with_columns(answered.alias("answered_local"))
    surveys = reviews.sort("review_id", "order_id").select(
        response_id=pl.when(pl.col("orders_in_review") > 1)
        .then(pl.col("review_id") + "/" + pl.col("order_id"))
        .otherwise(pl.col("review_id")),
        contact_id=pl.col("customer_unique_id"),
        responded_at=to_utc_text(reviews, "answered_local", TIME_ZONE, report),
        csat=pl.col("review_score"),
        comment=pl.concat_str(
            [pl.col("review_comment_title"), pl.col("review_comment_message")],
            separator=" — ",
            ignore_nulls=True,
        ).replace("", None),
        order_id=pl.col("order_id"),
    )
    write_entity(contacts, landing_dir, "crm/contacts", "customers", report)
    write_entity(landed_orders, landing_dir, "sales/orders", "orders", report)
    write_entity(lines, landing_dir, "sales/order_lines", "order_items", report)
    write_entity(surveys, landing_dir, "crm/surveys", "order_reviews", report)
    report.note_currency(CURRENCY)
    return report
