"""What the quality gate checks, as data: one `Check` per expectation.

Each model's Great Expectations rules live in its own dbt yml, under `config: meta:
gx:`, beside its columns and dbt tests; they are read here from dbt's manifest. A
rule is a mapping with one kind and, optionally, `severity: warning`:

    - {unique: [date, platform]}
    - {not_null: method}
    - {in_range: cost, min: 0}                     # min and/or max; nulls allowed
    - {not_above: [roi_low, roi]}                  # wherever both are known
    - {accepted_values: platform, values: platforms}   # a named set or a list
    - {row_count: previous_publication, severity: warning}
    - {fresh: date, severity: warning}

A key, not-null or range rule that the model's dbt tests already check is written
there only (dbt's results are logged beside these in pipeline_quality and block
publication alike).

Blocking checks stop publication when they fail; warnings are reported (Dagster UI,
run summary, `pipeline_quality`, the HTML report) and publication goes ahead.
Keys, value ranges, interval order and accepted values block: a mart that breaks
them is wrong. Row counts against the previous publication and freshness warn:
they flag something to look at, not something false.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import MANIFEST_PATH
from ingestion.contract import (
    ACTIVITY_TYPES,
    COST_CATEGORIES,
    ORDER_CHANNELS,
    ORDER_STATUSES,
    PLATFORMS,
)

BLOCKING = "blocking"
WARNING = "warning"
AGGREGATE_PLATFORMS = (*PLATFORMS, "all")
# costs of a brand with no social activity at all (a CRM-only landing) still show,
# on platform 'unallocated' (int_community_costs_allocated)
COST_PLATFORMS = (*AGGREGATE_PLATFORMS, "unallocated")
# the value sets a rule may name (`values: platforms`), kept with the landing contract
VALUE_SETS = {
    "platforms": PLATFORMS,
    "platforms_and_all": AGGREGATE_PLATFORMS,
    "cost_platforms": COST_PLATFORMS,
    "order_statuses": ORDER_STATUSES,
    "order_channels": ORDER_CHANNELS,
    "activity_types": ACTIVITY_TYPES,
    "cost_categories": COST_CATEGORIES,
}


@dataclass(frozen=True)
class Check:
    table: str  # <schema>.<relation> in the working warehouse
    kind: str  # unique | not_null | between | not_greater | in_set | row_count | fresh
    columns: tuple[str, ...]
    severity: str = BLOCKING
    low: float | None = None
    high: float | None = None
    values: tuple[str, ...] = field(default=())

    @property
    def schema(self) -> str:
        return self.table.split(".")[0]

    @property
    def relation(self) -> str:
        return self.table.split(".")[1]

    @property
    def name(self) -> str:
        """Unique per table; stable, because it keys the check in Dagster."""
        suffix = {
            "unique": "unique",
            "not_null": "not_null",
            "between": "in_range",
            "not_greater": "not_above",
            "in_set": "accepted_values",
            "row_count": "row_count_vs_previous_publication",
            "fresh": "fresh",
        }[self.kind]
        return "__".join([*self.columns, suffix]) if self.columns else suffix

    @property
    def description(self) -> str:
        c = self.columns
        match self.kind:
            case "unique":
                return f"({', '.join(c)}) identifies a row"
            case "not_null":
                return f"{c[0]} is never null"
            case "between":
                low, high = _fmt(self.low, "-inf"), _fmt(self.high, "+inf")
                return f"{c[0]} lies in [{low}, {high}] (nulls allowed)"
            case "not_greater":
                return f"{c[0]} <= {c[1]} wherever both are known"
            case "in_set":
                return f"{c[0]} is one of {', '.join(self.values)}"
            case "row_count":
                return "row count within TC_QUALITY_ROW_COUNT_TOLERANCE of the previous publication"
            case "fresh":
                return f"newest {c[0]} at most TC_QUALITY_MAX_AGE_DAYS days old"
        raise ValueError(f"unknown check kind {self.kind}")


def _fmt(v: float | None, unbounded: str) -> str:
    return unbounded if v is None else f"{v:g}"


class RuleError(ValueError):
    """A Great Expectations rule in a model's yml that cannot be read."""


# a rule's kind as written in the yml -> Check.kind
_KINDS = {
    "unique": "unique",
    "not_null": "not_null",
    "in_range": "between",
    "not_above": "not_greater",
    "accepted_values": "in_set",
    "row_count": "row_count",
    "fresh": "fresh",
}
_OPTIONS = {"between": {"min", "max"}, "in_set": {"values"}}


def check_from_rule(table: str, rule: dict) -> Check:
    """One `meta.gx` rule of `table`'s model as a Check; RuleError names what is wrong."""
    where = f"{table}: gx rule {rule!r}"
    if not isinstance(rule, dict):
        raise RuleError(f"{where}: a rule is a mapping such as {{not_null: column}}")
    kinds = [k for k in rule if k in _KINDS]
    if len(kinds) != 1:
        raise RuleError(f"{where}: name exactly one of {', '.join(_KINDS)}")
    kind = _KINDS[kinds[0]]
    unknown = set(rule) - {kinds[0], "severity"} - _OPTIONS.get(kind, set())
    if unknown:
        raise RuleError(f"{where}: unknown option(s) {', '.join(sorted(unknown))}")
    severity = rule.get("severity", BLOCKING)
    if severity not in (BLOCKING, WARNING):
        raise RuleError(f"{where}: severity is {BLOCKING} or {WARNING}")
    target = rule[kinds[0]]
    if kind == "row_count":
        if target != "previous_publication":
            raise RuleError(f"{where}: write {{row_count: previous_publication}}")
        return Check(table, kind, (), severity)
    columns = tuple(target) if isinstance(target, list) else (target,)
    wanted = {"unique": None, "not_greater": 2}.get(kind, 1)
    if (
        not columns
        or not all(isinstance(c, str) for c in columns)
        or (wanted is not None and len(columns) != wanted)
    ):
        raise RuleError(f"{where}: names {wanted or 'one or more'} column(s)")
    if kind == "between":
        if "min" not in rule and "max" not in rule:
            raise RuleError(f"{where}: give min, max or both")
        return Check(table, kind, columns, severity, low=rule.get("min"), high=rule.get("max"))
    if kind == "in_set":
        values = rule.get("values")
        if isinstance(values, str):
            if values not in VALUE_SETS:
                raise RuleError(f"{where}: values names one of {', '.join(VALUE_SETS)}")
            values = VALUE_SETS[values]
        if not values:
            raise RuleError(f"{where}: give values (a list or a named set)")
        return Check(table, kind, columns, severity, values=tuple(str(v) for v in values))
    return Check(table, kind, columns, severity)


def checks_from_manifest(manifest: dict) -> list[Check]:
    """Every model's `meta.gx` rules, in the order its yml lists them."""
    checks = []
    nodes = sorted(manifest["nodes"].values(), key=lambda n: n["unique_id"])
    for node in nodes:
        if node["resource_type"] != "model":
            continue
        rules = node.get("config", {}).get("meta", {}).get("gx") or []
        table = f"{node['schema']}.{node['name']}"
        checks += [check_from_rule(table, rule) for rule in rules]
    names = [(c.table, c.name) for c in checks]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise RuleError(f"gx rules written twice: {twice}")
    return checks


def all_checks(manifest_path: Path | None = None) -> list[Check]:
    """The quality gate's checks, from the dbt manifest (`trustcap prepare` writes it)."""
    path = manifest_path or MANIFEST_PATH
    return checks_from_manifest(json.loads(path.read_text()))
