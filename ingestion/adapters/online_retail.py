"""UCI Online Retail (a UK gift-ware web shop's invoice lines) → contacts, orders,
order lines in GBP.

An invoice is an order; a line's quantity below zero is a return. An invoice
whose lines are all returns (the shop's `C…` credit notes, and stock write-offs) is a
`refunded` order at the returned value; an invoice mixing both keeps its sold
lines as the order and lands the returned ones as a separate refunded order
(`<invoice>-R`). A missing `CustomerID` (`NA`, blank) is a guest order. Contacts
are the customer ids, known to the CRM from their first invoice; country names
become ISO codes where one exists. Times are UK local time.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pycountry

from ingestion.adapters.common import (
    ImportReport,
    find_file,
    id_text,
    read_export_csv,
    to_utc_text,
    write_entity,
)

TIME_ZONE = "Europe/London"
CURRENCY = "GBP"
# names in the export that are not ISO names; regions without one code stay empty
COUNTRY_ALIASES = {"EIRE": "IE", "RSA": "ZA", "USA": "US", "UNITED KINGDOM": "GB"}


def country_code(name: str | None) -> str | None:
    if name is None:
        return None
    alias = COUNTRY_ALIASES.get(name.strip().upper())
    if alias:
        return alias
    try:
        return pycountry.countries.lookup(name.strip()).alpha_2
    except LookupError:
        return None


def import_online_retail(source: Path, landing_dir: Path) -> ImportReport:
    path = find_file(source, "*.csv*")
    report = ImportReport("online_retail", path)
    lines = read_export_csv(path, report, null_values=["", "NA"])
    report.quirks["lines without a customer (guest orders)"] = int(lines["CustomerID"].null_count())
    lines = lines.with_columns(
        id_text("InvoiceNo"),
        id_text("CustomerID"),
        pl.col("Quantity").cast(pl.Int64),
        pl.col("UnitPrice").cast(pl.Float64),
    ).with_columns(
        to_utc_text(lines, "InvoiceDate", TIME_ZONE, report).alias("ordered_at"),
        pl.col("Quantity").lt(0).alias("is_return"),
        pl.int_range(pl.len()).alias("_row"),
    )
    report.quirks["return lines (negative quantity)"] = int(lines["is_return"].sum())
    lines = lines.with_columns(
        pl.when(pl.col("is_return") & (~pl.col("is_return")).any().over("InvoiceNo"))
        .then(pl.col("InvoiceNo") + "-R")
        .otherwise(pl.col("InvoiceNo"))
        .alias("order_id")
    )
    report.quirks["invoices mixing sales and returns (split)"] = int(
        lines.filter(pl.col("order_id").str.ends_with("-R"))["InvoiceNo"].n_unique()
    )
    orders = (
        lines.group_by("order_id")
        .agg(
            pl.col("CustomerID").drop_nulls().first().alias("contact_id"),
            pl.col("ordered_at").min(),
            (pl.col("Quantity").abs() * pl.col("UnitPrice")).sum().round(2).alias("amount"),
            pl.col("is_return").all().alias("is_refund"),
            pl.col("Country").drop_nulls().first().alias("country_name"),
        )
        .sort("order_id")
    )
    landed_orders = orders.select(
        "order_id",
        "contact_id",
        "ordered_at",
        currency=pl.lit(CURRENCY),
        amount=pl.col("amount"),
        status=pl.when(pl.col("is_refund")).then(pl.lit("refunded")).otherwise(pl.lit("completed")),
        channel=pl.lit("online"),
    )
    landed_lines = lines.sort("order_id", "_row").select(
        "order_id",
        line_no=pl.int_range(1, pl.len() + 1).over("order_id"),
        sku=pl.col("StockCode"),
        quantity=pl.col("Quantity").abs(),
        unit_price=pl.col("UnitPrice"),
        description=pl.col("Description"),
    )
    countries = orders.filter(pl.col("contact_id").is_not_null())
    names = countries["country_name"].unique().drop_nulls().to_list()
    codes = {n: country_code(n) for n in names}
    unmapped = sorted(n for n, c in codes.items() if c is None)
    if unmapped:
        report.quirks["country names without an ISO code (left empty)"] = ", ".join(unmapped)
    contacts = (
        countries.sort("ordered_at", "order_id")
        .group_by("contact_id")
        .agg(pl.col("ordered_at").min().alias("created_at"), pl.col("country_name").first())
        .sort("contact_id")
        .select(
            "contact_id",
            "created_at",
            country=pl.col("country_name").replace_strict(codes, default=None),
            segment=pl.lit("consumer"),
        )
    )
    write_entity(contacts, landing_dir, "crm/contacts", "customers", report)
    write_entity(landed_orders, landing_dir, "sales/orders", "invoices", report)
    write_entity(landed_lines, landing_dir, "sales/order_lines", "invoice_lines", report)
    report.note_currency(CURRENCY)
    return report
