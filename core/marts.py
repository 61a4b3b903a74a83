"""Which marts are published, read from dbt's manifest (the models are the only
definition of a mart): models tagged `published` and the landing entities each
one requires (`meta.requires`)."""

from __future__ import annotations

import json

from core.settings import MANIFEST_PATH


def published_marts() -> dict[str, list[str]]:
    manifest = json.loads(MANIFEST_PATH.read_text())
    return {
        node["name"]: list(node.get("meta", {}).get("requires", []))
        for node in sorted(manifest["nodes"].values(), key=lambda n: n["name"])
        if node["resource_type"] == "model" and "published" in node.get("tags", [])
    }


def stated_empty_reasons() -> dict[str, str]:
    """`meta.empty_reason` of the published models: why a mart can be empty even
    though the landing entities it requires have rows."""
    manifest = json.loads(MANIFEST_PATH.read_text())
    return {
        node["name"]: node["meta"]["empty_reason"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and "published" in node.get("tags", [])
        and node.get("meta", {}).get("empty_reason")
    }


def personal_columns() -> dict[str, dict[str, str]]:
    """Per published mart, its columns that identify people (column meta `personal`:
    `contact`, `social_account`, or `handle`), which publication pseudonymises or
    withholds unless TC_PUBLISH_RAW_IDS is set."""
    manifest = json.loads(MANIFEST_PATH.read_text())
    found: dict[str, dict[str, str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or "published" not in node.get("tags", []):
            continue
        for name, column in node.get("columns", {}).items():
            meta = {**column.get("meta", {}), **column.get("config", {}).get("meta", {})}
            if meta.get("personal"):
                found.setdefault(node["name"], {})[name] = meta["personal"]
    return found
