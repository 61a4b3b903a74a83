"""The one place that reads environment variables and knows where things live.

Every other module receives a `Settings` object (or values taken from it).
Relative paths in settings are resolved against the working folder of the user
who set them; defaults are resolved against the repository root, never the
working folder.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

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


# --- readers: each takes the value as written and the variable's name, and returns
# the typed value or raises SettingsError with one line for the user

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MEMORY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
_SPARK_MEMORY = re.compile(r"^[0-9]+[kmgt]$")
_GLOB_CHARACTERS = ("*", "?", "[", "]")
ENGAGEMENT_RULES = ("first_inbound", "first_answered")
ENGINES = ("duckdb", "spark")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")

Reader = Callable[[str, str], Any]


def _folder(raw: str, env_name: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    if path.exists() and not path.is_dir():
        raise SettingsError(f"{env_name}={raw!r} is a file, not a folder")
    return path.resolve()


def _warehouse_folder(raw: str, env_name: str) -> Path:
    path = _folder(raw, env_name)
    # DuckDB and polars read the warehouse's Parquet folders by file pattern
    if any(c in path.as_posix() for c in _GLOB_CHARACTERS):
        raise SettingsError(
            f"{env_name}={path.as_posix()!r} contains one of "
            f"{' '.join(_GLOB_CHARACTERS)}: choose a folder name without them"
        )
    return path


def _one_of(allowed: tuple[str, ...], *, lower: bool = False) -> Reader:
    def read(raw: str, env_name: str) -> str:
        value = raw.lower() if lower else raw
        if value not in allowed:
            raise SettingsError(f"{env_name}={value!r} must be one of {', '.join(allowed)}")
        return value

    return read


def _number(low: float, high: float, *, high_open: bool = False) -> Reader:
    def read(raw: str, env_name: str) -> float:
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

    return read


def _whole(low: int, high: int | None = None, high_note: str = "") -> Reader:
    def read(raw: str, env_name: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{env_name}={raw!r} is not a whole number") from None
        if value < low:
            raise SettingsError(f"{env_name}={raw!r} must be at least {low}")
        if high is not None and value > high:
            raise SettingsError(f"{env_name}={value!r} must be at most {high}{high_note}")
        return value

    return read


_BYTES_PER_UNIT = {
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def share_of_size(size: str, parts: int) -> str:
    """One of `parts` equal shares of a DuckDB size such as 4GB, in whole MB (DuckDB's
    units: KB is 1000 bytes, KiB 1024): the ingestion step's readers, side by side,
    together stay within TC_DUCKDB_MEMORY_LIMIT."""
    number, unit = _MEMORY.match(size.strip()).groups()  # a size the setting accepted
    share = float(number) * _BYTES_PER_UNIT[unit.lower()] / max(1, parts)
    return f"{max(1, int(share // 10**6))}MB"


def _size(pattern: re.Pattern, example: str, *, lower: bool = False) -> Reader:
    def read(raw: str, env_name: str) -> str:
        value = raw.lower() if lower else raw
        if not pattern.match(value):
            raise SettingsError(f"{env_name}={value!r} is not a size such as {example}")
        return value

    return read


def _currency(raw: str, env_name: str) -> str:
    if not _CURRENCY.match(raw.upper()):
        raise SettingsError(f"{env_name}={raw!r} is not a three-letter ISO 4217 code")
    return raw.upper()


def _past_day(raw: str, env_name: str) -> date:
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"{env_name}={raw!r} is not a date (YYYY-MM-DD)") from None
    if value > datetime.now(UTC).date():
        raise SettingsError(f"{env_name}={value.isoformat()!r} is in the future")
    return value


def _seconds(raw: str, env_name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{env_name}={raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 <= value <= 3600:
        raise SettingsError(f"{env_name}={raw!r} must be between 0 and 3600 seconds")
    return value


def _bool(raw: str, env_name: str) -> bool:
    value = raw.strip().lower()
    if value not in _TRUE + _FALSE:
        raise SettingsError(f"{env_name}={raw!r} must be true or false")
    return value in _TRUE


def _terms(raw: str, env_name: str) -> tuple[str, ...]:
    """Comma-separated terms, each with its inner spaces collapsed; empty ones dropped."""
    return tuple(dict.fromkeys(" ".join(t.split()) for t in raw.split(",") if t.strip()))


def written(value: object) -> str:
    """A setting's value as it is written in the environment."""
    if isinstance(value, tuple):  # a list setting
        return ",".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# the default of a setting dbt reads lives in dbt_project.yml's vars, its one home:
# dbt run by hand and sqlfluff's templater need it there
IN_DBT_PROJECT = "<dbt_project.yml>"


def dbt_project_vars() -> dict[str, Any]:
    """dbt_project.yml's vars (read when asked, never at import)."""
    import yaml

    path = DBT_PROJECT_DIR / "dbt_project.yml"
    try:
        project = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"cannot read the settings' defaults in {path}: {exc}") from None
    return dict((project or {}).get("vars") or {})


@dataclass(frozen=True)
class Setting:
    env: str  # the environment variable
    # as written; <TC_WAREHOUSE_DIR> stands for that setting's folder; IN_DBT_PROJECT
    # for dbt_project.yml's var of the same name
    default: str
    doc: str
    read: Reader
    # dbt reads it as var('<field>'); settings only Python reads are not passed
    dbt_var: bool = False

    @property
    def field(self) -> str:
        """The Settings attribute: the variable's name without TC_, in lower case."""
        return self.env.removeprefix("TC_").lower()

    def written_default(self, project_vars: Mapping[str, Any]) -> str:
        """The default as written in the environment; `project_vars` are
        dbt_project_vars(), read once by the caller."""
        if self.default != IN_DBT_PROJECT:
            return self.default
        if self.field not in project_vars:
            raise SettingsError(
                f"{self.env} has no default: add var {self.field!r} to dbt_project.yml"
            )
        return written(project_vars[self.field])


# The one table of settings: `Settings.from_env`, the dbt vars, the environment of
# child processes and `trustcap settings` are all derived from it. Folders given as
# relative paths are resolved against the user's working folder; the defaults against
# the repository root.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "TC_LANDING_DIR",
        "data/landing",
        "Landing root: <root>/<source>/<entity>/<file>.",
        _folder,
    ),
    Setting(
        "TC_WAREHOUSE_DIR",
        "data/warehouse",
        "Warehouse folder (warehouse.duckdb, published/).",
        _warehouse_folder,
    ),
    Setting(
        "TC_REPORTING_CURRENCY",
        IN_DBT_PROJECT,
        "ISO 4217 code all money is converted to.",
        _currency,
        dbt_var=True,
    ),
    Setting(
        "TC_DEFAULT_MARGIN_RATE",
        IN_DBT_PROJECT,
        "Gross margin rate applied to order lines without unit_cost (0 <= rate < 1).",
        _number(0.0, 1.0, high_open=True),
        dbt_var=True,
    ),
    Setting(
        "TC_ANSWER_WINDOW_HOURS",
        IN_DBT_PROJECT,
        "An inbound activity counts as answered if the brand replied within this many hours.",
        _number(0.01, 24.0 * 365),
        dbt_var=True,
    ),
    Setting(
        "TC_ENGAGEMENT_RULE",
        IN_DBT_PROJECT,
        "Engagement start: first_inbound (first activity addressed to the brand) or "
        "first_answered (first one the brand answered within the window).",
        _one_of(ENGAGEMENT_RULES),
        dbt_var=True,
    ),
    Setting(
        "TC_ROI_MIN_PRE_MONTHS",
        "6",
        "Months of history a cohort needs before engaging for its effect to be estimated.",
        _whole(1),  # read by the ROI estimator (Python), by no dbt model
    ),
    Setting(
        "TC_QUALITY_ROW_COUNT_TOLERANCE",
        "0.5",
        "Warn when a mart's row count moves by more than this fraction from the previous "
        "publication.",
        _number(0.0, 100.0),
    ),
    Setting(
        "TC_QUALITY_MAX_AGE_DAYS",
        "7",
        "Warn when the newest activity, order or mart date is older than this many days.",
        _number(0.0, 100_000.0),
    ),
    Setting(
        "TC_CRISIS_THRESHOLD",
        IN_DBT_PROJECT,
        "A day is a crisis day when its negative mentions exceed the baseline (median of the "
        "previous 28 days) by this many robust standard deviations (1.4826 x MAD, at least "
        "the square root of the median, at least 1).",
        _number(0.0, 1000.0),
        dbt_var=True,
    ),
    Setting(
        "TC_CRISIS_MIN_EXCESS",
        IN_DBT_PROJECT,
        "...and by at least this many mentions (small platforms' noise is not a crisis).",
        _whole(0),
        dbt_var=True,
    ),
    Setting(
        "TC_YOUNG_ACCOUNT_DAYS",
        IN_DBT_PROJECT,
        "An author whose account was created less than this many days before posting is "
        "flagged as a young account.",
        _number(0.0, 100_000.0),
        dbt_var=True,
    ),
    Setting(
        "TC_AMPLIFICATION_THRESHOLD",
        IN_DBT_PROJECT,
        "A crisis whose amplification_score reaches this value is suspected_amplification.",
        _number(0.0, 1.0),
        dbt_var=True,
    ),
    Setting(
        "TC_TRUST_HALF_LIFE_DAYS",
        IN_DBT_PROJECT,
        "Trust evidence loses half its weight in this many days (at least 14).",
        # under 14 days the stock's scaled running sums could overflow a double
        _number(14.0, 36_500.0),
        dbt_var=True,
    ),
    Setting(
        "TC_TRUST_ASYMMETRY",
        IN_DBT_PROJECT,
        "A betrayal weighs this many times its seed weight (trust_event_weights); at least 1.",
        _number(1.0, 100.0),
        dbt_var=True,
    ),
    Setting(
        "TC_DUCKDB_MEMORY_LIMIT",
        "4GB",
        "Memory DuckDB may use in each step (dbt models, scoring, the estimator's reads; "
        "ingestion's CSV readers share it, an equal part each of TC_INGEST_WORKERS); "
        "beyond it DuckDB spills to <TC_WAREHOUSE_DIR>/warehouse.duckdb.tmp (ingestion: "
        "beside the ingest log). A size such as 4GB or 512MB.",
        _size(_MEMORY, "4GB or 512MB"),
    ),
    Setting(
        "TC_ENGINE",
        "duckdb",
        "Engine dbt runs the models on: duckdb (one machine, the default) or spark (Apache "
        "Spark through dbt-spark; needs the spark extra and Java 17). Switching rebuilds "
        "the models on the new engine; landing data, analytics results and publication "
        "are shared.",
        _one_of(ENGINES, lower=True),
    ),
    Setting(
        "TC_SPARK_DRIVER_MEMORY",
        "4g",
        "Memory of the local Spark driver (TC_ENGINE=spark), such as 4g or 512m.",
        _size(_SPARK_MEMORY, "4g or 512m", lower=True),
    ),
    Setting(
        "TC_BRAND_TERMS",
        "",
        "The brand's own names and product names, comma-separated (e.g. 'United,United "
        "Airlines'): masked, with @handles, URLs and the handles of the brand's own accounts "
        "(social/accounts is_brand), before a text's sentiment is read; they carry no "
        "opinion. Case-insensitive, whole words.",
        _terms,
    ),
    # --- landing inputs judged before they are trusted (issue 20) ---------------
    Setting(
        "TC_PLAUSIBLE_DATE_MIN",
        "2000-01-01",
        "Dates and timestamps before this day (YYYY-MM-DD) are quarantined as typos "
        "(every dated column of every entity).",
        _past_day,
    ),
    Setting(
        "TC_PLAUSIBLE_DATE_MAX_DAYS_AHEAD",
        "1",
        "Dates and timestamps more than this many days after the day of ingestion are "
        "quarantined as typos (campaigns' planned dates excepted).",
        _whole(0, 36_500, " (a century)"),
    ),
    Setting(
        "TC_LANDING_SETTLE_SECONDS",
        "5",
        "A landing file modified less than this many seconds ago is watched that long; "
        "if it changes meanwhile it is still being written and waits for the next run.",
        _seconds,
    ),
    # --- ingestion throughput (issue 23) -------------------------------------------
    Setting(
        "TC_INGEST_WORKERS",
        "2",
        "Landing entities ingested side by side (threads in the one ingestion step); "
        "1 loads them one at a time, with the least memory.",
        _whole(1),
    ),
    # --- publication: personal data (issue 20) ---
    Setting(
        "TC_PUBLISH_RAW_IDS",
        "false",
        "true publishes raw CRM contact ids, social account ids and people's handles to BI "
        "(published/); false (the default) publishes a keyed pseudonym instead (the same "
        "person keeps it from run to run; the key is <TC_WAREHOUSE_DIR>/pseudonym.key) and "
        "no handles of people. Turn on knowingly: it links social identities to CRM records "
        "for every BI user.",
        _bool,
    ),
    # ---- voice: languages and scored share (issue 19)
    Setting(
        "TC_VOICE_MIN_SCORED_SHARE",
        IN_DBT_PROJECT,
        "A week x topic of voice_of_market whose mentions are scored (supplied or scored "
        "sentiment) in a smaller share than this is flagged (is_scored_share_low) and gets "
        "no negative share: a share from a sliver of the voice is not the voice. 0 to 1.",
        _number(0.0, 1.0),
        dbt_var=True,
    ),
    Setting("TC_DEMO_SEED", "7", "Seed of the demo world generator.", _whole(0)),
    Setting(
        "TC_DEMO_SCALE",
        "1.0",
        "Size of the demo world: 1.0 = 20,000 contacts over 2 years; 50 gives a million.",
        _number(0.001, 10_000.0),
    ),
    Setting(
        "DAGSTER_HOME",
        "<TC_WAREHOUSE_DIR>/dagster_home",
        "Dagster's run history and schedules; shared by `trustcap run` and `trustcap ui`.",
        _folder,
    ),
)
_WAREHOUSE = "<TC_WAREHOUSE_DIR>"


@dataclass(frozen=True)
class Settings:
    """The settings in force, one attribute per row of SETTINGS (no defaults here:
    they are written once, in the table)."""

    landing_dir: Path
    warehouse_dir: Path
    reporting_currency: str
    default_margin_rate: float
    answer_window_hours: float
    engagement_rule: str
    roi_min_pre_months: int
    quality_row_count_tolerance: float
    quality_max_age_days: float
    crisis_threshold: float
    crisis_min_excess: int
    young_account_days: float
    amplification_threshold: float
    trust_half_life_days: float
    trust_asymmetry: float
    duckdb_memory_limit: str
    engine: str
    spark_driver_memory: str
    brand_terms: tuple[str, ...]
    plausible_date_min: date
    plausible_date_max_days_ahead: int
    landing_settle_seconds: float
    ingest_workers: int
    publish_raw_ids: bool
    voice_min_scored_share: float
    demo_seed: int
    demo_scale: float
    dagster_home: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        project_vars: dict[str, Any] = {}  # read only when a default lives there
        for s in SETTINGS:
            raw = env.get(s.env)
            if raw is not None and raw.strip() != "":
                values[s.field] = s.read(raw.strip(), s.env)
                continue
            if s.default == IN_DBT_PROJECT and not project_vars:
                project_vars = dbt_project_vars()
            default = s.written_default(project_vars)
            if default.startswith(_WAREHOUSE):  # a folder inside the warehouse folder
                default = values["warehouse_dir"].as_posix() + default.removeprefix(_WAREHOUSE)
            elif s.read in (_folder, _warehouse_folder):  # the defaults live in the repository
                default = (REPO_ROOT / default).as_posix()
            values[s.field] = s.read(default, s.env)
        return cls(**values)

    # --- how landing files are judged ------------------------------------
    def input_rules(self, today: date | None = None):
        """The landing rules ingestion applies (ingestion.load.InputRules)."""
        from ingestion.load import InputRules

        today = today or datetime.now(UTC).date()
        return InputRules(
            date_min=self.plausible_date_min,
            date_max=today + timedelta(days=self.plausible_date_max_days_ahead),
            settle_seconds=self.landing_settle_seconds,
            csv_memory_limit=share_of_size(self.duckdb_memory_limit, self.ingest_workers),
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
    def run_logs_dir(self) -> Path:
        """Each `trustcap run`'s full Dagster and dbt log (run-<UTC time>.log)."""
        return self.warehouse_dir / "logs"

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

    # --- what dbt and child processes need ----------------------------------
    def dbt_vars(self) -> dict[str, object]:
        """The settings dbt models read (var('<name>')), and where the Python steps'
        tables are."""
        return {
            **{s.field: getattr(self, s.field) for s in SETTINGS if s.dbt_var},
            "raw_dir": self.raw_dir.as_posix(),
            "quarantine_dir": self.quarantine_dir.as_posix(),
            "ingest_log_dir": self.ingest_log_dir.as_posix(),
            "analytics_dir": self.analytics_dir.as_posix(),
            "handover_dir": self.handover_dir.as_posix(),
        }

    def dbt_vars_argument(self) -> str:
        """`--vars` as every dbt command of a run gets it: one spelling, so that the
        warm dbt process's parse (orchestration/warm_dbt.py) matches the commands'."""
        return json.dumps(self.dbt_vars())

    def subprocess_env(self) -> dict[str, str]:
        """Environment for child processes (dbt, `dagster dev`, run workers): every
        setting as resolved here, so a relative folder means the same in a child that
        runs elsewhere; profiles.yml reads TC_WAREHOUSE_DIR and the engine's settings."""
        return {
            **{s.env: written(getattr(self, s.field)) for s in SETTINGS},
            # profiles.yml has one output per engine; dbt reads the target from here
            "DBT_TARGET": self.engine,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }

    def export_env(self) -> None:
        """Make the resolved settings visible to child processes."""
        os.environ.update(self.subprocess_env())
