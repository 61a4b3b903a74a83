"""Great Expectations rules are declared in each model's dbt yml (`meta.gx`): read from
the manifest, run by the quality gate, failing on bad data; none repeats a dbt test."""

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from core.marts import published_marts
from core.quality.gx_runner import run_checks
from core.quality.suites import (
    BLOCKING,
    PLATFORMS,
    WARNING,
    Check,
    RuleError,
    all_checks,
    check_from_rule,
    checks_from_manifest,
)
from core.settings import MANIFEST_PATH


def _manifest(rules: list, name: str = "scores", schema: str = "marts") -> dict:
    node = {
        "unique_id": f"model.trustcap.{name}",
        "resource_type": "model",
        "name": name,
        "schema": schema,
        "config": {"meta": {"gx": rules}},
    }
    return {"nodes": {node["unique_id"]: node}}


def test_each_rule_kind_reads_as_its_check():
    t = "marts.scores"
    assert check_from_rule(t, {"unique": ["a", "b"]}) == Check(t, "unique", ("a", "b"))
    assert check_from_rule(t, {"not_null": "a"}) == Check(t, "not_null", ("a",))
    assert check_from_rule(t, {"in_range": "a", "min": 0, "max": 1}) == Check(
        t, "between", ("a",), low=0, high=1
    )
    assert check_from_rule(t, {"not_above": ["low", "high"]}) == Check(
        t, "not_greater", ("low", "high")
    )
    assert check_from_rule(t, {"accepted_values": "platform", "values": "platforms"}) == Check(
        t, "in_set", ("platform",), values=PLATFORMS
    )
    assert check_from_rule(t, {"accepted_values": "tier", "values": ["a", "b"]}).values == (
        "a",
        "b",
    )
    row_count = check_from_rule(t, {"row_count": "previous_publication", "severity": "warning"})
    assert row_count == Check(t, "row_count", (), WARNING)
    assert check_from_rule(t, {"fresh": "date", "severity": "warning"}).severity == WARNING
    assert check_from_rule(t, {"not_null": "a"}).severity == BLOCKING


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ({"not_nul": "a"}, "name exactly one of"),
        ({"not_null": "a", "unique": ["a"]}, "name exactly one of"),
        ({"in_range": "a"}, "give min, max or both"),
        ({"in_range": "a", "minimum": 0}, "unknown option(s) minimum"),
        ({"not_above": ["a"]}, "names 2 column(s)"),
        ({"accepted_values": "a", "values": "planets"}, "values names one of"),
        ({"not_null": "a", "severity": "fatal"}, "severity is blocking or warning"),
        ({"row_count": True}, "row_count: previous_publication"),
        ("not_null a", "a rule is a mapping"),
    ],
)
def test_a_malformed_rule_is_named_in_one_line(rule, says):
    with pytest.raises(RuleError) as raised:
        checks_from_manifest(_manifest([rule]))
    message = str(raised.value)
    assert says in message and "marts.scores" in message and "\n" not in message


def test_a_rule_written_twice_is_refused():
    with pytest.raises(RuleError, match="written twice"):
        checks_from_manifest(_manifest([{"not_null": "a"}, {"not_null": "a"}]))


def test_a_rule_declared_in_a_models_yml_runs_and_fails_on_bad_data(tmp_path: Path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.scores as select * from (values (0.2, 0.5), (0.9, 1.0)) t(low, high)"
    )
    con.close()
    checks = checks_from_manifest(
        _manifest([{"in_range": "high", "min": 0, "max": 1}, {"not_above": ["low", "high"]}])
    )
    now = datetime(2026, 1, 1)
    good = run_checks(path, checks, {}, 0.5, 7, now)
    assert [(o.check_name, o.passed) for o in good] == [
        ("high__in_range", True),
        ("low__high__not_above", True),
    ]
    con = duckdb.connect(str(path))
    con.execute("update marts.scores set high = 1.5, low = 2 where low = 0.9")
    con.close()
    bad = run_checks(path, checks, {}, 0.5, 7, now)
    assert [(o.check_name, o.passed) for o in bad] == [
        ("high__in_range", False),
        ("low__high__not_above", False),
    ]
    assert all(o.observed_value.startswith("1 unexpected") for o in bad)


def _dbt_tests(manifest: dict) -> dict[str, list[tuple[str, str | None, dict]]]:
    """Per <schema>.<model>: (test, column, arguments) of its generic dbt tests."""
    nodes = manifest["nodes"]
    found: dict[str, list] = {}
    for node in nodes.values():
        attached = node.get("attached_node")
        if node["resource_type"] != "test" or "test_metadata" not in node:
            continue
        if attached not in nodes:
            continue
        model = nodes[attached]
        meta = node["test_metadata"]
        found.setdefault(f"{model['schema']}.{model['name']}", []).append(
            (meta["name"], node.get("column_name"), meta.get("kwargs", {}))
        )
    return found


def _repeats(check: Check, test: tuple[str, str | None, dict]) -> bool:
    name, column, args = test
    if check.kind == "unique":
        return (name == "unique" and (column,) == check.columns) or (
            name == "primary_key" and tuple(args.get("columns", ())) == check.columns
        )
    if check.kind == "not_null":
        return (name == "not_null" and (column,) == check.columns) or (
            name == "primary_key" and set(check.columns) <= set(args.get("columns", ()))
        )
    if check.kind == "between":
        bounds = (args.get("min_value"), args.get("max_value"))
        return (
            name == "in_range" and (column,) == check.columns and bounds == (check.low, check.high)
        )
    if check.kind == "in_set":
        return name == "accepted_values" and (column,) == check.columns
    return False


def test_no_great_expectations_rule_repeats_a_dbt_test_of_its_model():
    manifest = json.loads(MANIFEST_PATH.read_text())
    tests = _dbt_tests(manifest)
    repeated = [
        (c.table, c.name) for c in all_checks() for t in tests.get(c.table, []) if _repeats(c, t)
    ]
    assert repeated == []
    # each published mart's key is a dbt test (GX no longer repeats it), and the
    # comparison above would see a GX rule repeating it
    for mart in published_marts():
        keys = [t for t in tests[f"marts.{mart}"] if t[0] in ("unique", "primary_key")]
        assert keys, mart
        name, column, args = keys[0]
        columns = (column,) if name == "unique" else tuple(args["columns"])
        assert _repeats(Check(f"marts.{mart}", "unique", columns), keys[0])
