"""The dashboard in a real browser: served over the demo world's publication (seed 7,
scale 1, the world the voice and trust tests already ran), each page opened in headless
Chromium, and the figures it shows read off the page and compared with the published
marts queried by DuckDB. The dashboard must stay local: no request leaves 127.0.0.1."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from tests.pipeline.conftest import PipelineWorld
from trustcap.dashboard import (
    PAGES,
    DashboardError,
    browser_page,
    chromium_path,
    open_page,
    running,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("voice")]


@pytest.fixture(scope="module")
def world(seed7_world) -> PipelineWorld:
    return seed7_world


@pytest.fixture(scope="module")
def dashboard(world):
    """(open, page): open(name) shows one page of the served dashboard in Chromium."""
    try:
        with running(world.settings.published_path) as base, browser_page() as page:

            def open_(name: str):
                page.requested_urls.clear()
                open_page(page, base, PAGES[name])
                return page

            yield open_
    except DashboardError as exc:  # no Chromium or Playwright: say what to run, never skip
        pytest.fail(str(exc), pytrace=False)


def test_without_chromium_the_browser_tests_fail_saying_what_to_run(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DashboardError, match=r"^Chromium is not installed: run scripts/setup.sh$"):
        chromium_path()


def mart(world: PipelineWorld, sql: str, params: list | None = None) -> list[tuple]:
    con = world.published()
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def one(world: PipelineWorld, sql: str, params: list | None = None):
    rows = mart(world, sql, params)
    assert len(rows) == 1, (sql, rows)
    return rows[0][0] if len(rows[0]) == 1 else rows[0]


def number(text: str) -> float:
    """A figure as the page prints it: '-85 %', '17,039', '103 min', '2.15x', '+0.85'."""
    match = re.search(r"[-+−]?\d[\d,]*(?:\.\d+)?", text)
    assert match, f"no number in {text!r}"
    return float(match.group().replace(",", "").replace("−", "-"))


def shown_as(text: str, value: float, digits: int, scale: float = 1.0) -> None:
    """The page's figure is the mart's value at the precision the page prints."""
    shown = number(text)
    assert shown == pytest.approx(round(value * scale, digits), abs=10**-digits / 2 + 1e-9), (
        text,
        value,
    )


def metric(page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True)
    )
    assert card.count() == 1, f"metric {label!r}: {card.count()} found"
    return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


def metric_labelled(page, prefix: str) -> tuple[str, str]:
    """(label, value) of the metric whose label starts with prefix."""
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    matching = [label.strip() for label in labels if label.strip().startswith(prefix)]
    assert len(matching) == 1, (prefix, labels)
    return matching[0], metric(page, matching[0])


def table(page, first_column: str) -> list[dict[str, str]]:
    """The rows of the st.table whose first column is headed first_column."""
    tables = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stTable"] table')].map(t => ({
            head: [...t.querySelectorAll('thead th')].map(c => c.innerText.trim()),
            rows: [...t.querySelectorAll('tbody tr')].map(
                r => [...r.querySelectorAll('th, td')].map(c => c.innerText.trim())),
        }))"""
    )
    found = [t for t in tables if t["head"] and t["head"][0] == first_column]
    assert len(found) == 1, (first_column, [t["head"] for t in tables])
    head = found[0]["head"]
    return [dict(zip(head, row, strict=True)) for row in found[0]["rows"]]


def assert_stayed_local(page) -> None:
    outside = [
        url
        for url in page.requested_urls
        if urlparse(url).scheme not in ("data", "blob")
        and urlparse(url).hostname not in ("127.0.0.1", "localhost")
    ]
    assert not outside, outside


def test_roi_page_shows_the_roi_marts(dashboard, world):
    page = dashboard("roi")
    roi, naive_roi, revenue, naive_revenue, cost, unlinked = one(
        world,
        "select roi, naive_roi, incremental_revenue, naive_revenue, cost, "
        "unresolved_engaging_account_share from marts.community_roi_summary "
        "where platform = 'all'",
    )
    shown_as(metric(page, "Causal ROI"), roi, 0, scale=100)
    shown_as(metric(page, "Naive ROI"), naive_roi, 0, scale=100)
    shown_as(metric(page, "Incremental revenue"), revenue, 0)
    shown_as(metric(page, "Naive revenue"), naive_revenue, 0)
    shown_as(metric(page, "Cost"), cost, 0)
    shown_as(metric(page, "Accounts not linked to a contact"), unlinked, 0, scale=100)

    by_platform = {row["platform"]: row for row in table(page, "platform")}
    summary = mart(
        world,
        "select platform, cost, roi, roi_low, roi_high from marts.community_roi_summary",
    )
    assert set(by_platform) == {platform for platform, *_ in summary}
    for platform, cost, roi, low, high in summary:
        shown_as(by_platform[platform]["cost"], cost, 0)
        shown_roi, shown_low, shown_high = re.findall(
            r"[-+]?\d+", by_platform[platform]["causal ROI (90 %)"]
        )
        for shown, value in ((shown_roi, roi), (shown_low, low), (shown_high, high)):
            shown_as(shown, value, 0, scale=100)

    campaigns = table(page, "name")
    expected = mart(world, "select name, cost from marts.campaign_roi order by started_on")
    assert [row["name"] for row in campaigns] == [name for name, _ in expected]
    for row, (_, cost) in zip(campaigns, expected, strict=True):
        shown_as(row["cost"], cost, 0)
    assert_stayed_local(page)


def test_trust_page_shows_capital_tiers_and_validity(dashboard, world):
    page = dashboard("trust")
    day, capital, trusting = one(
        world,
        "select date, trust_capital, customers_trusting from marts.trust_capital_daily "
        "order by date desc limit 1",
    )
    label, value = metric_labelled(page, "Trust capital on ")
    assert label == f"Trust capital on {day:%Y-%m-%d}"
    shown_as(value, capital, 0)
    shown_as(metric(page, "Customers trusting"), trusting, 0)

    tiers = {row["tier"]: number(row["customers"]) for row in table(page, "tier")}
    assert tiers == dict(
        mart(world, "select trust_tier, count(*) from marts.customer_trust group by 1")
    )

    validity = {row["measure"]: row for row in table(page, "measure")}
    expected = mart(
        world,
        "select distinct measure, top_bottom_retention_ratio, predicts_retention "
        "from marts.trust_validity",
    )
    assert set(validity) == {measure for measure, *_ in expected}
    assert {"trust_score", "followers"} <= set(validity)
    for measure, ratio, predicts in expected:
        shown_as(validity[measure]["top / bottom decile retention"], ratio, 2)
        assert validity[measure]["predicts retention"] == ("yes" if predicts else "no")
    assert_stayed_local(page)


def test_voice_page_shows_negative_share_and_crises(dashboard, world):
    page = dashboard("voice")
    mentions, scored, negative = one(
        world,
        "select sum(mentions), sum(scored_mentions), sum(negative_mentions) "
        "from marts.voice_of_market where topic = 'all'",
    )
    shown_as(metric(page, "Member texts"), mentions, 0)
    shown_as(metric(page, "Negative share (of scored)"), negative / scored, 1, scale=100)
    shown_as(metric(page, "Scored share"), scored / mentions, 1, scale=100)

    by_topic = {row["topic"]: row for row in table(page, "topic")}
    for topic, negative_mentions in mart(
        world,
        "select topic, sum(negative_mentions) from marts.voice_of_market group by topic",
    ):
        shown_as(by_topic[topic]["negative mentions"], negative_mentions, 0)

    crises = {
        row["crisis (platform, start)"]: row for row in table(page, "crisis (platform, start)")
    }
    expected = mart(
        world,
        "select crisis_id, amplification_score, new_account_share, suspected_amplification "
        "from marts.crisis_events",
    )
    assert expected, "the demo world plants crises: the mart should hold some"
    assert set(crises) == {crisis for crisis, *_ in expected}
    for crisis, score, new_accounts, suspected in expected:
        shown_as(crises[crisis]["score"], score, 2)
        shown_as(crises[crisis]["new accounts"], new_accounts, 0, scale=100)
        assert crises[crisis]["amplification"] == ("suspected" if suspected else "organic")
    assert_stayed_local(page)


def test_responsiveness_page_shows_answered_share(dashboard, world):
    page = dashboard("responsiveness")
    inbound, answered = one(
        world,
        "select sum(inbound), sum(answered) from marts.responsiveness_daily where platform = 'all'",
    )
    shown_as(metric(page, "Inbound"), inbound, 0)
    shown_as(metric(page, "Answered"), answered, 0)
    shown_as(metric(page, "Answered share"), answered / inbound, 1, scale=100)

    by_platform = {row["platform"]: row for row in table(page, "platform")}
    expected = mart(
        world, "select platform, sum(inbound) from marts.responsiveness_daily group by 1"
    )
    assert set(by_platform) == {platform for platform, _ in expected}
    for platform, platform_inbound in expected:
        shown_as(by_platform[platform]["inbound"], platform_inbound, 0)
    assert_stayed_local(page)


def test_data_quality_page_shows_the_published_runs_checks_failures_first(dashboard, world):
    page = dashboard("data_quality")
    run_id = one(world, "select run_id from marts.publication_info")
    checks, failed_blocking, failed_warnings = one(
        world,
        "select count(*), count(*) filter (where not passed and severity = 'blocking'), "
        "count(*) filter (where not passed and severity <> 'blocking') "
        "from marts.pipeline_quality where run_id = ?",
        [run_id],
    )
    shown_as(metric(page, "Checks"), checks, 0)
    shown_as(metric(page, "Failed, blocking"), failed_blocking, 0)
    shown_as(metric(page, "Failed, warnings"), failed_warnings, 0)

    failed = mart(
        world,
        "select asset, check_name, severity from marts.pipeline_quality "
        "where run_id = ? and not passed",
        [run_id],
    )
    if not failed:
        assert page.get_by_text("Every check of this run passed.").count() == 1
    else:
        rows = table(page, "asset")
        assert sorted((r["asset"], r["check"], r["severity"]) for r in rows) == sorted(failed)
        severities = [r["severity"] for r in rows]
        assert severities == sorted(severities, key=lambda s: s != "blocking")
    assert_stayed_local(page)
