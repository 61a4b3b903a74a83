"""The quality summary people read: per asset, failures first, then the failures."""

from datetime import datetime

import polars as pl

from core.quality.report import markdown, per_asset, text_lines
from core.quality.store import RESULT_SCHEMA, write_report

NOW = datetime(2026, 12, 4, 8, 0)


def _results() -> pl.DataFrame:
    def row(asset, check, passed, severity="blocking", observed=""):
        return {
            "run_id": "r1",
            "checked_at": NOW,
            "asset": asset,
            "check_name": check,
            "check_source": "great_expectations",
            "passed": passed,
            "severity": severity,
            "observed_value": observed,
            "quarantined_rows": None,
            "description": f"{check} holds",
        }

    return pl.DataFrame(
        [
            row("marts/a_good", "x__not_null", True),
            row("marts/a_good", "y__not_null", True),
            row("marts/b_warned", "date__fresh", False, "warning", "2026-01-01"),
            row("marts/b_warned", "id__unique", True),
            row("marts/c_broken", "roi_low__roi__not_above", True),
            row("marts/c_broken", "answered__inbound__not_above", False, observed="3 unexpected"),
            row("marts/c_broken", "date__fresh", False, "warning", "2026-01-01"),
            row("raw/z_failed", "rows_quarantined", False, observed="5 rows quarantined"),
        ],
        schema=RESULT_SCHEMA,
    )


def test_assets_with_blocking_failures_come_first_then_warnings_then_the_rest():
    table = per_asset(_results())
    assert table.rows() == [
        ("marts/c_broken", 3, 1, 1, "answered__inbound__not_above: 3 unexpected"),
        ("raw/z_failed", 1, 1, 0, "rows_quarantined: 5 rows quarantined"),
        ("marts/b_warned", 2, 0, 1, "date__fresh: 2026-01-01"),
        ("marts/a_good", 2, 0, 0, None),
    ]


def test_the_text_and_the_markdown_list_failing_assets_then_each_failure():
    lines = text_lines(_results())
    assert lines[0] == "8 checks on 4 assets: 2 blocking failures, 2 warnings"
    assets = [line.split()[0] for line in lines[3:6]]
    assert assets == ["marts/c_broken", "raw/z_failed", "marts/b_warned"]
    assert "1 more assets: every check passed (--all lists them)." in lines
    failures = lines[lines.index("Failed checks:") + 1 :]
    assert failures[0] == ("  blocking: marts/c_broken answered__inbound__not_above: 3 unexpected")
    assert [f.split(":")[0].strip() for f in failures] == ["blocking"] * 2 + ["warning"] * 2
    assert any(line.startswith("marts/a_good") for line in text_lines(_results(), True))
    md = markdown(_results())
    assert md.index("| marts/c_broken | 3 | 1 | 1 |") < md.index("| marts/b_warned | 2 | 0 | 1 |")
    assert "marts/a_good" not in md and "**Failed checks**" in md


def test_the_html_report_opens_with_the_per_asset_summary(tmp_path):
    page = write_report(tmp_path, _results(), "r1").read_text()
    summary, details = page.split("<h2>Every check</h2>")
    assert "<h2>Per asset</h2>" in summary
    assert summary.index("marts/c_broken") < summary.index("marts/a_good")
    assert details.count("<tr class=") == 8
