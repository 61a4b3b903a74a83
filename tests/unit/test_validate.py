from datetime import UTC, date, datetime

import polars as pl
import pytest

from ingestion.contract import entity
from ingestion.validate import ColumnTypeError, DateWindow, MissingColumnsError, validate

ORDERS = entity("sales/orders")


def _orders(**overrides) -> pl.DataFrame:
    row = {
        "order_id": "o1",
        "contact_id": "c1",
        "ordered_at": "2025-03-01T10:00:00",
        "currency": "EUR",
        "amount": "10.5",
        "status": "completed",
        "channel": "online",
        "_line_no": 2,
    }
    row.update(overrides)
    return pl.DataFrame(
        [row], schema={k: (pl.Int64 if k == "_line_no" else pl.String) for k in row}
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-01T10:00:00+02:00", datetime(2025, 3, 1, 8)),
        ("2025-03-01T10:00:00-05:30", datetime(2025, 3, 1, 15, 30)),
        ("2025-03-01T10:00:00Z", datetime(2025, 3, 1, 10)),
        ("2025-03-01 10:00:00", datetime(2025, 3, 1, 10)),
        ("2025-03-01T10:00:00.250+0100", datetime(2025, 3, 1, 9, 0, 0, 250000)),
        ("2025-03-01T10:00", datetime(2025, 3, 1, 10)),
        ("2025-03-01", datetime(2025, 3, 1)),
    ],
)
def test_timestamps_with_an_offset_become_utc_and_without_are_read_as_utc(text, expected):
    out = validate(ORDERS, _orders(ordered_at=text))
    assert out.bad.height == 0
    assert out.good["ordered_at"].item() == expected


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"ordered_at": "yesterday"}, "ordered_at: not a valid ts"),
        ({"amount": "-1"}, "amount: must be >= 0"),
        ({"amount": "ten"}, "amount: not a valid float"),
        ({"amount": "nan"}, "amount: not a valid float"),
        ({"status": "shipped"}, "status: unknown value"),
        ({"order_id": None}, "order_id: missing key"),
        ({"order_id": "  "}, "order_id: missing key"),
        ({"currency": "EURO"}, "currency: malformed"),
        ({"ordered_at": None}, "ordered_at: missing value"),
    ],
)
def test_rows_breaking_the_contract_are_split_off_with_their_reason(overrides, reason):
    out = validate(ORDERS, _orders(**overrides))
    assert out.good.height == 0
    assert reason in out.bad["reason"].item()
    assert out.bad["_line_no"].item() == 2


def test_enums_and_currencies_are_normalised_in_case():
    out = validate(ORDERS, _orders(status="Completed", currency="usd"))
    assert out.good.select("status", "currency").row(0) == ("completed", "USD")


def test_a_row_with_several_problems_lists_them_all():
    out = validate(ORDERS, _orders(amount="-3", status="lost"))
    assert out.bad["reason"].item().count(";") == 1


def test_duplicate_keys_within_a_file_keep_the_first_and_quarantine_the_rest():
    frame = pl.concat([_orders(), _orders(_line_no=3, amount="99"), _orders(_line_no=4)])
    out = validate(ORDERS, frame)
    assert out.good["amount"].to_list() == [10.5]
    assert out.bad["_line_no"].to_list() == [3, 4]
    assert set(out.bad["reason"]) == {"duplicate key within file"}


def test_a_missing_required_column_rejects_the_whole_file():
    with pytest.raises(MissingColumnsError, match="status"):
        validate(ORDERS, _orders().drop("status"))


def test_absent_nullable_columns_are_null_and_unknown_columns_are_kept_as_text():
    out = validate(ORDERS, _orders(utm_source="newsletter").drop("channel"))
    assert out.good["channel"].item() is None
    assert out.good["utm_source"].item() == "newsletter"


def test_types_come_from_the_contract_not_from_the_first_rows():
    acts = entity("social/activities")
    n = 5000
    frame = pl.DataFrame(
        {
            "platform": ["twitter"] * n,
            "activity_id": [f"a{i}" for i in range(n)],
            "account_id": ["u"] * n,
            "activity_type": ["mention"] * n,
            "created_at": ["2025-01-01T00:00:00Z"] * n,
            "sentiment": [None] * (n - 1) + ["-0.5"],
            "_line_no": list(range(2, n + 2)),
        },
        schema_overrides={"sentiment": pl.String},
    )
    out = validate(acts, frame)
    assert out.bad.height == 0
    assert out.good.schema["sentiment"] == pl.Float64
    assert out.good["sentiment"].drop_nulls().to_list() == [-0.5]


def test_parquet_typed_input_is_converted_not_reparsed():
    frame = pl.DataFrame(
        {
            "order_id": ["o1"],
            "ordered_at": [datetime(2025, 3, 1, 10, tzinfo=UTC)],
            "currency": ["EUR"],
            "amount": [3.0],
            "status": ["completed"],
            "_line_no": [1],
        }
    ).with_columns(pl.col("ordered_at").dt.convert_time_zone("Europe/Paris"))
    out = validate(ORDERS, frame)
    assert out.good["ordered_at"].item() == datetime(2025, 3, 1, 10)


def test_identities_need_an_account_id_or_a_handle():
    ids = entity("crm/identities")
    frame = pl.DataFrame(
        {
            "contact_id": ["c1", "c2"],
            "platform": ["twitter", "twitter"],
            "account_id": [None, None],
            "handle": ["@Someone", None],
            "_line_no": [2, 3],
        },
        schema_overrides={"account_id": pl.String},
    )
    out = validate(ids, frame)
    assert out.good["contact_id"].to_list() == ["c1"]
    assert "one of account_id, handle is required" in out.bad["reason"].item()


COMMON_LAYOUTS = [
    "2026-03-29 01:30:00",
    "2026-03-29T01:30:00.123456",
    "2026-03-29T01:30:00Z",
    "2026-03-29T01:30:00.5Z",
    "2026-03-29T03:30:00+02:00",
    "2026-03-28T20:00:00-05:30",
    " 2026-03-29T01:30:00 +01:00 ",
]


def test_the_fast_timestamp_path_agrees_with_the_full_parser():
    from ingestion.validate import _parse_ts, _parse_ts_common

    frame = pl.DataFrame({"t": COMMON_LAYOUTS})
    out = frame.select(
        fast=_parse_ts_common(pl.col("t").str.strip_chars()),
        full=_parse_ts(pl.col("t").str.strip_chars()),
    )
    assert out["fast"].null_count() == 0
    assert out["fast"].to_list() == out["full"].to_list()
    # layouts it does not know are left null for the full parser, never misread
    odd = pl.DataFrame({"t": ["2026-03-29", "2026-03-29 01:30", "2026-03-29Z", "2026-03-29+0200"]})
    assert odd.select(_parse_ts_common(pl.col("t")))["t"].null_count() == 4


def test_a_file_mixing_layouts_is_read_by_the_full_parser():
    rows = pl.DataFrame(
        {
            "contact_id": ["a", "b", "c"],
            "created_at": ["2026-03-29T01:30:00Z", "2026-03-29", "2026-03-29 01:30"],
        }
    )
    checked = validate(entity("crm/contacts"), rows.with_row_index("_line_no", offset=2))
    assert checked.bad.height == 0
    assert checked.good["created_at"].to_list() == [
        datetime(2026, 3, 29, 1, 30),
        datetime(2026, 3, 29),
        datetime(2026, 3, 29, 1, 30),
    ]


# --- inputs judged before they are trusted (issue 20) --------------------------------

WINDOW = DateWindow(date(2000, 1, 1), date(2026, 12, 4))


@pytest.mark.parametrize(
    "when", ["2062-06-01T10:00:00Z", "0001-06-01 10:00:00", "1900-01-01", "2026-12-05T00:00:00"]
)
def test_dates_outside_the_plausible_window_are_quarantined_with_their_reason(when):
    out = validate(ORDERS, _orders(ordered_at=when), WINDOW)
    assert out.good.height == 0
    assert out.bad["reason"].item() == (
        "ordered_at: outside the plausible dates 2000-01-01 to 2026-12-04"
    )


@pytest.mark.parametrize("when", ["2000-01-01T00:00:00", "2026-12-04T23:59:59"])
def test_the_window_holds_its_first_and_last_day(when):
    assert validate(ORDERS, _orders(ordered_at=when), WINDOW).bad.height == 0


def test_every_dated_column_is_judged_typed_dates_too():
    # a date column (costs), a nullable timestamp (tickets), a Parquet-typed timestamp
    costs = pl.DataFrame(
        {
            "cost_id": ["k1", "k2"],
            "incurred_on": [date(2025, 1, 1), date(1900, 1, 1)],
            "category": ["ads", "ads"],
            "amount": [1.0, 1.0],
            "currency": ["EUR", "EUR"],
            "_line_no": [1, 2],
        }
    )
    out = validate(entity("costs/community_costs"), costs, WINDOW)
    assert (out.good["cost_id"].to_list(), out.bad["_line_no"].to_list()) == (["k1"], [2])
    tickets = pl.DataFrame(
        {
            "ticket_id": ["t1"],
            "channel": ["email"],
            "opened_at": [datetime(2025, 1, 1)],
            "resolved_at": [datetime(2062, 1, 1)],
            "status": ["resolved"],
            "_line_no": [1],
        }
    )
    out = validate(entity("crm/tickets"), tickets, WINDOW)
    assert out.bad["reason"].item().startswith("resolved_at: outside the plausible dates")
    # without a window (the library's default) nothing is judged by date
    assert validate(entity("crm/tickets"), tickets).bad.height == 0


def test_a_campaign_may_be_planned_ahead_but_not_dated_before_the_window():
    campaigns = pl.DataFrame(
        {
            "campaign_id": ["k1", "k2"],
            "name": ["next spring", "typo"],
            "started_on": ["2027-03-01", "0202-03-01"],
            "ended_on": ["2027-05-31", None],
            "_line_no": [2, 3],
        }
    )
    out = validate(entity("costs/campaigns"), campaigns, WINDOW)
    assert out.good["campaign_id"].to_list() == ["k1"]
    assert out.bad["reason"].item() == "started_on: before the plausible dates (from 2000-01-01)"


@pytest.mark.parametrize(
    ("qualified", "column", "value"),
    [
        ("sales/orders", "amount", "1e308"),
        ("sales/orders", "amount", "1000000000001"),
        ("costs/community_costs", "amount", "1e13"),
        ("sales/order_lines", "unit_price", "1e300"),
        ("sales/order_lines", "quantity", "10000000000"),
        ("reference/fx_rates", "rate_to_reporting", "1e9"),
    ],
)
def test_amounts_beyond_the_documented_bound_are_quarantined(qualified, column, value):
    base = {
        "sales/orders": _orders().drop("_line_no").row(0, named=True),
        "costs/community_costs": {
            "cost_id": "k1",
            "incurred_on": "2025-01-01",
            "category": "ads",
            "amount": "10",
            "currency": "EUR",
        },
        "sales/order_lines": {
            "order_id": "o1",
            "line_no": "1",
            "sku": "s",
            "quantity": "2",
            "unit_price": "3",
        },
        "reference/fx_rates": {"date": "2025-01-01", "currency": "USD", "rate_to_reporting": "0.9"},
    }[qualified]
    good = pl.DataFrame([base | {"_line_no": "1"}]).with_columns(pl.col("_line_no").cast(pl.Int64))
    assert validate(entity(qualified), good).bad.height == 0
    out = validate(entity(qualified), good.with_columns(pl.lit(value).alias(column)))
    assert out.good.height == 0
    assert out.bad["reason"].item().startswith(f"{column}: must be <= 1e+")


def test_the_bound_is_an_amount_a_real_ledger_can_hold():
    out = validate(ORDERS, _orders(amount="1000000000000"))  # a trillion: the bound itself
    assert out.bad.height == 0


@pytest.mark.parametrize(
    "column",
    [
        pl.Series("amount", [b"1"], dtype=pl.Binary),
        pl.Series("amount", [[1.0]]),
        pl.Series("ordered_at", [1.5]),
        pl.Series("order_id", [{"a": 1}]),
    ],
    ids=["binary-amount", "list-amount", "float-timestamp", "struct-key"],
)
def test_a_contract_column_of_a_type_the_contract_cannot_read_rejects_the_file(column):
    frame = pl.DataFrame(
        {
            "order_id": ["o1"],
            "ordered_at": [datetime(2025, 1, 1)],
            "currency": ["EUR"],
            "amount": [1.0],
            "status": ["completed"],
            "_line_no": [1],
        }
    ).with_columns(column)
    with pytest.raises(ColumnTypeError, match=f"{column.name} \\("):
        validate(ORDERS, frame)


def test_labelled_texts_need_a_known_label_and_a_text_or_an_activity():
    """social/labelled_texts (issue 19): a label outside negative/neutral/positive, or
    neither activity_id nor text, is quarantined with its reason, never dropped."""
    rows = [
        {"label_id": "l1", "activity_id": "a1", "text": None, "label": "Negative"},
        {"label_id": "l2", "activity_id": None, "text": "love it", "label": "positive"},
        {"label_id": "l3", "activity_id": "a3", "text": None, "label": "angry"},
        {"label_id": "l4", "activity_id": None, "text": None, "label": "neutral"},
    ]
    frame = pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}).with_columns(
        _line_no=pl.int_range(2, 6, dtype=pl.Int64)
    )
    result = validate(entity("social/labelled_texts"), frame)
    assert result.good["label_id"].to_list() == ["l1", "l2"]
    assert result.good["label"].to_list() == ["negative", "positive"]
    reasons = dict(zip(result.bad["_line_no"], result.bad["reason"], strict=True))
    assert "label" in reasons[4]
    assert "one of activity_id, text is required" in reasons[5]
