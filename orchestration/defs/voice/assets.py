"""Sentiment and near-duplicate keys of every distinct activity text (analytics/),
between the two dbt steps, beside the ROI estimator."""

import os

import duckdb
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from analytics.text_scores import update_text_scores
from core.warehouse import readable_warehouse
from orchestration.resources import SettingsResource

# the brand accounts' handles are masked before scoring (with TC_BRAND_TERMS); the
# brand's labelled texts train the brand-adapted scorer
INPUTS = [
    AssetKey(["staging", "stg_social__activities"]),
    AssetKey(["staging", "stg_social__accounts"]),
    AssetKey(["staging", "stg_social__labelled_texts"]),
]


@multi_asset(
    specs=[
        AssetSpec(
            AssetKey(["analytics", "text_scores"]),
            deps=INPUTS,
            group_name="voice",
            kinds={"python", "parquet"},
            description=(
                "Sentiment of each distinct activity text (keyed by md5, text not stored): "
                "@handles, URLs and the brand's own names (TC_BRAND_TERMS, brand accounts' "
                "handles) masked; language supplied by the source, else detected by "
                "py3langid; VADER (English) or the lexicons of French, Spanish, Portuguese "
                "and German, plus the complaint lexicon; the brand-adapted scorer where the "
                "brand's labelled texts make it measure better; null for languages not "
                "covered. Cached: a rerun scores only texts not seen before (see "
                "analytics/sentiment.py, analytics/brand_scorer.py)."
            ),
        ),
        AssetSpec(
            AssetKey(["analytics", "voice_scorer_quality"]),
            deps=INPUTS,
            group_name="voice",
            kinds={"python", "parquet", "scikit-learn"},
            description=(
                "The lexicon scorer and the brand-adapted scorer (trained on "
                "social/labelled_texts) compared on the same cross-validation folds, per "
                "language: accuracy, macro-F1, which one reads the language. Empty without "
                "labels."
            ),
        ),
        AssetSpec(
            AssetKey(["analytics", "text_minhash_bands"]),
            deps=INPUTS,
            group_name="voice",
            kinds={"python", "parquet"},
            description=(
                "MinHash LSH band keys of each distinct text's normalised words: two texts "
                "sharing a band key are near-duplicates (used by crisis_events)."
            ),
        ),
    ],
)
def text_scores(context: AssetExecutionContext, settings: SettingsResource):
    s = settings.get()
    with readable_warehouse(s) as warehouse:
        con = duckdb.connect(str(warehouse), read_only=True, config=s.duckdb_config())
        try:
            run = update_text_scores(
                con, s.analytics_dir, workers=os.cpu_count() or 1, brand_terms=s.brand_terms
            )
        finally:
            con.close()
    context.log.info(
        f"{run.scored_now:,} new distinct texts scored in {run.seconds:.1f} s "
        f"({run.texts_per_second:,.0f}/s); {run.distinct_texts:,} distinct texts cached; "
        f"{run.unsupported_language:,} in languages not covered; "
        f"{run.labelled_texts:,} labelled texts ({run.unresolved_labels:,} without a text), "
        f"brand-adapted scorer used for: {', '.join(run.supervised_languages) or 'none'}"
    )
    meta = {
        "distinct_texts": run.distinct_texts,
        "scored_this_run": run.scored_now,
        "texts_per_second": round(run.texts_per_second, 1),
        "unsupported_language_this_run": run.unsupported_language,
        "languages_this_run": run.by_language,
    }
    yield MaterializeResult(asset_key=AssetKey(["analytics", "text_scores"]), metadata=meta)
    yield MaterializeResult(
        asset_key=AssetKey(["analytics", "voice_scorer_quality"]),
        metadata={
            "labelled_texts": run.labelled_texts,
            "labels_without_text": run.unresolved_labels,
            "supervised_languages": ", ".join(run.supervised_languages) or "none",
        },
    )
    yield MaterializeResult(
        asset_key=AssetKey(["analytics", "text_minhash_bands"]),
        metadata={"distinct_texts": run.distinct_texts},
    )
