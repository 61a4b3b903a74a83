"""The landing contract (docs/reference/landing.md) as data.

This module is the only code that knows the landing layout and the entities'
columns; readers, validation and the demo generator all take it from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PLATFORMS = (
    "twitter",
    "facebook",
    "instagram",
    "linkedin",
    "reddit",
    "youtube",
    "tiktok",
    "forum",
    "other",
)
ACTIVITY_TYPES = ("post", "comment", "reply", "mention", "share", "reaction", "message")
TICKET_CHANNELS = ("social", "email", "phone", "chat", "store", "other")
TICKET_STATUSES = ("open", "resolved", "closed_unresolved")
ORDER_STATUSES = ("completed", "cancelled", "refunded")
ORDER_CHANNELS = ("online", "store", "marketplace", "other")
COST_CATEGORIES = ("staff", "tooling", "ads", "prizes", "agency", "other")
SENTIMENT_LABELS = ("negative", "neutral", "positive")

EXTENSIONS = ("csv.gz", "jsonl.gz", "csv", "jsonl", "parquet")  # longest suffix first

# Bounds on money, so that one typo (1e308) cannot overflow the models: amounts at most
# 1e12 in their currency, fx rates at most 1e6 (1 unit of the strongest currency in
# units of the weakest), quantities at most 1e9. A converted amount then stays under
# 1e18 and the marts' sums (DECIMAL(38, 2), doubles) hold it with room to spare.
AMOUNT_MAX = 1e12
RATE_MAX = 1e6
QUANTITY_MAX = 1e9


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # str | int | float | bool | ts | date
    nullable: bool = False
    key: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    lower_case: bool = False  # values are lower-cased before checking
    upper_case: bool = False
    pattern: str | None = None
    planned: bool = False  # a date that may lie in the future (a campaign's plan)


@dataclass(frozen=True)
class Entity:
    source: str
    name: str
    columns: tuple[Column, ...]
    # at least one of these columns must be non-null (crm/identities)
    one_of: tuple[str, ...] = field(default=())

    @property
    def qualified(self) -> str:
        return f"{self.source}/{self.name}"

    @property
    def table(self) -> str:
        """Name of the raw table (and Dagster asset) for this entity."""
        return f"{self.source}__{self.name}"

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _c(name: str, type_: str, **kw) -> Column:
    return Column(name, type_, **kw)


_platform = {"allowed": PLATFORMS, "lower_case": True}
_count = {"nullable": True, "minimum": 0}
_currency = {"pattern": r"^[A-Z]{3}$", "upper_case": True}

ENTITIES: tuple[Entity, ...] = (
    Entity(
        "social",
        "accounts",
        (
            _c("platform", "str", key=True, **_platform),
            _c("account_id", "str", key=True),
            _c("handle", "str", nullable=True),
            _c("created_at", "ts", nullable=True),
            _c("followers", "int", **_count),
            _c("is_brand", "bool"),
        ),
    ),
    Entity(
        "social",
        "activities",
        (
            _c("platform", "str", key=True, **_platform),
            _c("activity_id", "str", key=True),
            _c("account_id", "str"),
            _c("activity_type", "str", allowed=ACTIVITY_TYPES, lower_case=True),
            _c("created_at", "ts"),
            _c("text", "str", nullable=True),
            _c("parent_id", "str", nullable=True),
            _c("campaign_id", "str", nullable=True),
            _c("like_count", "int", **_count),
            _c("share_count", "int", **_count),
            _c("lang", "str", nullable=True),
            _c("sentiment", "float", nullable=True, minimum=-1, maximum=1),
        ),
    ),
    Entity(
        "social",
        "page_metrics",
        (
            _c("platform", "str", key=True, **_platform),
            _c("account_id", "str", key=True),
            _c("date", "date", key=True),
            _c("followers", "int", **_count),
            _c("impressions", "int", **_count),
            _c("reach", "int", **_count),
            _c("engagements", "int", **_count),
        ),
    ),
    # addition to the landing contract (issue 19): texts the brand labelled itself,
    # which train the brand-adapted scorer (analytics/brand_scorer.py)
    Entity(
        "social",
        "labelled_texts",
        (
            _c("label_id", "str", key=True),
            _c("platform", "str", nullable=True, **_platform),
            _c("activity_id", "str", nullable=True),
            _c("text", "str", nullable=True),
            _c("label", "str", allowed=SENTIMENT_LABELS, lower_case=True),
        ),
        one_of=("activity_id", "text"),
    ),
    Entity(
        "crm",
        "contacts",
        (
            _c("contact_id", "str", key=True),
            _c("email", "str", nullable=True),
            _c("created_at", "ts"),
            _c("country", "str", nullable=True),
            _c("segment", "str", nullable=True),
            _c("marketing_opt_in", "bool", nullable=True),
            # additions to the landing contract (README "Contract additions")
            _c("acquisition_channel", "str", nullable=True, lower_case=True),
            _c("converted_at", "ts", nullable=True),
        ),
    ),
    Entity(
        "crm",
        "identities",
        (
            _c("contact_id", "str", key=True),
            _c("platform", "str", key=True, **_platform),
            _c("account_id", "str", nullable=True),
            _c("handle", "str", nullable=True),
        ),
        one_of=("account_id", "handle"),
    ),
    Entity(
        "crm",
        "surveys",
        (
            _c("response_id", "str", key=True),
            _c("contact_id", "str"),
            _c("responded_at", "ts"),
            _c("nps", "int", nullable=True, minimum=0, maximum=10),
            _c("csat", "int", nullable=True, minimum=1, maximum=5),
            _c("comment", "str", nullable=True),
        ),
    ),
    Entity(
        "crm",
        "tickets",
        (
            _c("ticket_id", "str", key=True),
            _c("contact_id", "str", nullable=True),
            _c("channel", "str", allowed=TICKET_CHANNELS, lower_case=True),
            _c("opened_at", "ts"),
            _c("resolved_at", "ts", nullable=True),
            _c("status", "str", allowed=TICKET_STATUSES, lower_case=True),
            _c("topic", "str", nullable=True),
        ),
    ),
    Entity(
        "sales",
        "orders",
        (
            _c("order_id", "str", key=True),
            _c("contact_id", "str", nullable=True),
            _c("ordered_at", "ts"),
            _c("currency", "str", **_currency),
            _c("amount", "float", minimum=0, maximum=AMOUNT_MAX),
            _c("status", "str", allowed=ORDER_STATUSES, lower_case=True),
            _c("channel", "str", nullable=True, allowed=ORDER_CHANNELS, lower_case=True),
        ),
    ),
    Entity(
        "sales",
        "order_lines",
        (
            _c("order_id", "str", key=True),
            _c("line_no", "int", key=True),
            _c("sku", "str"),
            _c("quantity", "int", minimum=0, exclusive_minimum=True, maximum=QUANTITY_MAX),
            _c("unit_price", "float", minimum=0, maximum=AMOUNT_MAX),
            _c("unit_cost", "float", nullable=True, minimum=0, maximum=AMOUNT_MAX),
        ),
    ),
    Entity(
        "costs",
        "community_costs",
        (
            _c("cost_id", "str", key=True),
            _c("incurred_on", "date"),
            _c("category", "str", allowed=COST_CATEGORIES, lower_case=True),
            _c("amount", "float", minimum=0, maximum=AMOUNT_MAX),
            _c("currency", "str", **_currency),
            _c("platform", "str", nullable=True, **_platform),
            _c("campaign_id", "str", nullable=True),
            _c("note", "str", nullable=True),
        ),
    ),
    Entity(
        "costs",
        "campaigns",
        (
            _c("campaign_id", "str", key=True),
            _c("name", "str"),
            _c("platform", "str", nullable=True, **_platform),
            _c("started_on", "date", planned=True),
            _c("ended_on", "date", nullable=True, planned=True),
            _c("objective", "str", nullable=True),
        ),
    ),
    Entity(
        "reference",
        "fx_rates",
        (
            _c("date", "date", key=True),
            _c("currency", "str", key=True, **_currency),
            _c("rate_to_reporting", "float", minimum=0, exclusive_minimum=True, maximum=RATE_MAX),
        ),
    ),
)

ENTITY_BY_NAME: dict[str, Entity] = {e.qualified: e for e in ENTITIES}


def entity(qualified: str) -> Entity:
    return ENTITY_BY_NAME[qualified]


def split_extension(file_name: str) -> tuple[str, str] | None:
    """(stem, ext) for a contract extension, else None (case-insensitive)."""
    lower = file_name.lower()
    for ext in EXTENSIONS:
        if lower.endswith("." + ext):
            return file_name[: -len(ext) - 1], ext
    return None
