"""The settings that judge landing files (issue 20): validated in one line each, and
turned into the rules ingestion applies."""

from datetime import date

import pytest

from core.settings import Settings, SettingsError
from ingestion.load import InputRules


def test_the_defaults_judge_dates_from_2000_to_tomorrow_and_wait_five_seconds():
    s = Settings.from_env({})
    rules = s.input_rules(today=date(2026, 12, 3))
    # CSV readers: an equal part of TC_DUCKDB_MEMORY_LIMIT (4GB) per ingest worker (2)
    assert rules == InputRules(
        date_min=date(2000, 1, 1),
        date_max=date(2026, 12, 4),
        settle_seconds=5.0,
        csv_memory_limit="2000MB",
    )
    assert rules.window is not None and rules.window.last == date(2026, 12, 4)


def test_the_window_and_the_settle_time_are_settings():
    s = Settings.from_env(
        {
            "TC_PLAUSIBLE_DATE_MIN": "1990-06-01",
            "TC_PLAUSIBLE_DATE_MAX_DAYS_AHEAD": "30",
            "TC_LANDING_SETTLE_SECONDS": "0",
        }
    )
    rules = s.input_rules(today=date(2026, 12, 3))
    assert (rules.date_min, rules.date_max, rules.settle_seconds) == (
        date(1990, 6, 1),
        date(2027, 1, 2),
        0.0,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TC_PLAUSIBLE_DATE_MIN", "2000-13-01", "is not a date"),
        ("TC_PLAUSIBLE_DATE_MIN", "yesterday", "is not a date"),
        ("TC_PLAUSIBLE_DATE_MIN", "2999-01-01", "is in the future"),
        ("TC_PLAUSIBLE_DATE_MAX_DAYS_AHEAD", "-1", "must be at least 0"),
        ("TC_PLAUSIBLE_DATE_MAX_DAYS_AHEAD", "1e9", "not a whole number"),
        ("TC_PLAUSIBLE_DATE_MAX_DAYS_AHEAD", "99999999", "at most 36500"),
        ("TC_LANDING_SETTLE_SECONDS", "nan", "between 0 and 3600"),
        ("TC_LANDING_SETTLE_SECONDS", "inf", "between 0 and 3600"),
        ("TC_LANDING_SETTLE_SECONDS", "-2", "between 0 and 3600"),
        ("TC_LANDING_SETTLE_SECONDS", "soon", "not a number of seconds"),
    ],
)
def test_bad_values_are_refused_in_one_line(name, value, message):
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.from_env({name: value})
    assert "\n" not in str(caught.value) and name in str(caught.value)
