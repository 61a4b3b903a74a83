"""Olist marketing funnel → leads as contacts with their acquisition channel and
the date their deal closed; optionally the won sellers' sales as their orders.

Olist acquires *sellers*: a marketing-qualified lead (`mql_id`) comes through a
channel (`origin`: social, paid_search, organic_search, …), some close a deal
(`won_date`) and then sell on the marketplace. Given the Olist e-commerce export
as well, each won seller's items sold become orders of that lead (gross
merchandise value in BRL), so the chain channel → lead → deal → revenue is
measurable in `acquisition_funnel`. The leads file in the public copy was re-saved
through Excel: dates as DD-MM-YYYY and CRLF line ends; the layout is detected.
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
from ingestion.adapters.olist import CURRENCY, ORDER_STATUS, TIME_ZONE, read_olist


def import_olist_funnel(
    source: Path, landing_dir: Path, sales_source: Path | None = None
) -> ImportReport:
    report = ImportReport("olist_funnel", source)
    leads = read_export_csv(
        find_file(source, "olist_marketing_qualified_leads_dataset.csv*"), report
    ).with_columns(id_text("mql_id"))
    deals = read_export_csv(
        find_file(source, "olist_closed_deals_dataset.csv*"), report
    ).with_columns(id_text("mql_id"), id_text("seller_id"))
    leads = leads.with_columns(
        to_utc_text(leads, "first_contact_date", TIME_ZONE, report).alias("created_at")
    )
    deals = deals.with_columns(
        to_utc_text(deals, "won_date", TIME_ZONE, report).alias("converted_at")
    )
    report.quirks["leads without an origin (channel 'unknown')"] = int(leads["origin"].null_count())
    orphan_deals = deals.join(leads, on="mql_id", how="anti").height
    if orphan_deals:
        report.quirks["deals whose lead is missing (not landed)"] = orphan_deals
    contacts = (
        leads.join(
            deals.select("mql_id", "converted_at", "business_segment", "seller_id"),
            on="mql_id",
            how="left",
        )
        .sort("mql_id")
        .select(
            contact_id=pl.col("mql_id"),
            created_at=pl.col("created_at"),
            segment=pl.col("business_segment"),
            acquisition_channel=pl.col("origin").fill_null("unknown"),
            converted_at=pl.col("converted_at"),
            seller_id=pl.col("seller_id"),
        )
    )
    write_entity(contacts, landing_dir, "crm/contacts", "marketing_qualified_leads", report)
    if sales_source is None:
        report.notes.append(
            "no sales export given (--sales): acquisition_funnel counts leads and deals; "
            "revenue needs the won sellers' orders"
        )
        return report

    sales = ImportReport("olist_funnel", sales_source)
    items = read_olist(sales_source, "order_items", sales).with_columns(
        id_text("order_id"), id_text("seller_id"), pl.col("price").cast(pl.Float64)
    )
    orders = read_olist(sales_source, "orders", sales).with_columns(id_text("order_id"))
    orders = orders.with_columns(
        to_utc_text(orders, "order_purchase_timestamp", TIME_ZONE, sales).alias("ordered_at")
    )
    seller_sales = (
        items.join(deals.select("mql_id", "seller_id"), on="seller_id", how="inner")
        .group_by("order_id", "seller_id", "mql_id")
        .agg(pl.col("price").sum().round(2).alias("amount"))
        .join(orders.select("order_id", "ordered_at", "order_status"), on="order_id")
        .sort("order_id", "seller_id")
        .select(
            # one marketplace order can hold several sellers' items
            order_id=pl.col("order_id") + "/" + pl.col("seller_id"),
            contact_id=pl.col("mql_id"),
            ordered_at=pl.col("ordered_at"),
            currency=pl.lit(CURRENCY),
            amount=pl.col("amount"),
            status=pl.col("order_status").replace(ORDER_STATUS),
            channel=pl.lit("marketplace"),
        )
    )
    report.quirks.update(sales.quirks)
    write_entity(seller_sales, landing_dir, "sales/orders", "won_seller_sales", report)
    report.quirks["won sellers with sales in the export"] = int(
        seller_sales["contact_id"].n_unique()
    )
    report.notes.append(
        f"revenue is the won sellers' gross merchandise value in {CURRENCY} (items, no "
        f"freight) from {sales_source}; set TC_REPORTING_CURRENCY={CURRENCY} or land fx rates"
    )
    return report
