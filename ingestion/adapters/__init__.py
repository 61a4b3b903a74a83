"""Adapters: real exports → landing-contract files (`trustcap import`).

Each adapter reads its export (never edits it) and writes one CSV per entity into
the landing folder, named after the adapter and the export, so importing the same
export twice changes nothing. They return an `ImportReport` with the rows written
and the export's quirks they handled. Modules load on use, so the command line
answers `--help` without importing polars.
"""

from __future__ import annotations

import importlib
from pathlib import Path

# name → (module, function, what it reads)
ADAPTERS: dict[str, tuple[str, str, str]] = {
    "twcs": ("twcs", "import_twcs", "Customer Support on Twitter (twcs.csv layout)"),
    "olist": ("olist", "import_olist", "Olist e-commerce folder (customers, orders, reviews)"),
    "olist-funnel": (
        "olist_funnel",
        "import_olist_funnel",
        "Olist marketing funnel folder (leads, closed deals); --sales: the e-commerce folder",
    ),
    "online-retail": ("online_retail", "import_online_retail", "UCI Online Retail invoices"),
    "facebook-metrics": (
        "facebook_metrics",
        "import_facebook_metrics",
        "UCI Facebook metrics (a brand page's posts)",
    ),
}


def import_export(adapter: str, source: Path, landing_dir: Path, sales_source: Path | None = None):
    module, function, _ = ADAPTERS[adapter]
    run = getattr(importlib.import_module(f"ingestion.adapters.{module}"), function)
    if sales_source is not None:
        if adapter != "olist-funnel":
            raise ValueError("--sales applies to the olist-funnel adapter only")
        return run(source, landing_dir, sales_source)
    return run(source, landing_dir)
