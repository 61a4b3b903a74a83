"""Leave-one-brand-out evaluation of the sentiment scorer on the labelled airline tweets
(tests/fixtures/real/twitter_us_airline_sentiment_dev): each airline held out in turn,
the scorer's constants fitted on the other airlines only (analytics/voice_eval.py)."""

import math

import polars as pl
import pytest

from analytics import brand_scorer as bs
from analytics import voice_eval as ve
from analytics.sentiment import COMPLAINT_OVERRIDE, build_scorer

AIRLINES = ["American", "Delta", "Southwest", "US Airways", "Virgin America"]


@pytest.fixture(scope="module")
def tweets():
    return ve.load_airline_tweets()


@pytest.fixture(scope="module")
def scorer():
    return build_scorer(brand_terms=ve.all_brand_terms())


@pytest.fixture(scope="module")
def scored(tweets, scorer):
    return ve.score_once(tweets, scorer)


def test_fold_metrics_on_a_known_case():
    label = pl.Series(["negative", "negative", "neutral", "positive", "positive", "neutral"])
    predicted = pl.Series(["negative", "neutral", "neutral", "positive", None, "negative"])
    m = ve.fold_metrics(label, predicted)
    assert m["n"] == 6
    assert m["labelled_negative"] == pytest.approx(2 / 6)
    assert m["reported_negative"] == pytest.approx(2 / 6)
    assert m["accuracy"] == pytest.approx(3 / 6)
    # F1: negative 2*1/(2+2), neutral 2*1/(2+2), positive 2*1/(2+1)
    assert m["macro_f1"] == pytest.approx((0.5 + 0.5 + 2 / 3) / 3)
    assert m["confusion"]["positive"] == {
        "negative": 0,
        "neutral": 0,
        "positive": 1,
        "unscored": 1,
    }


def test_each_held_out_airline_is_never_seen_by_the_fitting(scored, scorer):
    seen = []

    def spy(dev, terms):
        seen.append(set(dev["brand"].unique()))
        return ve.fit(dev, terms)

    folds = ve.leave_one_brand_out(scored, scorer.terms, fitter=spy)
    assert [f["held_out"] for f in folds] == AIRLINES
    for fold, dev_brands in zip(folds, seen, strict=True):
        assert fold["held_out"] not in dev_brands
        assert dev_brands == set(AIRLINES) - {fold["held_out"]}


def test_leave_one_brand_out_negative_share_within_10_points(scored, scorer):
    folds = ve.leave_one_brand_out(scored, scorer.terms)
    print("\n" + ve.markdown_table(folds))
    for fold in folds:
        gap = fold["reported_negative"] - fold["labelled_negative"]
        assert abs(gap) <= 0.10, (fold["held_out"], gap)
        assert fold["accuracy"] >= 0.6, fold
        assert 0.5 <= fold["macro_f1"] <= 1, fold  # reported per fold; three classes
        assert sum(sum(r.values()) for r in fold["confusion"].values()) == fold["n"]


def test_the_shipped_override_is_what_the_protocol_fits_on_every_airline(scored, scorer):
    # the default is the same procedure run on all five airlines, not a hand-set value
    fitted = ve.fit(scored, scorer.terms)
    assert fitted.override == COMPLAINT_OVERRIDE
    assert math.isfinite(fitted.dev_objective)
    # and the default scorer's own figures meet the bar on every airline (in-sample)
    for row in ve.per_brand(scored, scorer.terms, COMPLAINT_OVERRIDE):
        assert abs(row["reported_negative"] - row["labelled_negative"]) <= 0.10, row


def test_a_handle_that_is_a_positive_word_no_longer_moves_the_figures(tweets):
    """Issue 19 reproduced on the labelled split: each airline's own handle written as
    '@united' (+1.8 in VADER's lexicon). Unmasked, every airline's negative share
    falls; masked, nothing changes."""
    rows = pl.DataFrame(ve.handle_check(tweets))
    share = rows.pivot(on="handle", index=["scorer", "held_out"], values="reported_negative")
    unmasked = share.filter(pl.col("scorer") == "no masking")
    masked = share.filter(pl.col("scorer") == "masking")
    assert (unmasked["own"] - unmasked["@united"]).min() > 0.04
    assert (masked["own"] == masked["@united"]).all()


def test_brand_adapted_scorer_meets_the_criterion_on_every_held_out_airline(tweets):
    """Issue 19: trained on the other airlines' labels plus 300 labelled texts of the
    held-out airline, three-class accuracy >= 0.75 and macro-F1 >= 0.65 on that
    airline's remaining texts, for every fold (never the best fold). The settings were
    chosen with these folds in view; chosen without them (nested, about 10 min a draw,
    not run here) the criterion holds on 12 of 15 folds: docs/voice_evaluation.md."""
    folds = ve.brand_adapted_folds(tweets)
    assert [f["held_out"] for f in folds] == AIRLINES
    for fold in folds:
        assert fold["n"] == len(tweets.filter(pl.col("brand") == fold["held_out"])) - 300
        assert fold["accuracy"] >= 0.75, fold
        assert fold["macro_f1"] >= 0.65, fold
        # and it reads the brand better than the lexicon scorer on the same texts
        assert fold["macro_f1"] > fold["lexicon_macro_f1"], fold


@pytest.fixture(scope="module")
def few_tweets(tweets):
    """120 tweets per airline: small enough for the nested machinery in seconds."""
    return tweets.filter(pl.int_range(pl.len()).shuffle(seed=7).over("brand") < 120)


FEW_OWN_LABELS = 40
TWO_CANDIDATES = (bs.Settings(prior_shift=False), bs.DEFAULT_SETTINGS)


def test_nested_selection_never_sees_the_held_out_airline(few_tweets):
    """The settings reported for a held-out airline are chosen from the other airlines'
    texts only: the selector never receives a text of the held-out airline (not even its
    labelled draw); one row per airline, the chosen settings among the candidates."""
    received = []

    def spy(dev, candidates, own_labels, seed):
        received.append(dev)
        return ve.select_settings(dev, candidates, own_labels, seed)

    folds = ve.nested_brand_adapted_folds(
        few_tweets, own_labels=FEW_OWN_LABELS, candidates=TWO_CANDIDATES, selector=spy
    )
    assert [f["held_out"] for f in folds] == AIRLINES
    for fold, dev in zip(folds, received, strict=True):
        held_ids = few_tweets.filter(pl.col("brand") == fold["held_out"])["tweet_id"]
        assert set(dev["brand"].unique()) == set(AIRLINES) - {fold["held_out"]}
        assert not dev["tweet_id"].is_in(held_ids.implode()).any()
        assert fold["settings"] in TWO_CANDIDATES
        assert fold["n"] == held_ids.len() - FEW_OWN_LABELS
        # every candidate scored on each of the four inner airlines, the chosen one best
        assert fold["inner"]["settings"].to_list() == [s.describe() for s in TWO_CANDIDATES]
        assert fold["inner_macro_f1"] == fold["inner"]["macro_f1"].max()


def test_nested_with_one_candidate_is_the_plain_protocol(few_tweets):
    """With one candidate, the nested folds report exactly what brand_adapted_folds
    reports with those settings (same draw, same training set, same fit), and other
    settings than the default's are what is fitted."""
    keys = ["held_out", "n", "reported_negative", "accuracy", "macro_f1", "lexicon_macro_f1"]

    def figures(rows):
        return [{k: r[k] for k in keys} for r in rows]

    other = bs.Settings(model="logistic_regression", prior_shift=False)
    nested = ve.nested_brand_adapted_folds(
        few_tweets, own_labels=FEW_OWN_LABELS, candidates=(other,)
    )
    plain = ve.brand_adapted_folds(few_tweets, own_labels=FEW_OWN_LABELS, settings=other)
    default = ve.brand_adapted_folds(few_tweets, own_labels=FEW_OWN_LABELS)
    assert figures(nested) == figures(plain)
    assert figures(nested) != figures(default)


def test_the_selection_rule_takes_the_best_mean_and_breaks_ties_to_the_simpler():
    candidates = bs.candidate_settings()
    assert len(candidates) == 32 and candidates[0].adaptations == 0
    assert candidates[-1] == bs.DEFAULT_SETTINGS  # all three adaptations, last model
    names = [s.describe() for s in candidates]
    means = pl.DataFrame({"settings": names, "macro_f1": [0.5] * 32})
    best = means.with_columns(
        macro_f1=pl.when(pl.col("settings").is_in([names[5], names[9]])).then(0.7).otherwise(0.5)
    )
    assert ve.choose_settings(best, candidates) == candidates[5]
    assert ve.choose_settings(best.reverse(), candidates) == candidates[5]
    assert ve.choose_settings(means.reverse(), candidates) == candidates[0]


def test_the_criterion_is_read_at_full_precision():
    # 1441 of 1922 right is 0.7497: a miss, though three decimals print 0.750
    assert ve.criterion({"accuracy": 1441 / 1922, "macro_f1": 0.74}) == "missed: accuracy 0.7497"
    assert ve.criterion({"accuracy": 0.75, "macro_f1": 0.65}) == "met"
    assert ve.criterion({"accuracy": 0.7, "macro_f1": 0.6}) == (
        "missed: accuracy 0.7000, macro-F1 0.6000"
    )


def test_portuguese_reviews_are_heard():
    """Issue 19: Portuguese customer reviews came out 99.7 % unscored. On the real Olist
    reviews (tests/fixtures/real), 1-2 stars labelled negative: measured 98.7 % scored,
    negative share 22.2 % against 26.8 % labelled, accuracy (negative or not) 0.82."""
    m = ve.portuguese_reviews()
    assert m["n"] > 6000
    assert m["scored_share"] >= 0.95
    assert abs(m["reported_negative"] - m["labelled_negative"]) <= 0.10
    assert m["accuracy"] >= 0.78
    # fewer stars, more negative readings
    by_stars = m["negative_by_stars"]
    assert by_stars[1] > by_stars[3] > by_stars[5]


def test_brand_adapted_scorer_on_a_brand_and_language_it_was_never_developed_on():
    """Out of sample for the brand-adapted scorer's settings (chosen on airline tweets):
    300 Olist reviews are a Portuguese brand's labels, the rest are reported. Measured
    (3 draws): accuracy 0.786-0.792 against the lexicon's 0.574-0.576, macro-F1
    0.575-0.584 against 0.505-0.508; the 3-star class is what holds macro-F1 under
    issue 19's 0.65 (docs/voice_evaluation.md). The pipeline, judging from the 300
    labels alone, reads Portuguese with the supervised scorer in every draw."""
    rows = ve.portuguese_brand_adapted(draws=2)
    for r in rows:
        assert r["n"] > 5800
        assert r["accuracy"] >= r["lexicon_accuracy"] + 0.15
        assert r["macro_f1"] >= r["lexicon_macro_f1"] + 0.04
        assert abs(r["reported_negative"] - r["labelled_negative"]) <= 0.05
        assert r["pipeline_uses_supervised"]
        assert r["class_f1"]["neutral"] < r["class_f1"]["negative"]


def test_a_complaint_rule_needs_negative_texts_and_an_exception_needs_the_opposite():
    """select_rules keeps a rule when its development texts lean the way its weight
    says: a complaint rule (positive weight) more negative than the rest, an exception
    (negative weight, an idiom that is not a complaint) less negative."""
    dev = pl.DataFrame(
        {
            "lang": ["en"] * 40,
            "opinion_text": ["late again"] * 10 + ["can't wait to go"] * 10 + ["ok"] * 20,
            "label": ["negative"] * 10 + ["positive"] * 10 + ["negative"] * 10 + ["neutral"] * 10,
        }
    )
    terms = pl.DataFrame(
        {
            "lang": ["en"] * 4,
            "pattern": [r"\blate\b", r"\bcan't wait to\b", r"\bcan't wait to\b", r"\blate\b"],
            "weight": [0.35, -0.55, 0.35, -0.55],
        }
    )
    kept = ve.select_rules(dev, terms)
    assert kept.rows() == [("en", r"\blate\b", 0.35), ("en", r"\bcan't wait to\b", -0.55)]
