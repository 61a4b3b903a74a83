"""What a publication was built from, as one fingerprint, and whether a run would
build anything new.

The marts are a function of the landing files ingestion has taken in (the ingestion
log: each file's content hash, path, modification time and status, retractions
included), the settings in force, the code and dbt project that turn them into marts,
and the pseudonym key people are published under. A rerun on the same inputs gives
the same marts (tested), so a run asked for when none of them changed and no landing
file is waiting can stand on the
last publication instead of rebuilding it: `trustcap run` and the daily schedule do
so, and say which publication stands (`trustcap run --force` rebuilds anyway).

Nothing in the marts reads the clock (their "as of" dates come from the data), so
time passing alone changes nothing; the freshness warnings of the quality checks are
those of the last run that did build.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from pathlib import Path

import polars as pl

from core.publish import INPUTS_FILE
from core.settings import REPO_ROOT, Settings
from ingestion.contract import ENTITIES
from ingestion.load import StoragePaths, pending_landing_files, read_log

# what turns landing files into marts; the application floor (trustcap/: CLI, summary,
# benchmark) and the demo generator (worlds/) do not
CODE_FOLDERS = (
    "core",
    "ingestion",
    "analytics",
    "orchestration",
    "dbt_project/models",
    "dbt_project/macros",
    "dbt_project/seeds",
    "dbt_project/tests",
)
CODE_FILES = ("dbt_project/dbt_project.yml", "dbt_project/profiles.yml", "uv.lock")
CODE_SUFFIXES = (".py", ".sql", ".yml", ".yaml", ".csv", ".json", ".txt", ".xml")


def code_digest(root: Path = REPO_ROOT) -> str:
    """The content of every file that can change a mart (about 300 files, a few ms)."""
    digest = hashlib.sha256()
    paths = [root / f for f in CODE_FILES if (root / f).is_file()]
    for folder in CODE_FOLDERS:
        paths += [
            p
            for p in (root / folder).rglob("*")
            if p.is_file() and p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts
        ]
    for path in sorted(paths):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def settings_digest(settings: Settings) -> str:
    """Every setting in force but the folders (where things are, not what they hold)."""
    values = {
        f.name: repr(getattr(settings, f.name))
        for f in fields(settings)
        if not isinstance(getattr(settings, f.name), Path)
    }
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def ingested_digest(paths: StoragePaths) -> str:
    """The ingestion log of every entity: which file content was taken in from where,
    and what became of it (loaded, quarantined, duplicate, retracted)."""
    digest = hashlib.sha256()
    for entity in ENTITIES:
        log = read_log(paths, entity).select(
            "file_hash", "file_path", "file_mtime_ns", "status", "rows_loaded"
        )
        rows = sorted(log.cast(pl.String).fill_null("").iter_rows())
        digest.update(f"{entity.table}:{len(rows)}\n".encode())
        digest.update(json.dumps(rows).encode())
    return digest.hexdigest()


def _storage(settings: Settings) -> StoragePaths:
    return StoragePaths(settings.raw_dir, settings.quarantine_dir, settings.ingest_log_dir)


def pseudonym_key_digest(path: Path) -> str:
    """A digest of the warehouse's pseudonym key (never the key): deleting the key gives
    every person a new pseudonym, which only a new publication shows."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "none"


@dataclass(frozen=True)
class Inputs:
    ingested: str
    settings: str
    code: str
    pseudonym_key: str

    def as_dict(self) -> dict[str, str]:
        return {
            "ingested": self.ingested,
            "settings": self.settings,
            "code": self.code,
            "pseudonym_key": self.pseudonym_key,
        }


def current_inputs(settings: Settings) -> Inputs:
    paths = _storage(settings)
    return Inputs(
        ingested_digest(paths),
        settings_digest(settings),
        code_digest(),
        pseudonym_key_digest(settings.pseudonym_key_path),
    )


def published_inputs(settings: Settings) -> tuple[str, Inputs] | None:
    """(publication id, its inputs) of the publication BI tools read now; None when
    there is none or it predates this record."""
    path = settings.published_parquet_dir / INPUTS_FILE
    try:
        record = json.loads(path.read_text())
        return record["publication_id"], Inputs(**record["inputs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def nothing_new(settings: Settings) -> str | None:
    """The id of the publication that stands when a run now would build nothing new:
    no landing file waiting, and the ingested files, settings and code are those the
    current publication was built from. None when a run has work to do."""
    published = published_inputs(settings)
    if published is None:
        return None
    paths = _storage(settings)
    if pending_landing_files(settings.landing_dir, paths):
        return None
    publication_id, inputs = published
    return publication_id if current_inputs(settings) == inputs else None
