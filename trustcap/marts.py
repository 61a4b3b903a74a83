"""Which marts are published, read from dbt's manifest (the models are the only
definition of a mart): models tagged `published` and the landing entities each
one requires (`meta.requires`)."""

from __future__ import annotations

import json

from trustcap.settings import DBT_PROJECT_DIR

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


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
