"""What the quality gate checks, as data: one `Check` per expectation.

Blocking checks stop publication when they fail; warnings are reported (Dagster UI,
run summary, `pipeline_quality`, the HTML report) and publication goes ahead.
Keys, value ranges, interval order and accepted values block: a mart that breaks
them is wrong. Row counts against the previous publication and freshness warn:
they flag something to look at, not something false.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
TRUST_TIERS = ("betrayed", "at_risk", "neutral", "trusting", "advocate")


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


def _keys(table: str, *columns: str) -> list[Check]:
    return [
        Check(table, "unique", columns),
        *(Check(table, "not_null", (c,)) for c in columns),
    ]


def _non_negative(table: str, *columns: str) -> list[Check]:
    return [Check(table, "between", (c,), low=0) for c in columns]


def _shares(table: str, *columns: str) -> list[Check]:
    return [Check(table, "between", (c,), low=0, high=1) for c in columns]


def _ordered(table: str, low: str, mid: str, high: str) -> list[Check]:
    return [Check(table, "not_greater", (low, mid)), Check(table, "not_greater", (mid, high))]


def _roi_checks(table: str) -> list[Check]:
    return [
        *_non_negative(table, "cost", "engaged_customers", "naive_revenue"),
        *_ordered(
            table, "incremental_revenue_low", "incremental_revenue", "incremental_revenue_high"
        ),
        *_ordered(table, "roi_low", "roi", "roi_high"),
        Check(table, "not_null", ("method",)),
        Check(table, "row_count", (), severity=WARNING),
    ]


def mart_checks() -> list[Check]:
    rd, chm = "marts.responsiveness_daily", "marts.community_health_monthly"
    crm, crs, cr = (
        "marts.community_roi_monthly",
        "marts.community_roi_summary",
        "marts.campaign_roi",
    )
    vom, ce = "marts.voice_of_market", "marts.crisis_events"
    vls = "marts.voice_level_shifts"
    vsq = "marts.voice_scorer_quality"
    ct, tcd = "marts.customer_trust", "marts.trust_capital_daily"
    tv, tvc, adv = "marts.trust_validity", "marts.trust_validity_by_cutoff", "marts.advocates"
    measures = ("trust_score", "followers", "likes_given")
    rba, af = "marts.responsiveness_by_account", "marts.acquisition_funnel"
    return [
        *_keys(rba, "platform", "account_id"),
        Check(rba, "in_set", ("platform",), values=PLATFORMS),
        *_non_negative(rba, "inbound", "answered", "median_first_response_minutes"),
        *_shares(rba, "answered_share"),
        Check(rba, "not_greater", ("answered", "inbound")),
        Check(rba, "not_greater", ("first_inbound_on", "last_inbound_on")),
        *_keys(af, "acquisition_channel"),
        *_non_negative(af, "leads", "revenue", "completed_orders"),
        *_shares(af, "conversion_rate_low", "conversion_rate", "conversion_rate_high"),
        *_ordered(af, "conversion_rate_low", "conversion_rate", "conversion_rate_high"),
        Check(af, "not_greater", ("converted", "leads")),
        Check(af, "not_null", ("method",)),
        *_keys(rd, "date", "platform"),
        Check(rd, "in_set", ("platform",), values=AGGREGATE_PLATFORMS),
        *_non_negative(rd, "inbound", "answered", "median_first_response_minutes"),
        *_shares(rd, "answered_share"),
        Check(rd, "not_greater", ("answered", "inbound")),
        Check(rd, "not_greater", ("median_first_response_minutes", "p90_first_response_minutes")),
        Check(rd, "row_count", (), severity=WARNING),
        Check(rd, "fresh", ("date",), severity=WARNING),
        *_keys(chm, "period", "platform"),
        Check(chm, "in_set", ("platform",), values=AGGREGATE_PLATFORMS),
        *_non_negative(chm, "member_activities", "active_authors", "followers"),
        Check(chm, "not_greater", ("returning_authors", "active_authors")),
        Check(chm, "row_count", (), severity=WARNING),
        *_keys(crm, "period", "platform"),
        Check(crm, "in_set", ("platform",), values=COST_PLATFORMS),
        *_roi_checks(crm),
        *_keys(crs, "platform"),
        Check(crs, "in_set", ("platform",), values=COST_PLATFORMS),
        *_roi_checks(crs),
        *_shares(crs, "unresolved_engaging_account_share"),
        Check(crs, "not_greater", ("window_start", "window_end")),
        *_keys(cr, "campaign_id"),
        *_roi_checks(cr),
        *_keys(vom, "week", "topic"),
        *_non_negative(vom, "mentions", "authors", "young_account_mentions"),
        *_shares(vom, "negative_share", "answered_share", "scored_share"),
        Check(vom, "not_null", ("scored_share",)),
        *_keys(vsq, "lang", "scorer"),
        Check(vsq, "in_set", ("scorer",), values=("lexicon", "supervised")),
        *_shares(
            vsq, "accuracy", "macro_f1", "labelled_negative_share", "predicted_negative_share"
        ),
        *_non_negative(vsq, "labelled_texts", "cv_folds"),
        Check(vom, "not_greater", ("negative_mentions", "scored_mentions")),
        Check(vom, "not_greater", ("scored_mentions", "mentions")),
        Check(vom, "row_count", (), severity=WARNING),
        *_keys(vls, "level_shift_id"),
        Check(vls, "in_set", ("platform",), values=AGGREGATE_PLATFORMS),
        Check(vls, "not_greater", ("shifted_on", "last_alarm_on")),
        *_non_negative(vls, "negative_per_day_before", "negative_per_day_after"),
        *_keys(ce, "crisis_id"),
        Check(ce, "in_set", ("platform",), values=AGGREGATE_PLATFORMS),
        *_non_negative(ce, "negative_mentions", "authors", "advocate_counter_mentions"),
        *_shares(
            ce,
            "new_account_share",
            "duplicate_text_share",
            "known_customer_share",
            "amplification_score",
        ),
        Check(ce, "not_greater", ("started_on", "peak_on")),
        Check(ce, "not_greater", ("peak_on", "ended_on")),
        *_keys(ct, "contact_id"),
        *_shares(ct, "trust_score"),
        Check(ct, "not_null", ("trust_score",)),
        Check(ct, "in_set", ("trust_tier",), values=TRUST_TIERS),
        *_non_negative(ct, "positive_events", "negative_events", "completed_orders"),
        Check(ct, "row_count", (), severity=WARNING),
        *_keys(tcd, "date"),
        *_non_negative(tcd, "gained", "betrayed", "customers_trusting", "customers_betrayed"),
        Check(tcd, "not_null", ("trust_capital",)),
        Check(tcd, "fresh", ("date",), severity=WARNING),
        *_keys(tv, "measure", "decile"),
        Check(tv, "in_set", ("measure",), values=measures),
        Check(tv, "between", ("decile",), low=1, high=10),
        *_shares(tv, "retained_next_90d_share"),
        Check(tv, "not_greater", ("retained_next_90d", "customers")),
        *_keys(tvc, "cutoff_on", "measure", "decile"),
        Check(tvc, "in_set", ("measure",), values=measures),
        *_keys(adv, "platform", "account_id"),
        Check(adv, "in_set", ("platform",), values=PLATFORMS),
        *_shares(adv, "advocacy_score", "trust_score"),
        Check(adv, "between", ("rank",), low=1),
        Check(adv, "not_greater", ("rank", "platform_accounts")),
        Check(adv, "not_null", ("in_unlocking_minority",)),
    ]


def staging_checks() -> list[Check]:
    contacts, orders = "staging.stg_crm__contacts", "staging.stg_sales__orders"
    activities, costs = "staging.stg_social__activities", "staging.stg_costs__community_costs"
    return [
        *_keys(contacts, "contact_id"),
        *_keys(orders, "order_id"),
        Check(orders, "in_set", ("status",), values=ORDER_STATUSES),
        Check(orders, "in_set", ("channel",), values=ORDER_CHANNELS),
        *_non_negative(orders, "amount"),
        Check(orders, "fresh", ("ordered_at",), severity=WARNING),
        *_keys(activities, "platform", "activity_id"),
        Check(activities, "in_set", ("platform",), values=PLATFORMS),
        Check(activities, "in_set", ("activity_type",), values=ACTIVITY_TYPES),
        Check(activities, "between", ("sentiment",), low=-1, high=1),
        Check(activities, "fresh", ("created_at",), severity=WARNING),
        *_keys(costs, "cost_id"),
        Check(costs, "in_set", ("category",), values=COST_CATEGORIES),
        *_non_negative(costs, "amount"),
    ]


def all_checks() -> list[Check]:
    return [*staging_checks(), *mart_checks()]
