"""The brand-adapted scorer: a supervised classifier trained at run time on the texts a
brand labelled itself (landing entity social/labelled_texts), with scikit-learn.

Features: TF-IDF of the masked text's words (1-2 grams, emoji and !/? kept as tokens)
and character 2-4 grams within words, plus the lexicon scorer's own reading (generic
score, complaint penalty, final score, negative/positive flags), so the classifier
starts from the lexicon and learns what the brand's texts add. Model: a linear
logistic model fitted by SGD (SGDClassifier, log loss), no download, a few seconds.

Brand adaptation: when the training set mixes the brand's labels with other texts
(the evaluation: other airlines' labels plus 300 of the held-out airline's), the
brand's own texts weigh OWN_WEIGHT times more, and the predicted class probabilities
are re-weighted from the training set's class shares to the shares among the brand's
own labels (prior shift): a brand whose customers complain less than the other
brands' is not read as complaining as much as they do.

A supervised label becomes a score in [-1, 1] that keeps the polarity thresholds of
the dbt models (-0.05 / +0.05): negative -> -P(negative), positive -> P(positive),
neutral -> (P(positive) - P(negative)) x 0.049.

Measured leave one airline out (analytics/voice_eval.py `brand_adapted_folds`,
docs/voice_evaluation.md): the default settings (DEFAULT_SETTINGS) were chosen among
the candidates of `candidate_settings` looking at all five folds, then fixed; the
nested evaluation (`nested_brand_adapted_folds`) chooses again per held-out airline
on the other four only: it picks these settings in 3 of 15 folds (the best candidates
are near-ties) and meets issue 19's criterion in 12 of 15. Figures are per fold,
never the best fold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

LABELS = ("negative", "neutral", "positive")
OWN_WEIGHT = 3.0
SGD_ALPHA = 2e-5
SGD_EPOCHS = 30
CV_FOLDS = 5
# a language is read by the classifier only with at least this many labelled texts
MIN_LABELS_PER_LANGUAGE = 50
_TOKENS = r"(?u)\b\w+\b|[!?]|[\U0001f300-\U0001faff\u2600-\u27bf]"
NEUTRAL_SPAN = 0.049  # a neutral text's score stays inside the neutral band


def lexicon_features(frame: pl.DataFrame) -> np.ndarray:
    """The lexicon scorer's reading (columns generic, complaint_penalty, sentiment of
    analytics.sentiment.score_texts), unscored as 0."""
    sentiment = frame["sentiment"].fill_null(0.0).to_numpy()
    return np.column_stack(
        [
            frame["generic"].fill_null(0.0).to_numpy(),
            frame["complaint_penalty"].fill_null(0.0).to_numpy(),
            sentiment,
            sentiment <= -0.05,
            sentiment >= 0.05,
        ]
    ).astype(float)


@dataclass(frozen=True)
class Settings:
    """The scorer's choices (the candidates of the nested evaluation): the model, the
    lexicon's reading as features, OWN_WEIGHT on the brand's own texts when others are
    mixed in, and the prior shift to the brand's own labels' class shares."""

    model: str = "sgd_log_loss"  # one of MODELS
    lexicon_features: bool = True
    own_weight: bool = True
    prior_shift: bool = True

    @property
    def adaptations(self) -> int:
        return self.lexicon_features + self.own_weight + self.prior_shift

    def describe(self) -> str:
        parts = [self.model.replace("_", " ")]
        parts += [
            name
            for name, on in (
                ("lexicon", self.lexicon_features),
                (f"{OWN_WEIGHT:g}x own", self.own_weight),
                ("prior shift", self.prior_shift),
            )
            if on
        ]
        return " + ".join(parts)


# simplest first (the nested selection's tie-break): linear SVM and logistic regression
# with the same L2 strength as the SGD models (C = 1 / (SGD_ALPHA x texts))
MODELS = ("logistic_regression", "linear_svm", "sgd_modified_huber", "sgd_log_loss")
DEFAULT_SETTINGS = Settings()


def candidate_settings() -> tuple[Settings, ...]:
    """The four models x lexicon features x own weight x prior shift (32), fewest
    adaptations first, then MODELS order."""
    grid = [
        Settings(model, lexicon, weight, prior)
        for model in MODELS
        for lexicon in (False, True)
        for weight in (False, True)
        for prior in (False, True)
    ]
    return tuple(sorted(grid, key=lambda s: (s.adaptations, MODELS.index(s.model))))


@dataclass
class TextFeatures:
    """Word and character TF-IDF fitted on the training texts, and the lexicon's reading
    as the last LEXICON_COLUMNS columns."""

    words: object
    chars: object

    @classmethod
    def fit(cls, frame: pl.DataFrame) -> TextFeatures:
        from sklearn.feature_extraction.text import TfidfVectorizer

        text = frame["opinion_text"].fill_null("").to_list()
        words = TfidfVectorizer(
            ngram_range=(1, 2), min_df=2, sublinear_tf=True, token_pattern=_TOKENS
        )
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True)
        return cls(words.fit(text), chars.fit(text))

    def matrix(self, frame: pl.DataFrame):
        import scipy.sparse as sp

        text = frame["opinion_text"].fill_null("").to_list()
        return sp.hstack(
            [
                self.words.transform(text),
                self.chars.transform(text),
                sp.csr_matrix(lexicon_features(frame)),
            ]
        ).tocsr()


LEXICON_COLUMNS = 5  # lexicon_features' columns


@dataclass
class BrandModel:
    features: TextFeatures
    model: object
    prior_ratio: np.ndarray  # per class in model.classes_: brand share / training share
    settings: Settings = DEFAULT_SETTINGS

    def _columns(self, matrix):
        return matrix if self.settings.lexicon_features else matrix[:, :-LEXICON_COLUMNS]

    def probabilities(self, frame: pl.DataFrame, matrix=None) -> np.ndarray:
        """P(class) per row, in LABELS order, after the prior shift (if set); `matrix`:
        the frame's TextFeatures matrix when already computed."""
        matrix = self.features.matrix(frame) if matrix is None else matrix
        raw = self.model.predict_proba(self._columns(matrix))
        if self.settings.prior_shift:
            raw = raw * self.prior_ratio
            raw = raw / raw.sum(axis=1, keepdims=True)
        order = [
            list(self.model.classes_).index(c) if c in self.model.classes_ else None for c in LABELS
        ]
        return np.column_stack([raw[:, i] if i is not None else np.zeros(len(raw)) for i in order])

    def predict(self, frame: pl.DataFrame, matrix=None) -> pl.DataFrame:
        """Columns polarity and sentiment (score in [-1, 1], see the module)."""
        p = self.probabilities(frame, matrix)
        label = np.array(LABELS)[p.argmax(axis=1)]
        score = np.where(
            label == "negative",
            -p[:, 0],
            np.where(label == "positive", p[:, 2], (p[:, 2] - p[:, 0]) * NEUTRAL_SPAN),
        )
        return pl.DataFrame({"polarity": label, "sentiment": score})


def _classifier(model: str, texts: int, seed: int):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.svm import LinearSVC

    c = 1.0 / (SGD_ALPHA * texts)
    if model == "logistic_regression":
        return LogisticRegression(C=c, max_iter=1000)
    if model == "linear_svm":  # calibrated, so that it has probabilities to shift
        # liblinear's default 1,000 iterations left some airline folds unconverged
        svm = LinearSVC(C=c, max_iter=10_000, random_state=seed)
        return CalibratedClassifierCV(svm, cv=3)
    loss = {"sgd_modified_huber": "modified_huber", "sgd_log_loss": "log_loss"}[model]
    return SGDClassifier(
        loss=loss, alpha=SGD_ALPHA, max_iter=SGD_EPOCHS, tol=None, random_state=seed
    )


def fit_candidates(
    frame: pl.DataFrame,
    labels: list[str],
    own: np.ndarray | None,
    candidates: tuple[Settings, ...],
    seed: int = 0,
) -> tuple[TextFeatures, dict[Settings, BrandModel]]:
    """Each candidate fitted on `frame`, all on the same TextFeatures; candidates that
    differ only in the prior shift share one classifier (the shift reads its output)."""
    y = np.asarray(labels)
    own = np.ones(len(y), dtype=bool) if own is None else np.asarray(own, dtype=bool)
    features = TextFeatures.fit(frame)
    matrix = features.matrix(frame)
    fitted: dict[tuple, tuple] = {}
    models = {}
    for settings in candidates:
        key = (settings.model, settings.lexicon_features, settings.own_weight)
        if key not in fitted:
            mixed = settings.own_weight and not own.all()
            weight = np.where(own, OWN_WEIGHT, 1.0) if mixed else np.ones(len(y))
            columns = matrix if settings.lexicon_features else matrix[:, :-LEXICON_COLUMNS]
            model = _classifier(settings.model, len(y), seed)
            model.fit(columns, y, sample_weight=weight)
            training = np.array([np.average(y == c, weights=weight) for c in model.classes_])
            brand = np.array([(y[own] == c).mean() for c in model.classes_]) + 1e-3
            fitted[key] = (model, brand / training)
        model, ratio = fitted[key]
        models[settings] = BrandModel(features, model, ratio, settings)
    return features, models


def fit(
    frame: pl.DataFrame,
    labels: list[str],
    own: np.ndarray | None = None,
    seed: int = 0,
    settings: Settings = DEFAULT_SETTINGS,
) -> BrandModel:
    """Fit on `frame` (score_texts columns) and its labels; `own` marks the brand's own
    texts when others are mixed in (weight and prior shift), default all own."""
    return fit_candidates(frame, labels, own, (settings,), seed)[1][settings]


def metrics(label: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    """Three-class accuracy and macro-F1 (an unscored prediction, null, is wrong)."""
    from sklearn.metrics import f1_score

    predicted = np.where(pl.Series(predicted).is_null().to_numpy(), "unscored", predicted)
    accuracy = float((label == predicted).mean()) if len(label) else float("nan")
    macro = float(f1_score(label, predicted, labels=list(LABELS), average="macro", zero_division=0))
    return accuracy, macro


def cross_validate(
    frame: pl.DataFrame, labels: list[str], folds: int = CV_FOLDS, seed: int = 0
) -> tuple[pl.DataFrame, int]:
    """Out-of-fold predictions of both scorers on the same stratified folds: columns
    lang, label, lexicon (the lexicon scorer's polarity, not fitted) and supervised
    (null when there are too few labels for two folds); and the folds used."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels)
    counts = pl.Series(y).value_counts()["count"]
    folds = int(min(folds, counts.min())) if counts.len() > 1 else 0
    supervised = np.full(len(y), None, dtype=object)
    if folds >= 2:
        split = StratifiedKFold(folds, shuffle=True, random_state=seed)
        for train, test in split.split(np.zeros(len(y)), y):
            model = fit(frame[train], list(y[train]), seed=seed)
            supervised[test] = model.predict(frame[test])["polarity"].to_numpy()
    predictions = pl.DataFrame(
        {
            "lang": frame["lang"],
            "label": y,
            "lexicon": frame["polarity"],
            "supervised": pl.Series(supervised.tolist(), dtype=pl.String),
        }
    )
    return predictions, max(folds, 0)


def quality_table(cv: pl.DataFrame, folds: int) -> pl.DataFrame:
    """One row per language (and 'all') x scorer: labelled texts, accuracy, macro-F1,
    labelled and predicted negative share, and whether the pipeline uses the
    supervised scorer for that language (enough labels, higher macro-F1)."""
    rows = []
    groups = [("all", cv)] + [
        (lang, part) for (lang,), part in cv.group_by("lang", maintain_order=True) if lang
    ]
    for lang, part in sorted(groups, key=lambda g: g[0]):
        label = part["label"].to_numpy()
        results = {}
        for scorer in ("lexicon", "supervised"):
            predicted = part[scorer].to_numpy()
            accuracy, macro = metrics(label, predicted)
            # an unscored text is not negative, as in voice_of_market
            negative = float((part[scorer] == "negative").fill_null(False).mean())
            results[scorer] = (accuracy, macro, negative)
        enough = part.height >= MIN_LABELS_PER_LANGUAGE and part["supervised"].null_count() == 0
        chosen = enough and results["supervised"][1] > results["lexicon"][1]
        for scorer, (accuracy, macro, negative) in results.items():
            rows.append(
                {
                    "lang": lang,
                    "scorer": scorer,
                    "labelled_texts": part.height,
                    "cv_folds": folds,
                    "accuracy": accuracy,
                    "macro_f1": macro,
                    "labelled_negative_share": float((part["label"] == "negative").mean()),
                    "predicted_negative_share": negative,
                    "is_used": chosen if scorer == "supervised" else not chosen,
                }
            )
    return pl.DataFrame(rows, schema=QUALITY_SCHEMA)


QUALITY_SCHEMA = {
    "lang": pl.String,
    "scorer": pl.String,
    "labelled_texts": pl.Int64,
    "cv_folds": pl.Int64,
    "accuracy": pl.Float64,
    "macro_f1": pl.Float64,
    "labelled_negative_share": pl.Float64,
    "predicted_negative_share": pl.Float64,
    "is_used": pl.Boolean,
}


def supervised_languages(quality: pl.DataFrame) -> list[str]:
    """Languages (not 'all') whose texts the supervised scorer reads."""
    chosen = quality.filter(
        (pl.col("scorer") == "supervised") & pl.col("is_used") & (pl.col("lang") != "all")
    )
    return sorted(chosen["lang"].to_list())
