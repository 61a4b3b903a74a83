"""Offline sentiment of activity texts, English and French, language detected per text.

- Language: py3langid (langid.py's model, inside its wheel), choosing among English,
  French and the languages most often met beside them; a text detected as another
  language gets a null score and is counted, never guessed. A text without letters
  (emoji only) has no language ('zxx') and is read through its emoji.
- English: VADER (negation, intensifiers, emoji; EMOJI_AS_WORD fills gaps in its
  emoji table). French: textblob-fr's lexicon,
  plus VADER on the text's emoji (textblob-fr does not read them).
- Brand complaints: mentions addressed to a brand often carry no generic sentiment
  word ("flight delayed 3 hours", "site is down, trying to check in"). The editable
  lexicon `analytics/lexicons/complaint_terms.csv` (pattern, weight and why, per
  language; read on the masked text) adds a penalty; when it reaches
  COMPLAINT_OVERRIDE the text is a complaint whatever its courtesy words say, so the
  score is min(generic, 0) - penalty. Courtesy and help requests ("please", "help",
  "thanks") carry no sentiment in a message to a brand's service and are removed from
  VADER's lexicon.
- What carries no opinion is masked before a text is read (language, lexicons,
  complaint terms): @handles, URLs, and the brand's own names and product names
  (TC_BRAND_TERMS, plus the handles of the brand's own accounts, social/accounts
  is_brand). A brand name is often a word with valence ("@united" read as "united",
  +1.8 in VADER's lexicon; "Amazon" +0.7): every mention of that brand was pushed
  positive. Hashtags keep their words: '#' is dropped and a CamelCase tag is split at
  its lower-to-upper case changes (#NeverAgainDelta -> "Never Again Delta", then the
  brand name is masked). HTML entities of exported tweets (&amp; &lt; &gt;) are
  decoded, so "&lt;3" is read as "<3". All of it is polars regex over the whole
  column (see `opinion_text`). The language detector reads each URL as 'http' and
  each handle as '@user' (`language_text`): a bare reply is too short once masked.
- score in [-1, 1]; polarity: negative at or below -0.05, positive at or above 0.05
  (VADER's usual cut-offs), neutral between.
- Near-duplicates: MinHash (datasketch) over a text's normalised words, cut into
  LSH bands; two texts sharing a band key are near-duplicates (copies with small
  edits: word Jaccard 0.8 or more is caught most of the time).

Measured on the airline tweets (tests/fixtures/real/twitter_us_airline_sentiment_dev,
10,818 crowd-labelled tweets to five airlines; the lexicon was written with this
development split in view), leave one airline out: analytics/voice_eval.py keeps each
complaint rule and fits COMPLAINT_OVERRIDE on the other airlines only, and reports the
held-out one (scripts/voice_eval.py, docs/voice_evaluation.md). The shipped
COMPLAINT_OVERRIDE (0.2: any complaint term makes a complaint) is what that procedure
picks on all five, and what it picked in every rotation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

NO_LANGUAGE = "zxx"  # ISO 639-2: no linguistic content (emoji only)
# the detector chooses among these; anything else is unlikely enough to be one of them
CANDIDATE_LANGUAGES = ("en", "fr", "es", "de", "it", "pt", "nl")
_LETTER = re.compile(r"[^\W\d_]")
NEGATIVE_AT = -0.05
POSITIVE_AT = 0.05
COMPLAINT_OVERRIDE = 0.2  # fitted leave-one-brand-out: analytics/voice_eval.py
COMPLAINT_TERMS = Path(__file__).resolve().parent / "lexicons" / "complaint_terms.csv"
COURTESY_WORDS = ("help", "helpful", "please", "pls", "thanks", "thank", "thx")
# VADER reads an emoji through its English description; these descriptions carry no
# lexicon word ("pouting face", "thumbs up"), so common brand-reaction emoji scored 0
EMOJI_AS_WORD = {"😡": "angry", "🤬": "furious", "👎": "bad", "👍": "good", "💩": "awful"}
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


_URL = r"(?i)\b(?:https?://|www\.)\S+"
_HANDLE = r"(^|[^\w])@\w+"
# one split per pass at a lower-to-upper change inside a hashtag: tags up to 5 words
_HASHTAG_CAMEL = r"#(\w*?[a-z])([A-Z])"
_HASHTAG_SPLIT_PASSES = 4
_HTML_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"'}
_REGEX_META = set(r"\.+*?()|[]{}^$#&-~")


def normalise_brand_terms(terms: Iterable[str | None]) -> tuple[str, ...]:
    """Distinct brand terms, '@' and spaces trimmed, longest first (a longer name is
    masked before a shorter one it contains: "Virgin America" before "Virgin")."""
    seen = {" ".join(t.strip().lstrip("@").lower().split()) for t in terms if t}
    seen.discard("")
    return tuple(sorted(seen, key=lambda t: (-len(t), t)))


def _term_pattern(term: str) -> str:
    out = []
    for word in term.split():
        out.append("".join("\\" + c if c in _REGEX_META else c for c in word))
    return r"\s+".join(out)


def brand_pattern(terms: Iterable[str | None]) -> str | None:
    """One case-insensitive regex for the brand terms, whole words only."""
    terms = normalise_brand_terms(terms)
    if not terms:
        return None
    return r"(?i)(^|[^\w])(?:" + "|".join(_term_pattern(t) for t in terms) + r")($|[^\w])"


def opinion_text(text: pl.Expr, brand: str | None = None) -> pl.Expr:
    """The text with what carries no opinion masked (module docstring): vectorised."""
    for entity, char in _HTML_ENTITIES.items():
        text = text.str.replace_all(entity, char, literal=True)
    text = text.str.replace_all(_URL, " ").str.replace_all(_HANDLE, "${1} ")
    for _ in range(_HASHTAG_SPLIT_PASSES):
        text = text.str.replace_all(_HASHTAG_CAMEL, "#${1} #${2}")
    text = text.str.replace_all(r"#(\w)", "${1}")
    if brand is not None:
        # twice: two names side by side share the separator between them
        text = text.str.replace_all(brand, "${1} ${2}").str.replace_all(brand, "${1} ${2}")
    return text.str.replace_all(r"\s+", " ").str.strip_chars()


@dataclass
class Scorer:
    vader: object
    french: object
    detector: object
    terms: pl.DataFrame
    brand: str | None = None  # regex of the brand terms masked before scoring
    mask: bool = True  # False: read the raw text (the scorer before issue 19, for comparison)


def build_scorer(
    terms_path: Path = COMPLAINT_TERMS, brand_terms: Iterable[str | None] = (), mask: bool = True
) -> Scorer:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    from textblob import Blobber
    from textblob_fr import PatternAnalyzer, PatternTagger
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    for word in COURTESY_WORDS:
        vader.lexicon.pop(word, None)
    vader.emojis.update(EMOJI_AS_WORD)
    detector = LanguageIdentifier.from_model_file(MODEL_FILE)
    detector.set_languages(list(CANDIDATE_LANGUAGES))
    french = Blobber(pos_tagger=PatternTagger(), analyzer=PatternAnalyzer())
    terms = pl.read_csv(terms_path)
    return Scorer(vader, french, detector, terms, brand_pattern(brand_terms), mask)


def language_text(text: pl.Expr) -> pl.Expr:
    """What the language detector reads: the text with each URL as 'http' and each
    @handle as '@user'. Once masked, a short reply ("sent!", "8 mins!!!") is too little
    for the detector (33 more airline tweets taken for German, Dutch or Italian); the
    raw text makes the language depend on the brand's handle."""
    return text.str.replace_all(_URL, " http ").str.replace_all(_HANDLE, "${1}@user")


def detect_languages(
    scorer: Scorer, texts: list[str], masked: list[str] | None = None
) -> list[str | None]:
    """Language of each text; a text with no letters left once masked is 'zxx' (emoji
    only, or nothing but handles, links and brand names)."""
    classify = scorer.detector.classify
    masked = texts if masked is None else masked
    return [
        (classify(t)[0] if m and _LETTER.search(m) else NO_LANGUAGE) if t else None
        for t, m in zip(texts, masked, strict=True)
    ]


def _generic(scorer: Scorer, text: str, lang: str | None) -> float | None:
    if lang in ("en", NO_LANGUAGE):
        return scorer.vader.polarity_scores(text)["compound"]
    if lang == "fr":
        emoji = " ".join(_EMOJI.findall(text))
        emoji_score = scorer.vader.polarity_scores(emoji)["compound"] if emoji else 0.0
        return max(-1.0, min(1.0, scorer.french(text).sentiment[0] + emoji_score))
    return None


def _penalty(terms: pl.DataFrame, lang: str) -> pl.Expr:
    mine = terms.filter(pl.col("lang") == lang)
    text = pl.col("opinion_text").str.to_lowercase()
    return pl.sum_horizontal(
        [
            text.str.contains(pattern).cast(pl.Float64) * weight
            for pattern, weight in zip(mine["pattern"], mine["weight"], strict=True)
        ]
        or [pl.lit(0.0)]
    )


def complaint_penalty(terms: pl.DataFrame) -> pl.Expr:
    """Sum of the weights of the complaint terms found in column opinion_text, by the
    language in column lang: 0 for 'zxx', null for languages without a lexicon."""
    return (
        pl.when(pl.col("lang") == "en")
        .then(_penalty(terms, "en"))
        .when(pl.col("lang") == "fr")
        .then(_penalty(terms, "fr"))
        .when(pl.col("lang") == NO_LANGUAGE)
        .then(pl.lit(0.0))
        .otherwise(None)
    )


def combined_sentiment(override: float = COMPLAINT_OVERRIDE) -> pl.Expr:
    """Score from columns generic and complaint_penalty: a penalty at or above the
    override (math.inf: never) makes the text a complaint whatever its courtesy words
    say; below it, the penalty is subtracted from the generic score."""
    return (
        pl.when(pl.col("complaint_penalty") >= override)
        .then(pl.min_horizontal(pl.col("generic"), pl.lit(0.0)) - pl.col("complaint_penalty"))
        .otherwise(pl.col("generic") - pl.col("complaint_penalty"))
        .clip(-1.0, 1.0)
    )


def score_texts(scorer: Scorer, texts: list[str], langs: list[str | None] | None = None):
    """One row per text: text, opinion_text (masked), lang, generic, complaint_penalty,
    sentiment, polarity."""
    text = pl.col("text")
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String}).with_columns(
        opinion_text=opinion_text(text, scorer.brand) if scorer.mask else text,
        language_text=language_text(text) if scorer.mask else text,
    )
    masked = frame["opinion_text"].to_list()
    if langs is None:
        langs = detect_languages(scorer, frame["language_text"].to_list(), masked)
    frame = frame.drop("language_text")
    generic = [_generic(scorer, m, lang) for m, lang in zip(masked, langs, strict=True)]
    frame = frame.with_columns(
        lang=pl.Series(langs, dtype=pl.String), generic=pl.Series(generic, dtype=pl.Float64)
    )
    return (
        frame.with_columns(complaint_penalty=complaint_penalty(scorer.terms))
        .with_columns(sentiment=combined_sentiment())
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


# ------------------------------------------------------------------ many texts
_WORKER_SCORER: Scorer | None = None


def _init_worker(brand_terms: tuple[str, ...] = ()) -> None:
    global _WORKER_SCORER
    _WORKER_SCORER = build_scorer(brand_terms=brand_terms)


def _score_and_hash_chunk(part: tuple[int, list[str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    offset, texts = part
    bands = minhash_bands(texts).with_columns(pl.col("text_index") + offset)
    return score_texts(_WORKER_SCORER, texts), bands


def _pool(workers: int, brand_terms: tuple[str, ...] = ()):
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    # spawn: the caller may hold threads (Dagster, DuckDB) that fork would copy mid-state
    return ProcessPoolExecutor(
        workers, get_context("spawn"), initializer=_init_worker, initargs=(brand_terms,)
    )


def score_and_hash(
    texts: list[str], workers: int, chunk: int = 20_000, brand_terms: Iterable[str | None] = ()
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """score_texts and minhash_bands of the same texts, over worker processes."""
    brand_terms = normalise_brand_terms(brand_terms)
    if workers <= 1 or len(texts) <= chunk:
        return score_texts(build_scorer(brand_terms=brand_terms), texts), minhash_bands(texts)
    parts = [(i, texts[i : i + chunk]) for i in range(0, len(texts), chunk)]
    with _pool(workers, brand_terms) as pool:
        done = list(pool.map(_score_and_hash_chunk, parts))
    return pl.concat([d[0] for d in done]), pl.concat([d[1] for d in done])


# ------------------------------------------------------------------ near-duplicates
# 6 bands of 10 rows: a pair of texts with word Jaccard 0.9 collides 92 % of the time,
# 0.8 49 %, 0.7 16 %, 0.5 0.6 %: copies with small edits, not texts on one subject
MINHASH_PERMUTATIONS = 60
MINHASH_BANDS = 6
_WORD = re.compile(r"[^\W\d_]{2,}")


def normalised_words(text: str) -> set[str]:
    """Lower-cased words of two letters or more: numbers, punctuation, emoji, case and
    word order do not make two copies of a message different."""
    return set(_WORD.findall(text.lower()))


def minhash_bands(texts: list[str]) -> pl.DataFrame:
    """One row per text and LSH band: text_index, band_no, band_key (int64)."""
    import numpy as np
    from datasketch import MinHash

    if not texts:
        return pl.DataFrame(
            schema={"text_index": pl.Int64, "band_no": pl.Int32, "band_key": pl.Int64}
        )
    words = [[w.encode() for w in sorted(normalised_words(t))] or [b""] for t in texts]
    hashes = MinHash.bulk(words, num_perm=MINHASH_PERMUTATIONS, seed=1)
    matrix = np.stack([h.hashvalues for h in hashes]).astype(np.uint64)
    rows = MINHASH_PERMUTATIONS // MINHASH_BANDS
    mixer = np.uint64(0x9E3779B97F4A7C15)
    keys = []
    with np.errstate(over="ignore"):  # the band key wraps around 64 bits on purpose
        for b in range(MINHASH_BANDS):
            key = np.zeros(len(texts), np.uint64)
            for r in range(rows):
                key = key * mixer + matrix[:, b * rows + r]
            keys.append(key.view(np.int64))
    n = len(texts)
    return pl.DataFrame(
        {
            "text_index": np.tile(np.arange(n, dtype=np.int64), MINHASH_BANDS),
            "band_no": np.repeat(np.arange(MINHASH_BANDS, dtype=np.int32), n),
            "band_key": np.concatenate(keys),
        }
    )
