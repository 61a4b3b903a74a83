"""Score each distinct activity text once: a cache keyed by the text's md5.

The cache lives beside the other analytics results (<TC_WAREHOUSE_DIR>/analytics):
- text_scores.parquet: text_hash, lang_detected, generic_sentiment,
  complaint_penalty, sentiment, polarity, scorer_version;
- text_minhash_bands.parquet: text_hash, band_no, band_key (near-duplicate keys).
Neither holds the text itself. A rerun scores only texts whose hash is not cached
yet; a change of scorer (lexicon file, packages, MinHash layout, brand terms masked:
TC_BRAND_TERMS and the brand accounts' handles) rescores all.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import duckdb
import polars as pl

from analytics import sentiment
from analytics.files import write_parquet_atomic
from analytics.sentiment import (
    COMPLAINT_TERMS,
    MINHASH_BANDS,
    MINHASH_PERMUTATIONS,
    normalise_brand_terms,
    score_and_hash,
)

SCORES_FILE = "text_scores.parquet"
BANDS_FILE = "text_minhash_bands.parquet"
SCORES_SCHEMA = {
    "text_hash": pl.String,
    "lang_detected": pl.String,
    "generic_sentiment": pl.Float64,
    "complaint_penalty": pl.Float64,
    "sentiment": pl.Float64,
    "polarity": pl.String,
    "scorer_version": pl.String,
}
BANDS_SCHEMA = {"text_hash": pl.String, "band_no": pl.Int32, "band_key": pl.Int64}


def scorer_version(brand_terms: tuple[str, ...] = ()) -> str:
    # the scorer's own code counts too: a changed rule must not leave stale scores cached
    parts = [COMPLAINT_TERMS.read_bytes(), Path(sentiment.__file__).read_bytes()]
    parts.append(("brand=" + "|".join(normalise_brand_terms(brand_terms))).encode())
    parts += [
        f"{p}={version(p)}".encode()
        for p in ("vadersentiment", "textblob-fr", "py3langid", "datasketch")
    ]
    parts.append(f"minhash={MINHASH_PERMUTATIONS}x{MINHASH_BANDS}".encode())
    return hashlib.md5(b"|".join(parts)).hexdigest()[:12]


@dataclass
class ScoringRun:
    distinct_texts: int
    scored_now: int
    seconds: float
    unsupported_language: int
    by_language: dict[str, int]

    @property
    def texts_per_second(self) -> float:
        return self.scored_now / self.seconds if self.seconds > 0 else 0.0


def _cached(path: Path, schema: dict, current: str | None = None) -> pl.DataFrame:
    if not path.exists():
        return pl.DataFrame(schema=schema)
    frame = pl.read_parquet(path)
    if current is not None and frame.height and frame["scorer_version"][0] != current:
        return pl.DataFrame(schema=schema)
    return frame


def new_texts(con: duckdb.DuckDBPyConnection, known: pl.DataFrame) -> pl.DataFrame:
    """Distinct texts of the activities whose md5 is not among `known` hashes."""
    con.register("known_hashes", known.select("text_hash").to_arrow())
    try:
        return con.sql(
            """
            select md5(text) as text_hash, any_value(text) as text
            from staging.stg_social__activities
            where text is not null and trim(text) <> ''
            group by 1
            having md5(text) not in (select text_hash from known_hashes)
            order by 1
            """
        ).pl()
    finally:
        con.unregister("known_hashes")


def brand_handles(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Handles of the brand's own accounts (social/accounts is_brand), when staged."""
    staged = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'staging' and table_name = 'stg_social__accounts'"
    ).fetchone()[0]
    if not staged:
        return []
    rows = con.execute(
        "select distinct handle from staging.stg_social__accounts "
        "where is_brand and handle is not null order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def update_text_scores(
    con: duckdb.DuckDBPyConnection,
    analytics_dir: Path,
    workers: int = 2,
    brand_terms: tuple[str, ...] = (),
) -> ScoringRun:
    """Score the texts not cached yet; `brand_terms` (TC_BRAND_TERMS) and the brand
    accounts' handles are masked before scoring."""
    brand_terms = normalise_brand_terms([*brand_terms, *brand_handles(con)])
    current = scorer_version(brand_terms)
    scores_path, bands_path = analytics_dir / SCORES_FILE, analytics_dir / BANDS_FILE
    cached = _cached(scores_path, SCORES_SCHEMA, current)
    cached_bands = _cached(bands_path, BANDS_SCHEMA) if cached.height else None
    todo = new_texts(con, cached)
    started = time.perf_counter()
    texts = todo["text"].to_list()
    scored, bands = score_and_hash(texts, workers, brand_terms=brand_terms)
    seconds = time.perf_counter() - started
    fresh = scored.select(
        text_hash=todo["text_hash"],
        lang_detected=pl.col("lang"),
        generic_sentiment=pl.col("generic"),
        complaint_penalty=pl.col("complaint_penalty"),
        sentiment=pl.col("sentiment"),
        polarity=pl.col("polarity"),
        scorer_version=pl.lit(current),
    ).cast(SCORES_SCHEMA)
    fresh_bands = bands.select(
        text_hash=todo["text_hash"].gather(bands["text_index"]),
        band_no=pl.col("band_no"),
        band_key=pl.col("band_key"),
    ).cast(BANDS_SCHEMA)
    all_scores = pl.concat([cached, fresh])
    # unique: a run cut off between the two writes must not leave bands counted twice
    all_bands = (
        pl.concat([cached_bands, fresh_bands]).unique(["text_hash", "band_no"], keep="last")
        if cached_bands is not None
        else fresh_bands
    )
    if texts or not scores_path.exists() or not bands_path.exists():
        write_parquet_atomic(all_bands, bands_path)
        write_parquet_atomic(all_scores, scores_path)
    langs = fresh.group_by("lang_detected").len()
    return ScoringRun(
        distinct_texts=all_scores.height,
        scored_now=fresh.height,
        seconds=seconds,
        unsupported_language=int(fresh["sentiment"].is_null().sum()),
        by_language={(k or "none"): int(v) for k, v in langs.iter_rows()},
    )
