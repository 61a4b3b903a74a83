"""Leave-one-brand-out evaluation of the sentiment scorer on crowd-labelled mentions.

The labelled development split (tests/fixtures/real/twitter_us_airline_sentiment_dev:
tweets to five US airlines) is cut by brand. Each airline in turn is held out: the
scorer's data-set constants are chosen on the other airlines only (the development
folds), then the held-out airline is scored once and reported. Nothing is tuned on a
reported fold.

What is fitted per rotation, on the development airlines only:
- the complaint rules kept: an English rule of analytics/lexicons/complaint_terms.csv
  is kept when, on the development airlines, it matches at least MIN_RULE_MATCHES
  texts and the texts it matches are labelled negative more often than the
  development texts are overall (lift above 1: the rule is evidence of a complaint);
  an exception (a negative weight: an idiom that is not a complaint, "can't wait
  to") when the texts it matches are labelled negative less often (lift below 1).
  The rules and their weights were written with the whole split in view; this check
  is what justifies each rule per fold. French rules are kept (no French labels).
- the complaint override (COMPLAINT_OVERRIDE), from OVERRIDE_GRID, maximising the
  mean over the development airlines (each airline one vote) of
  macro-F1 - |reported negative share - labelled negative share|: the published
  figure is the negative share, and the classes should be right too.
Not fitted: the neutral band (NEGATIVE_AT, POSITIVE_AT: VADER's published cut-offs,
also used by the dbt models on supplied sentiment) and VADER itself.

The shipped default (COMPLAINT_OVERRIDE) is what the same procedure picks on all five
airlines; its per-airline figures are in-sample and reported beside the held-out ones.

Metrics per held-out airline: n, labelled and reported negative share (of all its
texts: a text the scorer leaves unscored is not negative, as in voice_of_market),
three-class accuracy and macro-F1 (an unscored text is wrong), and the confusion
matrix (labelled x predicted, predicted 'unscored' for a null).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analytics.sentiment import (
    COMPLAINT_OVERRIDE,
    Scorer,
    build_scorer,
    combined_sentiment,
    complaint_penalty,
    polarity,
    score_texts,
)

AIRLINE_TWEETS = (
    Path(__file__).resolve().parent.parent
    / "tests/fixtures/real/twitter_us_airline_sentiment_dev/Tweets_dev.csv.gz"
)
LABELS = ("negative", "neutral", "positive")
PREDICTED = (*LABELS, "unscored")
# the brands' own names and handles (what TC_BRAND_TERMS holds for a brand). The
# dataset's "Delta" tweets are addressed to @JetBlue (a known quirk of the export).
AIRLINE_BRAND_TERMS = {
    "American": ("American Airlines", "AmericanAir", "American"),
    "Delta": ("JetBlue", "Jet Blue", "Delta", "Delta Air Lines", "Delta Airlines"),
    "Southwest": ("Southwest Airlines", "SouthwestAir", "Southwest"),
    "US Airways": ("US Airways", "USAirways", "US Air", "USAir"),
    "United": ("United Airlines", "UnitedAirlines", "United"),
    "Virgin America": ("Virgin America", "VirginAmerica", "Virgin"),
}
# each airline's own account, as its tweets address it
AIRLINE_HANDLES = {
    "American": "AmericanAir",
    "Delta": "JetBlue",
    "Southwest": "SouthwestAir",
    "US Airways": "USAirways",
    "Virgin America": "VirginAmerica",
    "United": "united",
}
OVERRIDE_GRID = (0.2, 0.25, 0.3, 0.35, 0.45, 0.55, 0.7, math.inf)
MIN_RULE_MATCHES = 10
OVERRIDE_BEFORE = 0.35  # COMPLAINT_OVERRIDE before issue 19 (set by eye on the whole split)


def all_brand_terms() -> tuple[str, ...]:
    return tuple(t for terms in AIRLINE_BRAND_TERMS.values() for t in terms)


def load_airline_tweets(path: Path = AIRLINE_TWEETS) -> pl.DataFrame:
    """tweet_id, brand (the airline), label (crowd sentiment), text."""
    return pl.read_csv(path, infer_schema_length=0).select(
        "tweet_id", brand=pl.col("airline"), label=pl.col("airline_sentiment"), text="text"
    )


# ------------------------------------------------------------------ metrics
def fold_metrics(label: pl.Series, predicted: pl.Series) -> dict:
    """n, labelled/reported negative share, accuracy, macro-F1 and confusion matrix."""
    frame = pl.DataFrame({"label": label, "predicted": predicted.fill_null("unscored")})
    n = frame.height
    f1s = []
    for cls in LABELS:
        tp = frame.filter((pl.col("label") == cls) & (pl.col("predicted") == cls)).height
        support = (frame["label"] == cls).sum() + (frame["predicted"] == cls).sum()
        f1s.append(2 * tp / support if support else 0.0)
    confusion = {
        a: {
            b: frame.filter((pl.col("label") == a) & (pl.col("predicted") == b)).height
            for b in PREDICTED
        }
        for a in LABELS
    }
    return {
        "n": n,
        "labelled_negative": float((frame["label"] == "negative").mean()),
        "reported_negative": float((frame["predicted"] == "negative").mean()),
        "accuracy": float((frame["label"] == frame["predicted"]).mean()),
        "macro_f1": sum(f1s) / len(f1s),
        "class_f1": dict(zip(LABELS, f1s, strict=True)),
        "confusion": confusion,
    }


# ------------------------------------------------------------------ scoring once
def score_once(tweets: pl.DataFrame, scorer: Scorer) -> pl.DataFrame:
    """The tweets with the scorer's columns (masked text, lang, generic, ...); what a
    fold changes (rules kept, override) is recomputed from them, not rescored."""
    scored = score_texts(scorer, tweets["text"].to_list())
    return tweets.drop("text").hstack(scored)


def predict(scored: pl.DataFrame, terms: pl.DataFrame, override: float) -> pl.Series:
    """Polarity with the given complaint rules and override: the scorer's own
    expressions (analytics.sentiment), on the scores computed once."""
    return (
        scored.with_columns(complaint_penalty=complaint_penalty(scored, terms))
        .with_columns(sentiment=combined_sentiment(override))
        .select(polarity(pl.col("sentiment")))
        .to_series()
    )


# ------------------------------------------------------------------ fitting on dev
def select_rules(dev: pl.DataFrame, terms: pl.DataFrame) -> pl.DataFrame:
    """The complaint rules justified on the development texts (module docstring)."""
    english = dev.filter(pl.col("lang") == "en")
    text = english["opinion_text"].str.to_lowercase()
    negative = english["label"] == "negative"
    base = float(negative.mean())
    keep = []
    for row in terms.iter_rows(named=True):
        if row["lang"] != "en":
            keep.append(True)
            continue
        hits = text.str.contains(row["pattern"])
        matches = int(hits.sum())
        rate = float(negative.filter(hits).mean()) if matches else base
        # a complaint rule needs its texts more negative than the rest; an exception
        # (negative weight: an idiom that is not a complaint) needs them less negative
        evidence = rate > base if row["weight"] > 0 else rate < base
        keep.append(matches >= MIN_RULE_MATCHES and evidence)
    return terms.filter(pl.Series(keep))


def objective(dev: pl.DataFrame, predicted: pl.Series) -> float:
    """Mean over the development brands of macro-F1 - |negative share error|."""
    frame = dev.select("brand", "label").with_columns(predicted=predicted)
    values = []
    for _, part in frame.group_by("brand"):
        m = fold_metrics(part["label"], part["predicted"])
        values.append(m["macro_f1"] - abs(m["reported_negative"] - m["labelled_negative"]))
    return sum(values) / len(values)


@dataclass
class Fitted:
    terms: pl.DataFrame
    override: float
    dev_objective: float


def fit(dev: pl.DataFrame, terms: pl.DataFrame) -> Fitted:
    kept = select_rules(dev, terms)
    best = None
    for override in OVERRIDE_GRID:  # first best wins a tie: the grid is in order
        value = objective(dev, predict(dev, kept, override))
        if best is None or value > best.dev_objective + 1e-12:
            best = Fitted(kept, override, value)
    return best


# ------------------------------------------------------------------ the protocol
def leave_one_brand_out(
    scored: pl.DataFrame, terms: pl.DataFrame, fitter: Callable = fit
) -> list[dict]:
    """One row per held-out brand: what was fitted on the others, and its metrics."""
    rows = []
    for brand in sorted(scored["brand"].unique()):
        dev = scored.filter(pl.col("brand") != brand)
        held = scored.filter(pl.col("brand") == brand)
        fitted = fitter(dev, terms)
        m = fold_metrics(held["label"], predict(held, fitted.terms, fitted.override))
        rows.append(
            {
                "held_out": brand,
                "override": fitted.override,
                "rules_kept": f"{fitted.terms.filter(pl.col('lang') == 'en').height}"
                f"/{terms.filter(pl.col('lang') == 'en').height}",
                **m,
            }
        )
    return rows


def per_brand(scored: pl.DataFrame, terms: pl.DataFrame, override: float) -> list[dict]:
    """Fixed constants (no fitting) on each brand: the default scorer's figures."""
    rows = []
    for brand in sorted(scored["brand"].unique()):
        held = scored.filter(pl.col("brand") == brand)
        m = fold_metrics(held["label"], predict(held, terms, override))
        rows.append({"held_out": brand, "override": override, **m})
    return rows


def evaluate(tweets: pl.DataFrame | None = None) -> dict[str, list[dict]]:
    """The whole evaluation: before (no masking, override 0.35), the default scorer
    (masking, shipped constants, in-sample) and leave-one-brand-out (masking, constants
    fitted per rotation)."""
    tweets = load_airline_tweets() if tweets is None else tweets
    plain = build_scorer(mask=False)
    masked = build_scorer(brand_terms=all_brand_terms())
    before = score_once(tweets, plain)
    after = score_once(tweets, masked)
    return {
        "before": per_brand(before, plain.terms, OVERRIDE_BEFORE),
        "default scorer": per_brand(after, masked.terms, COMPLAINT_OVERRIDE),
        "leave one brand out": leave_one_brand_out(after, masked.terms),
        "all brands fitted": [vars(fit(after, masked.terms))],
    }


def handle_as_praise(tweets: pl.DataFrame, handle: str = "@united") -> pl.DataFrame:
    """The tweets with each airline's own handle written as `handle` (a handle that is
    a word with positive valence, as @united is): the failure of issue 19, reproduced
    on the labelled split. A scorer that reads handles reports other figures."""
    pattern = "(?i)@(?:" + "|".join(AIRLINE_HANDLES.values()) + r")\b"
    return tweets.with_columns(pl.col("text").str.replace_all(pattern, handle))


def handle_check(tweets: pl.DataFrame | None = None) -> list[dict]:
    """Reported negative share per airline, its own handle as written and as '@united',
    without and with masking (constants as shipped)."""
    tweets = load_airline_tweets() if tweets is None else tweets
    swapped = handle_as_praise(tweets)
    rows = []
    for name, scorer in (
        ("no masking", build_scorer(mask=False)),
        ("masking", build_scorer(brand_terms=all_brand_terms())),
    ):
        for handle, data in (("own", tweets), ("@united", swapped)):
            for r in per_brand(score_once(data, scorer), scorer.terms, COMPLAINT_OVERRIDE):
                rows.append({"scorer": name, "handle": handle, **r})
    return rows


# ------------------------------------------------------------------ report
def markdown_table(rows: list[dict]) -> str:
    fitted = "rules_kept" in rows[0]
    head = "| airline | n | labelled neg | reported neg | gap | accuracy | macro-F1 |"
    if fitted:
        head += " override (fitted) | rules kept |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        gap = r["reported_negative"] - r["labelled_negative"]
        line = (
            f"| {r['held_out']} | {r['n']:,} | {r['labelled_negative']:.1%} | "
            f"{r['reported_negative']:.1%} | {gap * 100:+.1f} pts | {r['accuracy']:.3f} | "
            f"{r['macro_f1']:.3f} |"
        )
        if fitted:
            line += f" {r['override']:g} | {r['rules_kept']} |"
        lines.append(line)
    return "\n".join(lines)


def markdown_confusion(row: dict) -> str:
    lines = ["| labelled \\ predicted | " + " | ".join(PREDICTED) + " |"]
    lines.append("|" + "---|" * (len(PREDICTED) + 1))
    for a in LABELS:
        cells = " | ".join(str(row["confusion"][a][b]) for b in PREDICTED)
        lines.append(f"| {a} | {cells} |")
    return "\n".join(lines)


# ------------------------------------------------------------------ brand-adapted scorer
OWN_LABELS = 300  # labelled texts of the held-out airline in its training set
# issue 19's criterion, for every held-out airline
CRITERION_ACCURACY = 0.75
CRITERION_MACRO_F1 = 0.65


def criterion(row: dict) -> str:
    """'met', or what missed issue 19's criterion, to four decimals (0.7497 is a miss
    that three decimals would show as 0.750)."""
    missed = [
        f"{name} {row[key]:.4f}"
        for name, key, bar in (
            ("accuracy", "accuracy", CRITERION_ACCURACY),
            ("macro-F1", "macro_f1", CRITERION_MACRO_F1),
        )
        if row[key] < bar
    ]
    return "missed: " + ", ".join(missed) if missed else "met"


def own_label_split(
    scored: pl.DataFrame, brand: str, own_labels: int, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Training set (every other brand's texts plus `own_labels` of `brand`'s, a random
    draw with `seed`) and the texts reported on (the rest of `brand`'s)."""
    held = scored.filter(pl.col("brand") == brand).sample(fraction=1.0, shuffle=True, seed=seed)
    train = pl.concat([scored.filter(pl.col("brand") != brand), held.head(own_labels)])
    return train, held.slice(own_labels)


def _fold_row(brand: str, own_labels: int, test: pl.DataFrame, predicted: pl.Series) -> dict:
    supervised = fold_metrics(test["label"], predicted)
    lexicon = fold_metrics(test["label"], test["polarity"])
    return {
        "held_out": brand,
        "own_labels": own_labels,
        "n": test.height,
        "labelled_negative": supervised["labelled_negative"],
        "reported_negative": supervised["reported_negative"],
        "accuracy": supervised["accuracy"],
        "macro_f1": supervised["macro_f1"],
        "class_f1": supervised["class_f1"],
        "lexicon_accuracy": lexicon["accuracy"],
        "lexicon_macro_f1": lexicon["macro_f1"],
        "confusion": supervised["confusion"],
    }


def brand_adapted_folds(
    tweets: pl.DataFrame | None = None,
    own_labels: int = OWN_LABELS,
    seed: int = 1,
    settings=None,
) -> list[dict]:
    """Leave one airline out for the supervised scorer (analytics.brand_scorer, its
    default settings unless `settings`): trained on every other airline's labels plus
    `own_labels` labelled texts of the held-out one (a random draw, `seed`), reported on
    its remaining texts; beside it the lexicon scorer on the same remaining texts. One
    row per held-out airline."""
    from analytics import brand_scorer

    settings = brand_scorer.DEFAULT_SETTINGS if settings is None else settings
    tweets = load_airline_tweets() if tweets is None else tweets
    scored = score_once(tweets, build_scorer(brand_terms=all_brand_terms()))
    rows = []
    for brand in sorted(scored["brand"].unique()):
        train, test = own_label_split(scored, brand, own_labels, seed)
        model = brand_scorer.fit(
            train, train["label"].to_list(), (train["brand"] == brand).to_numpy(), settings=settings
        )
        rows.append(_fold_row(brand, own_labels, test, model.predict(test)["polarity"]))
    return rows


def inner_scores(
    dev: pl.DataFrame, candidates: tuple, own_labels: int = OWN_LABELS, seed: int = 1
) -> pl.DataFrame:
    """Leave one airline out within `dev` (the development airlines only): macro-F1 and
    accuracy of every candidate setting on each inner held-out airline's remaining
    texts, trained on the other development airlines plus `own_labels` of its own.
    Columns settings (Settings.describe), inner (airline), macro_f1, accuracy."""
    from analytics import brand_scorer

    rows = []
    for brand in sorted(dev["brand"].unique()):
        train, test = own_label_split(dev, brand, own_labels, seed)
        features, models = brand_scorer.fit_candidates(
            train, train["label"].to_list(), (train["brand"] == brand).to_numpy(), candidates
        )
        matrix = features.matrix(test)
        for settings in candidates:
            m = fold_metrics(test["label"], models[settings].predict(test, matrix)["polarity"])
            rows.append(
                {
                    "settings": settings.describe(),
                    "inner": brand,
                    "macro_f1": m["macro_f1"],
                    "accuracy": m["accuracy"],
                }
            )
    return pl.DataFrame(rows)


def choose_settings(means: pl.DataFrame, candidates: tuple):
    """The selection rule, on each candidate's mean over the inner airlines (one vote
    each): the highest mean macro-F1; a tie goes to the earlier candidate
    (candidate_settings: fewest adaptations first, then the simpler model)."""
    order = {s.describe(): i for i, s in enumerate(candidates)}
    ranked = means.sort(
        pl.col("macro_f1"), pl.col("settings").replace_strict(order), descending=[True, False]
    )
    return candidates[order[ranked["settings"][0]]]


def select_settings(dev: pl.DataFrame, candidates: tuple, own_labels: int, seed: int) -> tuple:
    """The settings chosen from `dev` alone, and every candidate's mean inner macro-F1
    and accuracy (columns settings, macro_f1, accuracy; candidates' order)."""
    scores = inner_scores(dev, candidates, own_labels, seed)
    means = scores.group_by("settings", maintain_order=True).agg(
        pl.col("macro_f1", "accuracy").mean()
    )
    return choose_settings(means, candidates), means


def nested_brand_adapted_folds(
    tweets: pl.DataFrame | None = None,
    own_labels: int = OWN_LABELS,
    seed: int = 1,
    candidates: tuple | None = None,
    selector: Callable = select_settings,
) -> list[dict]:
    """brand_adapted_folds with the settings chosen per held-out airline: `selector`
    receives only the other airlines' texts (inner leave one airline out over them,
    `select_settings`); the chosen settings are then fitted on the outer training set
    (the others plus `own_labels` of the held-out airline) and reported on its
    remaining texts, exactly as brand_adapted_folds. One row per held-out airline."""
    from analytics import brand_scorer

    candidates = brand_scorer.candidate_settings() if candidates is None else candidates
    tweets = load_airline_tweets() if tweets is None else tweets
    scored = score_once(tweets, build_scorer(brand_terms=all_brand_terms()))
    rows = []
    for brand in sorted(scored["brand"].unique()):
        dev = scored.filter(pl.col("brand") != brand)
        chosen, inner = selector(dev, candidates, own_labels, seed)
        train, test = own_label_split(scored, brand, own_labels, seed)
        model = brand_scorer.fit(
            train, train["label"].to_list(), (train["brand"] == brand).to_numpy(), settings=chosen
        )
        row = _fold_row(brand, own_labels, test, model.predict(test)["polarity"])
        mean = inner.filter(pl.col("settings") == chosen.describe())["macro_f1"][0]
        rows.append(
            {**row, "draw": seed, "settings": chosen, "inner_macro_f1": mean, "inner": inner}
        )
    return rows


def markdown_nested(rows: list[dict]) -> str:
    """The nested folds as a Markdown table."""
    lines = [
        "| draw | held out | chosen on the other four | inner macro-F1 | n reported "
        "| labelled neg | reported neg | accuracy | macro-F1 | lexicon accuracy "
        "| lexicon macro-F1 | criterion |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['draw']} | {r['held_out']} | {r['settings'].describe()} | "
            f"{r['inner_macro_f1']:.3f} | "
            f"{r['n']:,} | "
            f"{r['labelled_negative']:.1%} | {r['reported_negative']:.1%} | {r['accuracy']:.3f} "
            f"| {r['macro_f1']:.3f} | {r['lexicon_accuracy']:.3f} | {r['lexicon_macro_f1']:.3f} "
            f"| {criterion(r)} |"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------ Portuguese, real text
OLIST_REVIEWS = (
    Path(__file__).resolve().parent.parent
    / "tests/fixtures/real/olist_ecommerce_sample15k/olist_order_reviews_dataset.csv.gz"
)


def portuguese_reviews(path: Path = OLIST_REVIEWS, supplied: str | None = None) -> dict:
    """The default scorer on real Brazilian customer reviews (Olist) with a comment:
    a review scored 1-2 stars is labelled negative, 3-5 not. Language detected (as a
    new user's reviews arrive, without a language tag) unless `supplied`. Returns n,
    scored share, labelled and reported negative share, accuracy of negative vs not,
    precision and recall of negative, and the reported negative share per star."""
    reviews = portuguese_star_labels(path)
    scorer = build_scorer()
    texts = reviews["text"].to_list()
    scored = score_texts(
        scorer, texts, supplied=None if supplied is None else [supplied] * len(texts)
    )
    labelled = reviews["stars"] <= 2
    reported = (scored["polarity"] == "negative").fill_null(False)
    hits = int((labelled & reported).sum())
    stars = (
        reviews.select("stars")
        .with_columns(negative=reported)
        .group_by("stars")
        .agg(pl.col("negative").mean())
        .sort("stars")
    )
    return {
        "n": reviews.height,
        "scored_share": float(scored["sentiment"].is_not_null().mean()),
        "portuguese_share": float((scored["lang"] == "pt").mean()),
        "labelled_negative": float(labelled.mean()),
        "reported_negative": float(reported.mean()),
        "accuracy": float((labelled == reported).mean()),
        "precision": hits / max(int(reported.sum()), 1),
        "recall": hits / max(int(labelled.sum()), 1),
        "negative_by_stars": dict(stars.iter_rows()),
    }


def portuguese_star_labels(path: Path = OLIST_REVIEWS) -> pl.DataFrame:
    """Olist reviews with a comment, three classes from the stars a customer gave:
    1-2 negative, 3 neutral, 4-5 positive; columns review_id, stars, label, text."""
    reviews = pl.read_csv(path, infer_schema_length=0).filter(
        pl.col("review_comment_message").str.strip_chars().str.len_chars() > 0
    )
    stars = pl.col("review_score").cast(pl.Int32)
    return reviews.select(
        "review_id",
        stars=stars,
        label=pl.when(stars <= 2)
        .then(pl.lit("negative"))
        .when(stars == 3)
        .then(pl.lit("neutral"))
        .otherwise(pl.lit("positive")),
        text="review_comment_message",
    )


def portuguese_brand_adapted(draws: int = 3, own_labels: int = OWN_LABELS) -> list[dict]:
    """The brand-adapted scorer with its shipped settings on a brand and a language it
    was never developed on: `own_labels` Olist reviews drawn at random (seed 1..draws)
    are the brand's labels, the only training set (no other Portuguese labels exist);
    reported on the remaining reviews beside the lexicon scorer. Also what the pipeline
    would decide from those labels alone: its cross-validated macro-F1 of both scorers
    and whether it would read Portuguese with the supervised one. One row per draw."""
    from analytics import brand_scorer

    reviews = portuguese_star_labels()
    scored = reviews.drop("text").hstack(score_texts(build_scorer(), reviews["text"].to_list()))
    rows = []
    for seed in range(1, draws + 1):
        shuffled = scored.sample(fraction=1.0, shuffle=True, seed=seed)
        train, test = shuffled.head(own_labels), shuffled.slice(own_labels)
        model = brand_scorer.fit(train, train["label"].to_list())
        row = _fold_row(f"Olist, draw {seed}", own_labels, test, model.predict(test)["polarity"])
        cv, folds = brand_scorer.cross_validate(train, train["label"].to_list())
        quality = brand_scorer.quality_table(cv, folds).filter(pl.col("lang") == "all")
        by_scorer = {r["scorer"]: r for r in quality.iter_rows(named=True)}
        row |= {
            "seed": seed,
            "cv_lexicon_macro_f1": by_scorer["lexicon"]["macro_f1"],
            "cv_supervised_macro_f1": by_scorer["supervised"]["macro_f1"],
            "pipeline_uses_supervised": by_scorer["supervised"]["is_used"],
        }
        rows.append(row)
    return rows


def markdown_portuguese_brand_adapted(rows: list[dict]) -> str:
    lines = [
        "| draw | n reported | labelled neg | reported neg | accuracy | macro-F1 | F1 neg / neu / pos "
        "| lexicon accuracy | lexicon macro-F1 | pipeline's CV macro-F1, supervised / lexicon "
        "| criterion |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        f1 = r["class_f1"]
        lines.append(
            f"| {r['seed']} | {r['n']:,} | {r['labelled_negative']:.1%} | "
            f"{r['reported_negative']:.1%} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | "
            f"{f1['negative']:.2f} / {f1['neutral']:.2f} / {f1['positive']:.2f} | "
            f"{r['lexicon_accuracy']:.3f} | {r['lexicon_macro_f1']:.3f} | "
            f"{r['cv_supervised_macro_f1']:.3f} / {r['cv_lexicon_macro_f1']:.3f} | {criterion(r)} |"
        )
    return "\n".join(lines)
