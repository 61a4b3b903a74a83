"""The one place that reads environment variables and knows where things live.

Every other module receives a `Settings` object (or values taken from it).
Relative paths in settings are resolved against the working folder of the user
who set them; defaults are resolved against the repository root, never the
working folder.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# dbt writes it at `dbt parse`; dagster-dbt, the published marts list and retraction read it
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


def dbt_executable() -> str:
    """dbt installed beside this Python (the project's .venv), even when .venv/bin is not on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message is one line for the user."""


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    doc: str


# The documented settings; `trustcap settings` prints them with the values in force.
SETTINGS: tuple[Setting, ...] = (
    Setting("TC_LANDING_DIR", "data/landing", "Landing root: <root>/<source>/<entity>/<file>."),
    Setting(
        "TC_WAREHOUSE_DIR", "data/warehouse", "Warehouse folder (warehouse.duckdb, published/)."
    ),
    Setting("TC_REPORTING_CURRENCY", "EUR", "ISO 4217 code all money is converted to."),
    Setting(
        "TC_DEFAULT_MARGIN_RATE",
        "0.35",
        "Gross margin rate applied to order lines without unit_cost (0 <= rate < 1).",
    ),
    Setting(
        "TC_ANSWER_WINDOW_HOURS",
        "72",
        "An inbound activity counts as answered if the brand replied within this many hours.",
    ),
    Setting(
        "TC_ENGAGEMENT_RULE",
        "first_inbound",
        "Engagement start: first_inbound (first activity addressed to the brand) or "
        "first_answered (first one the brand answered within the window).",
    ),
    Setting(
        "TC_ROI_MIN_PRE_MONTHS",
        "6",
        "Months of history a cohort needs before engaging for its effect to be estimated.",
    ),
    Setting(
        "TC_QUALITY_ROW_COUNT_TOLERANCE",
        "0.5",
        "Warn when a mart's row count moves by more than this fraction from the previous "
        "publication.",
    ),
    Setting(
        "TC_QUALITY_MAX_AGE_DAYS",
        "7",
        "Warn when the newest activity, order or mart date is older than this many days.",
    ),
    Setting(
        "TC_CRISIS_THRESHOLD",
        "5",
        "A day is a crisis day when its negative mentions exceed the baseline (median of the "
        "previous 28 days) by this many robust standard deviations (1.4826 x MAD, at least "
        "the square root of the median, at least 1).",
    ),
    Setting(
        "TC_CRISIS_MIN_EXCESS",
        "10",
        "...and by at least this many mentions (small platforms' noise is not a crisis).",
    ),
    Setting(
        "TC_YOUNG_ACCOUNT_DAYS",
        "30",
        "An author whose account was created less than this many days before posting is "
        "flagged as a young account.",
    ),
    Setting(
        "TC_AMPLIFICATION_THRESHOLD",
        "0.5",
        "A crisis whose amplification_score reaches this value is suspected_amplification.",
    ),
    Setting(
        "TC_TRUST_HALF_LIFE_DAYS",
        "180",
        "Trust evidence loses half its weight in this many days (at least 14).",
    ),
    Setting(
        "TC_TRUST_ASYMMETRY",
        "2.0",
        "A betrayal weighs this many times its seed weight (trust_event_weights); at least 1.",
    ),
    Setting(
        "TC_DUCKDB_MEMORY_LIMIT",
        "4GB",
        "Memory DuckDB may use in each step (dbt models, scoring, the estimator's reads); "
        "beyond it DuckDB spills to <TC_WAREHOUSE_DIR>/warehouse.duckdb.tmp. A size such as 4GB or 512MB.",
    ),
    Setting(
        "TC_ENGINE",
        "duckdb",
        "Engine dbt runs the models on: duckdb (one machine, the default) or spark (Apache "
        "Spark through dbt-spark; needs the spark extra and Java 17). Switching rebuilds "
        "the models on the new engine; landing data, analytics results and publication "
        "are shared.",
    ),
    Setting(
        "TC_SPARK_DRIVER_MEMORY",
        "4g",
        "Memory of the local Spark driver (TC_ENGINE=spark), such as 4g or 512m.",
    ),
    Setting(
        "TC_BRAND_TERMS",
        "",
        "The brand's own names and product names, comma-separated (e.g. 'United,United "
        "Airlines'): masked, with @handles, URLs and the handles of the brand's own accounts "
        "(social/accounts is_brand), before a text's sentiment is read; they carry no "
        "opinion. Case-insensitive, whole words.",
    ),
    # --- landing inputs judged before they are trusted (issue 20) ---------------
    Setting(
        "TC_PLAUSIBLE_DATE_MIN",
        "2000-01-01",
        "Dates and timestamps before this day (YYYY-MM-DD) are quarantined as typos "
        "(every dated column of every entity).",
    ),
    Setting(
        "TC_PLAUSIBLE_DATE_MAX_DAYS_AHEAD",
        "1",
        "Dates and timestamps more than this many days after the day of ingestion are "
        "quarantined as typos (campaigns' planned dates excepted).",
    ),
    Setting(
        "TC_LANDING_SETTLE_SECONDS",
        "5",
        "A landing file modified less than this many seconds ago is watched that long; "
        "if it changes meanwhile it is still being written and waits for the next run.",
    ),
    # -----------------------------------------------------------------------------
    # --- ingestion throughput (issue 23) -------------------------------------------
    Setting(
        "TC_INGEST_WORKERS",
        "2",
        "Landing entities ingested side by side (threads in the one ingestion step); "
        "1 loads them one at a time, with the least memory.",
    ),
    # -----------------------------------------------------------------------------
    # --- publication: personal data (issue 20) ---
    Setting(
        "TC_PUBLISH_RAW_IDS",
        "false",
        "true publishes raw CRM contact ids, social account ids and people's handles to BI "
        "(published/); false (the default) publishes a keyed pseudonym instead (the same "
        "person keeps it from run to run; the key is <TC_WAREHOUSE_DIR>/pseudonym.key) and "
        "no handles of people. Turn on knowingly: it links social identities to CRM records "
        "for every BI user.",
    ),
    # --- end publication: personal data ---
    # ---- voice: languages and scored share (issue 19)
    Setting(
        "TC_VOICE_MIN_SCORED_SHARE",
        "0.5",
        "A week x topic of voice_of_market whose mentions are scored (supplied or scored "
        "sentiment) in a smaller share than this is flagged (is_scored_share_low) and gets "
        "no negative share: a share from a sliver of the voice is not the voice. 0 to 1.",
    ),
    # ---- end voice
    Setting("TC_DEMO_SEED", "7", "Seed of the demo world generator."),
    Setting(
        "TC_DEMO_SCALE",
        "1.0",
        "Size of the demo world: 1.0 = 20,000 contacts over 2 years; 50 gives a million.",
    ),
    Setting(
        "DAGSTER_HOME",
        "<TC_WAREHOUSE_DIR>/dagster_home",
        "Dagster's run history and schedules; shared by `trustcap run` and `trustcap ui`.",
    ),
)

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MEMORY = re.compile(r"^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
_SPARK_MEMORY = re.compile(r"^[0-9]+[kmgt]$")
_GLOB_CHARACTERS = ("*", "?", "[", "]")
ENGAGEMENT_RULES = ("first_inbound", "first_answered")
ENGINES = ("duckdb", "spark")


def _choice(raw: str, env_name: str, allowed: tuple[str, ...]) -> str:
    if raw not in allowed:
        raise SettingsError(f"{env_name}={raw!r} must be one of {', '.join(allowed)}")
    return raw


def _path(raw: str | None, default: str, env_name: str) -> Path:
    if raw is None or raw.strip() == "":
        return (REPO_ROOT / default).resolve()
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    if path.exists() and not path.is_dir():
        raise SettingsError(f"{env_name}={raw!r} is a file, not a folder")
    return path.resolve()


def _float(raw: str, env_name: str, low: float, high: float, *, high_open: bool = False) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{env_name}={raw!r} is not a number") from None
    # NaN passes every range comparison below, and reached dbt's SQL as a column name
    if not math.isfinite(value):
        raise SettingsError(f"{env_name}={raw!r} is not a finite number")
    too_high = value >= high if high_open else value > high
    if value < low or too_high:
        bound = f"[{low}, {high})" if high_open else f"[{low}, {high}]"
        raise SettingsError(f"{env_name}={raw!r} must be in {bound}")
    return value


def _int(raw: str, env_name: str, low: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{env_name}={raw!r} is not a whole number") from None
    if value < low:
        raise SettingsError(f"{env_name}={raw!r} must be at least {low}")
    return value


def _day(raw: str, env_name: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"{env_name}={raw!r} is not a date (YYYY-MM-DD)") from None


def _seconds(raw: str, env_name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{env_name}={raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 <= value <= 3600:
        raise SettingsError(f"{env_name}={raw!r} must be between 0 and 3600 seconds")
    return value


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _bool(raw: str, env_name: str) -> bool:
    value = raw.strip().lower()
    if value not in _TRUE + _FALSE:
        raise SettingsError(f"{env_name}={raw!r} must be true or false")
    return value in _TRUE


def _terms(raw: str | None) -> tuple[str, ...]:
    """Comma-separated terms, each with its inner spaces collapsed; empty ones dropped."""
    return tuple(dict.fromkeys(" ".join(t.split()) for t in (raw or "").split(",") if t.strip()))


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_dir: Path
    reporting_currency: str = "EUR"
    default_margin_rate: float = 0.35
    answer_window_hours: float = 72.0
    engagement_rule: str = "first_inbound"
    roi_min_pre_months: int = 6
    quality_row_count_tolerance: float = 0.5
    quality_max_age_days: float = 7.0
    crisis_threshold: float = 5.0
    crisis_min_excess: int = 10
    young_account_days: float = 30.0
    amplification_threshold: float = 0.5
    trust_half_life_days: float = 180.0
    trust_asymmetry: float = 2.0
    duckdb_memory_limit: str = "4GB"
    engine: str = "duckdb"
    spark_driver_memory: str = "4g"
    brand_terms: tuple[str, ...] = ()
    # landing inputs judged before they are trusted
    plausible_date_min: date = date(2000, 1, 1)
    plausible_date_max_days_ahead: int = 1
    landing_settle_seconds: float = 5.0
    # ingestion throughput
    ingest_workers: int = 2
    publish_raw_ids: bool = False  # publication: personal data
    voice_min_scored_share: float = 0.5  # voice block (issue 19)
    demo_seed: int = 7
    demo_scale: float = 1.0
    dagster_home: Path = field(default=Path())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = {s.env: s.default for s in SETTINGS}

        def get(name: str) -> str:
            value = env.get(name)
            return defaults[name] if value is None or value.strip() == "" else value.strip()

        currency = get("TC_REPORTING_CURRENCY").upper()
        if not _CURRENCY.match(currency):
            raise SettingsError(
                f"TC_REPORTING_CURRENCY={env.get('TC_REPORTING_CURRENCY')!r} "
                "is not a three-letter ISO 4217 code"
            )
        memory_limit = get("TC_DUCKDB_MEMORY_LIMIT")
        if not _MEMORY.match(memory_limit):
            raise SettingsError(
                f"TC_DUCKDB_MEMORY_LIMIT={memory_limit!r} is not a size such as 4GB or 512MB"
            )
        spark_memory = get("TC_SPARK_DRIVER_MEMORY").lower()
        if not _SPARK_MEMORY.match(spark_memory):
            raise SettingsError(
                f"TC_SPARK_DRIVER_MEMORY={spark_memory!r} is not a size such as 4g or 512m"
            )
        warehouse_dir = _path(env.get("TC_WAREHOUSE_DIR"), "data/warehouse", "TC_WAREHOUSE_DIR")
        # DuckDB and polars read the warehouse's Parquet folders by file pattern
        if any(c in warehouse_dir.as_posix() for c in _GLOB_CHARACTERS):
            raise SettingsError(
                f"TC_WAREHOUSE_DIR={warehouse_dir.as_posix()!r} contains one of "
                f"{' '.join(_GLOB_CHARACTERS)}: choose a folder name without them"
            )
        dagster_home_raw = env.get("DAGSTER_HOME")
        dagster_home = (
            _path(dagster_home_raw, "", "DAGSTER_HOME")
            if dagster_home_raw
            else warehouse_dir / "dagster_home"
        )
        return cls(
            landing_dir=_path(env.get("TC_LANDING_DIR"), "data/landing", "TC_LANDING_DIR"),
            warehouse_dir=warehouse_dir,
            reporting_currency=currency,
            default_margin_rate=_float(
                get("TC_DEFAULT_MARGIN_RATE"), "TC_DEFAULT_MARGIN_RATE", 0.0, 1.0, high_open=True
            ),
            answer_window_hours=_float(
                get("TC_ANSWER_WINDOW_HOURS"), "TC_ANSWER_WINDOW_HOURS", 0.01, 24.0 * 365
            ),
            engagement_rule=_choice(
                get("TC_ENGAGEMENT_RULE"), "TC_ENGAGEMENT_RULE", ENGAGEMENT_RULES
            ),
            roi_min_pre_months=_int(get("TC_ROI_MIN_PRE_MONTHS"), "TC_ROI_MIN_PRE_MONTHS", 1),
            quality_row_count_tolerance=_float(
                get("TC_QUALITY_ROW_COUNT_TOLERANCE"), "TC_QUALITY_ROW_COUNT_TOLERANCE", 0.0, 100.0
            ),
            quality_max_age_days=_float(
                get("TC_QUALITY_MAX_AGE_DAYS"), "TC_QUALITY_MAX_AGE_DAYS", 0.0, 100_000.0
            ),
            crisis_threshold=_float(get("TC_CRISIS_THRESHOLD"), "TC_CRISIS_THRESHOLD", 0.0, 1000.0),
            crisis_min_excess=_int(get("TC_CRISIS_MIN_EXCESS"), "TC_CRISIS_MIN_EXCESS", 0),
            young_account_days=_float(
                get("TC_YOUNG_ACCOUNT_DAYS"), "TC_YOUNG_ACCOUNT_DAYS", 0.0, 100_000.0
            ),
            amplification_threshold=_float(
                get("TC_AMPLIFICATION_THRESHOLD"), "TC_AMPLIFICATION_THRESHOLD", 0.0, 1.0
            ),
            # under 14 days the stock's scaled running sums could overflow a double
            trust_half_life_days=_float(
                get("TC_TRUST_HALF_LIFE_DAYS"), "TC_TRUST_HALF_LIFE_DAYS", 14.0, 36_500.0
            ),
            trust_asymmetry=_float(get("TC_TRUST_ASYMMETRY"), "TC_TRUST_ASYMMETRY", 1.0, 100.0),
            duckdb_memory_limit=memory_limit,
            engine=_choice(get("TC_ENGINE").lower(), "TC_ENGINE", ENGINES),
            spark_driver_memory=spark_memory,
            brand_terms=_terms(env.get("TC_BRAND_TERMS")),
            **_landing_input_settings(get),
            ingest_workers=_int(get("TC_INGEST_WORKERS"), "TC_INGEST_WORKERS", 1),
            publish_raw_ids=_bool(get("TC_PUBLISH_RAW_IDS"), "TC_PUBLISH_RAW_IDS"),
            voice_min_scored_share=_float(
                get("TC_VOICE_MIN_SCORED_SHARE"), "TC_VOICE_MIN_SCORED_SHARE", 0.0, 1.0
            ),
            demo_seed=_int(get("TC_DEMO_SEED"), "TC_DEMO_SEED", 0),
            demo_scale=_float(get("TC_DEMO_SCALE"), "TC_DEMO_SCALE", 0.001, 10_000.0),
            dagster_home=dagster_home,
        )

    # --- how landing files are judged ------------------------------------
    def input_rules(self, today: date | None = None):
        """The landing rules ingestion applies (ingestion.load.InputRules)."""
        from ingestion.load import InputRules

        today = today or datetime.now(UTC).date()
        return InputRules(
            date_min=self.plausible_date_min,
            date_max=today + timedelta(days=self.plausible_date_max_days_ahead),
            settle_seconds=self.landing_settle_seconds,
        )

    # --- where things live -------------------------------------------------
    @property
    def warehouse_path(self) -> Path:
        return self.warehouse_dir / "warehouse.duckdb"

    @property
    def duckdb_temp_dir(self) -> Path:
        """Where DuckDB spills beyond the memory limit: its own default beside the file."""
        return self.warehouse_path.with_name(self.warehouse_path.name + ".tmp")

    def duckdb_config(self) -> dict[str, str]:
        """Connection settings for every DuckDB the pipeline opens on the warehouse."""
        return {
            "memory_limit": self.duckdb_memory_limit,
            "temp_directory": self.duckdb_temp_dir.as_posix(),
        }

    @property
    def spark_dir(self) -> Path:
        """Spark's catalog (Derby), its tables, and the handover to Python (TC_ENGINE=spark)."""
        return self.warehouse_dir / "spark"

    @property
    def handover_dir(self) -> Path:
        """Parquet copies of the relations Spark built that the Python steps read
        (<schema>/<name>/), written by dbt's on-run-end hook on Spark."""
        return self.spark_dir / "handover"

    @property
    def raw_dir(self) -> Path:
        return self.warehouse_dir / "raw"

    @property
    def quarantine_dir(self) -> Path:
        return self.warehouse_dir / "quarantine"

    @property
    def ingest_log_dir(self) -> Path:
        return self.warehouse_dir / "ingest_log"

    @property
    def analytics_dir(self) -> Path:
        """Results of the Python analytics (estimators), read back by dbt."""
        return self.warehouse_dir / "analytics"

    @property
    def quality_dir(self) -> Path:
        """Check results of every run (results/<run_id>.parquet) and the HTML report."""
        return self.warehouse_dir / "quality"

    @property
    def published_dir(self) -> Path:
        return self.warehouse_dir / "published"

    @property
    def published_path(self) -> Path:
        return self.published_dir / "trustcap.duckdb"

    @property
    def published_parquet_dir(self) -> Path:
        return self.published_dir / "parquet"

    @property
    def pseudonym_key_path(self) -> Path:
        """The key of published pseudonyms: in the warehouse folder, never in published/."""
        return self.warehouse_dir / "pseudonym.key"

    @property
    def demo_truth_dir(self) -> Path:
        return self.landing_dir.parent / "demo_truth"

    # --- what dbt needs --------------------------------------------------
    def dbt_vars(self) -> dict[str, object]:
        return {
            "reporting_currency": self.reporting_currency,
            "default_margin_rate": self.default_margin_rate,
            "answer_window_hours": self.answer_window_hours,
            "raw_dir": self.raw_dir.as_posix(),
            "quarantine_dir": self.quarantine_dir.as_posix(),
            "ingest_log_dir": self.ingest_log_dir.as_posix(),
            "analytics_dir": self.analytics_dir.as_posix(),
            "handover_dir": self.handover_dir.as_posix(),
            "engagement_rule": self.engagement_rule,
            "roi_min_pre_months": self.roi_min_pre_months,
            "crisis_threshold": self.crisis_threshold,
            "crisis_min_excess": self.crisis_min_excess,
            "young_account_days": self.young_account_days,
            "amplification_threshold": self.amplification_threshold,
            "trust_half_life_days": self.trust_half_life_days,
            "trust_asymmetry": self.trust_asymmetry,
            "voice_min_scored_share": self.voice_min_scored_share,
        }

    def dbt_env(self) -> dict[str, str]:
        """Environment for dbt subprocesses: profiles.yml reads TC_WAREHOUSE_DIR and the
        engine's settings."""
        return {
            "TC_WAREHOUSE_DIR": self.warehouse_dir.as_posix(),
            "TC_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "TC_SPARK_DRIVER_MEMORY": self.spark_driver_memory,
            # profiles.yml has one output per engine; dbt reads the target from here
            "DBT_TARGET": self.engine,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }

    def export_env(self) -> None:
        """Make the resolved settings visible to child processes (dbt, dagster dev)."""
        os.environ.update(self.dbt_env())
        os.environ["TC_LANDING_DIR"] = self.landing_dir.as_posix()
        os.environ["TC_ENGINE"] = self.engine
        os.environ["TC_REPORTING_CURRENCY"] = self.reporting_currency
        os.environ["TC_DEFAULT_MARGIN_RATE"] = repr(self.default_margin_rate)
        os.environ["TC_ANSWER_WINDOW_HOURS"] = repr(self.answer_window_hours)
        os.environ["TC_ENGAGEMENT_RULE"] = self.engagement_rule
        os.environ["TC_ROI_MIN_PRE_MONTHS"] = str(self.roi_min_pre_months)
        os.environ["TC_CRISIS_THRESHOLD"] = repr(self.crisis_threshold)
        os.environ["TC_CRISIS_MIN_EXCESS"] = str(self.crisis_min_excess)
        os.environ["TC_YOUNG_ACCOUNT_DAYS"] = repr(self.young_account_days)
        os.environ["TC_AMPLIFICATION_THRESHOLD"] = repr(self.amplification_threshold)
        os.environ["TC_TRUST_HALF_LIFE_DAYS"] = repr(self.trust_half_life_days)
        os.environ["TC_TRUST_ASYMMETRY"] = repr(self.trust_asymmetry)
        os.environ["TC_QUALITY_ROW_COUNT_TOLERANCE"] = repr(self.quality_row_count_tolerance)
        os.environ["TC_QUALITY_MAX_AGE_DAYS"] = repr(self.quality_max_age_days)
        os.environ["TC_BRAND_TERMS"] = ",".join(self.brand_terms)
        os.environ["TC_PUBLISH_RAW_IDS"] = "true" if self.publish_raw_ids else "false"
        os.environ["TC_VOICE_MIN_SCORED_SHARE"] = repr(self.voice_min_scored_share)
        os.environ["DAGSTER_HOME"] = self.dagster_home.as_posix()


def _landing_input_settings(get) -> dict[str, object]:
    """The block of settings that judge landing files (issue 20)."""
    date_min = _day(get("TC_PLAUSIBLE_DATE_MIN"), "TC_PLAUSIBLE_DATE_MIN")
    if date_min > datetime.now(UTC).date():
        raise SettingsError(f"TC_PLAUSIBLE_DATE_MIN={date_min.isoformat()!r} is in the future")
    days_ahead = _int(
        get("TC_PLAUSIBLE_DATE_MAX_DAYS_AHEAD"), "TC_PLAUSIBLE_DATE_MAX_DAYS_AHEAD", 0
    )
    if days_ahead > 36_500:
        raise SettingsError(
            f"TC_PLAUSIBLE_DATE_MAX_DAYS_AHEAD={days_ahead!r} must be at most 36500 (a century)"
        )
    return {
        "plausible_date_min": date_min,
        "plausible_date_max_days_ahead": days_ahead,
        "landing_settle_seconds": _seconds(
            get("TC_LANDING_SETTLE_SECONDS"), "TC_LANDING_SETTLE_SECONDS"
        ),
    }
