"""Offline sentiment of activity texts, English and French, language detected per text.

- Language: lingua (models inside its wheel), choosing among English, French and
  the languages most often met beside them; a text detected as another language,
  or not detected, gets a null score and is counted, never guessed.
- English: VADER (negation, intensifiers, emoji; EMOJI_AS_WORD fills gaps in its
  emoji table). French: textblob-fr's lexicon,
  plus VADER on the text's emoji (textblob-fr does not read them).
- Brand complaints: mentions addressed to a brand often carry no generic sentiment
  word ("flight delayed 3 hours", "site is down, trying to check in"). The editable
  lexicon `analytics/lexicons/complaint_terms.csv` (pattern, weight and why, per
  language) adds a penalty; when it reaches COMPLAINT_OVERRIDE the text is a
  complaint whatever its courtesy words say, so the score is min(generic, 0) -
  penalty. Courtesy and help requests ("please", "help", "thanks") carry no
  sentiment in a message to a brand's service and are removed from VADER's lexicon.
- score in [-1, 1]; polarity: negative at or below -0.05, positive at or above 0.05
  (VADER's usual cut-offs), neutral between.

Measured on the airline tweets (../shared/data/real/twitter_us_airline_sentiment_dev,
10,818 crowd-labelled tweets; the lexicon was written with this development split
in view): see tests/unit/test_sentiment.py and the README.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

SUPPORTED = ("en", "fr")
NEGATIVE_AT = -0.05
POSITIVE_AT = 0.05
COMPLAINT_OVERRIDE = 0.35
COMPLAINT_TERMS = Path(__file__).resolve().parent / "lexicons" / "complaint_terms.csv"
COURTESY_WORDS = ("help", "helpful", "please", "pls", "thanks", "thank", "thx")
# VADER reads an emoji through its English description; these descriptions carry no
# lexicon word ("pouting face", "thumbs up"), so common brand-reaction emoji scored 0
EMOJI_AS_WORD = {"😡": "angry", "🤬": "furious", "👎": "bad", "👍": "good", "💩": "awful"}
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


@dataclass
class Scorer:
    vader: object
    french: object
    detector: object
    languages: dict
    terms: pl.DataFrame


def build_scorer(terms_path: Path = COMPLAINT_TERMS) -> Scorer:
    from lingua import Language, LanguageDetectorBuilder
    from textblob import Blobber
    from textblob_fr import PatternAnalyzer, PatternTagger
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    for word in COURTESY_WORDS:
        vader.lexicon.pop(word, None)
    vader.emojis.update(EMOJI_AS_WORD)
    languages = {
        Language.ENGLISH: "en",
        Language.FRENCH: "fr",
        Language.SPANISH: "es",
        Language.GERMAN: "de",
        Language.ITALIAN: "it",
        Language.PORTUGUESE: "pt",
        Language.DUTCH: "nl",
    }
    detector = LanguageDetectorBuilder.from_languages(*languages).build()
    french = Blobber(pos_tagger=PatternTagger(), analyzer=PatternAnalyzer())
    return Scorer(vader, french, detector, languages, pl.read_csv(terms_path))


def detect_languages(scorer: Scorer, texts: list[str]) -> list[str | None]:
    found = scorer.detector.detect_languages_in_parallel_of(texts)
    return [scorer.languages.get(lang) if lang is not None else None for lang in found]


def _generic(scorer: Scorer, text: str, lang: str | None) -> float | None:
    if lang == "en":
        return scorer.vader.polarity_scores(text)["compound"]
    if lang == "fr":
        emoji = " ".join(_EMOJI.findall(text))
        emoji_score = scorer.vader.polarity_scores(emoji)["compound"] if emoji else 0.0
        return max(-1.0, min(1.0, scorer.french(text).sentiment[0] + emoji_score))
    return None


def _penalty(terms: pl.DataFrame, lang: str) -> pl.Expr:
    mine = terms.filter(pl.col("lang") == lang)
    text = pl.col("text").str.to_lowercase()
    return pl.sum_horizontal(
        [
            text.str.contains(pattern).cast(pl.Float64) * weight
            for pattern, weight in zip(mine["pattern"], mine["weight"], strict=True)
        ]
        or [pl.lit(0.0)]
    )


def score_texts(scorer: Scorer, texts: list[str], langs: list[str | None] | None = None):
    """One row per text: lang, generic, complaint_penalty, sentiment, polarity."""
    langs = detect_languages(scorer, texts) if langs is None else langs
    generic = [_generic(scorer, t, lang) for t, lang in zip(texts, langs, strict=True)]
    frame = pl.DataFrame(
        {"text": texts, "lang": langs, "generic": generic},
        schema={"text": pl.String, "lang": pl.String, "generic": pl.Float64},
    )
    penalty = (
        pl.when(pl.col("lang") == "en")
        .then(_penalty(scorer.terms, "en"))
        .when(pl.col("lang") == "fr")
        .then(_penalty(scorer.terms, "fr"))
        .otherwise(None)
    )
    return (
        frame.with_columns(complaint_penalty=penalty)
        .with_columns(
            sentiment=pl.when(pl.col("complaint_penalty") >= COMPLAINT_OVERRIDE)
            .then(pl.min_horizontal(pl.col("generic"), pl.lit(0.0)) - pl.col("complaint_penalty"))
            .otherwise(pl.col("generic") - pl.col("complaint_penalty"))
            .clip(-1.0, 1.0)
        )
        .with_columns(polarity=polarity(pl.col("sentiment")))
    )


def polarity(score: pl.Expr) -> pl.Expr:
    return (
        pl.when(score <= NEGATIVE_AT)
        .then(pl.lit("negative"))
        .when(score >= POSITIVE_AT)
        .then(pl.lit("positive"))
        .when(score.is_not_null())
        .then(pl.lit("neutral"))
    )
