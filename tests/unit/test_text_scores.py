"""The scoring cache: each distinct text scored once, only new texts on a rerun."""

import duckdb
import numpy as np
import polars as pl
import pytest

from analytics.sentiment import minhash_bands
from analytics.text_scores import BANDS_FILE, SCORES_FILE, update_text_scores


def _warehouse(path, texts, langs=None):
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists staging")
    langs = [None] * len(texts) if langs is None else langs
    frame = pl.DataFrame(
        {"text": texts, "lang": langs}, schema={"text": pl.String, "lang": pl.String}
    )
    con.register("incoming", frame.to_arrow())
    con.execute("create or replace table staging.stg_social__activities as select * from incoming")
    con.unregister("incoming")
    return con


def test_each_distinct_text_is_scored_once_and_only_new_ones_on_a_rerun(tmp_path):
    analytics = tmp_path / "analytics"
    first = ["The blender is great", "The blender is great", "Parcel never arrived", None, " "]
    con = _warehouse(tmp_path / "w.duckdb", first)
    run = update_text_scores(con, analytics, workers=1)
    assert (run.scored_now, run.distinct_texts) == (2, 2)
    again = update_text_scores(con, analytics, workers=1)
    assert (again.scored_now, again.distinct_texts) == (0, 2)

    con = _warehouse(
        tmp_path / "w.duckdb", [*first, "Le colis est perdu 😡", "Il pacco è arrivato"]
    )
    later = update_text_scores(con, analytics, workers=1)
    assert (later.scored_now, later.distinct_texts) == (2, 4)
    assert later.unsupported_language == 1  # Italian: null, counted, never guessed
    scores = pl.read_parquet(analytics / SCORES_FILE)
    assert scores["text_hash"].n_unique() == 4
    assert "text" not in scores.columns  # texts (possibly private messages) are not kept
    expected = con.execute("select md5('Parcel never arrived')").fetchone()[0]
    row = scores.filter(pl.col("text_hash") == expected).row(0, named=True)
    assert row["polarity"] == "negative" and row["lang_detected"] == "en"
    bands = pl.read_parquet(analytics / BANDS_FILE)
    assert bands.group_by("text_hash").len()["len"].unique().to_list() == [6]


def test_a_changed_scorer_rescores_everything(tmp_path, monkeypatch):
    analytics = tmp_path / "analytics"
    con = _warehouse(tmp_path / "w.duckdb", ["Love it", "Hate it"])
    update_text_scores(con, analytics, workers=1)
    monkeypatch.setattr("analytics.text_scores.scorer_version", lambda *_: "another")
    rerun = update_text_scores(con, analytics, workers=1)
    assert (rerun.scored_now, rerun.distinct_texts) == (2, 2)


def test_scoring_in_worker_processes_equals_one_process():
    from analytics.sentiment import build_scorer, score_and_hash, score_texts

    texts = [f"Order {i} never arrived, awful" if i % 2 else f"Merci {i} !" for i in range(60)]
    scores, bands = score_and_hash(texts, workers=2, chunk=25)
    assert scores.equals(score_texts(build_scorer(), texts))
    assert bands.sort("band_no", "text_index").equals(
        minhash_bands(texts).sort("band_no", "text_index")
    )


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        (
            "Boycott this brand! Your sourcing is a scandal #boycott",
            "BOYCOTT this brand!! your sourcing is a SCANDAL #Boycott 😡",
            True,
        ),
        (
            "The battery is terrible, very disappointed. Bought it in March. Paid by card.",
            "The battery is terrible, very disappointed. Living in Leeds. Took the red one.",
            False,
        ),
    ],
)
def test_near_duplicates_share_a_band_key(a, b, near):
    bands = minhash_bands([a, b])
    keys = bands.group_by("text_index").agg(pl.col("band_key"))
    shared = set(keys.sort("text_index")["band_key"][0]) & set(
        keys.sort("text_index")["band_key"][1]
    )
    assert bool(shared) is near


def test_the_brand_accounts_handles_and_brand_terms_are_masked(tmp_path):
    from analytics.text_scores import scorer_version

    con = _warehouse(tmp_path / "w.duckdb", ["love United", "my Amazon order arrives on Monday"])
    con.execute(
        "create table staging.stg_social__accounts as select 'twitter' as platform, "
        "'u1' as account_id, 'United' as handle, true as is_brand"
    )
    run = update_text_scores(con, tmp_path / "a", workers=1, brand_terms=("Amazon",))
    assert run.scored_now == 2
    scores = pl.read_parquet(tmp_path / "a" / SCORES_FILE).sort("text_hash")
    amazon = con.execute("select md5('my Amazon order arrives on Monday')").fetchone()[0]
    # 'amazon' is +0.7 in VADER's lexicon: masked, the rest is neutral
    row = scores.filter(pl.col("text_hash") == amazon).row(0, named=True)
    assert row["generic_sentiment"] == 0.0
    assert row["scorer_version"] == scorer_version(("amazon", "united"))
    assert scorer_version(("united",)) != scorer_version(("amazon", "united"))


def test_a_supplied_language_is_used_and_not_detected(tmp_path, monkeypatch):
    calls = []
    import analytics.sentiment as sentiment

    real = sentiment.detect_languages

    def spy(scorer, texts, masked=None):
        calls.append(list(texts))
        return real(scorer, texts, masked)

    monkeypatch.setattr(sentiment, "detect_languages", spy)
    texts = ["Produto chegou quebrado, péssimo", "The parcel never arrived"]
    con = _warehouse(tmp_path / "w.duckdb", texts, ["pt-BR", None])
    update_text_scores(con, tmp_path / "a", workers=1)
    scores = pl.read_parquet(tmp_path / "a" / SCORES_FILE)
    by_hash = dict(zip(scores["text_hash"], scores["lang_detected"], strict=True))
    hashes = [con.execute("select md5(?)", [t]).fetchone()[0] for t in texts]
    assert [by_hash[h] for h in hashes] == ["pt", "en"]
    # only the text without a supplied language went through the detector
    assert calls == [["The parcel never arrived"]]


def _labels(con, rows):
    frame = pl.DataFrame(rows, schema=["label_id", "text", "label"], orient="row")
    con.register("labels", frame.to_arrow())
    con.execute(
        "create or replace table staging.stg_social__labelled_texts as "
        "select label_id, text, md5(text) as text_hash, label from labels"
    )
    con.unregister("labels")


def test_labelled_texts_train_a_scorer_used_where_it_measures_better(tmp_path):
    """Brand words no lexicon knows ("zorbed" = broken, "glimmy" = great): the
    supervised scorer learns them from the brand's labels, measures better on the
    same folds, and scores the brand's texts; the quality table says so."""
    from analytics.text_scores import QUALITY_FILE

    rng = np.random.default_rng(0)
    things = ["kettle", "parcel", "app", "order", "lamp", "plan", "card", "bag"]
    words = {"negative": "zorbed", "neutral": "in stock", "positive": "glimmy"}
    rows = []
    for i in range(180):
        label = ["negative", "neutral", "positive"][i % 3]
        thing = things[rng.integers(len(things))]
        rows.append((f"L{i}", f"my {thing} is {words[label]} number {i}", label))
    texts = ["the lamp is zorbed again", "the kettle is glimmy today", "Le colis est perdu"]
    con = _warehouse(tmp_path / "w.duckdb", texts, [None, None, "fr"])
    _labels(con, rows)
    run = update_text_scores(con, tmp_path / "a", workers=1)
    assert run.labelled_texts == 180 and run.supervised_languages == ["en"]
    quality = pl.read_parquet(tmp_path / "a" / QUALITY_FILE)
    en = {r["scorer"]: r for r in quality.filter(pl.col("lang") == "en").iter_rows(named=True)}
    assert en["supervised"]["macro_f1"] > en["lexicon"]["macro_f1"]
    assert en["supervised"]["is_used"] and not en["lexicon"]["is_used"]
    everything = quality.filter(pl.col("lang") == "all")
    assert everything["labelled_texts"].to_list() == [180, 180]
    assert en["supervised"]["cv_folds"] == 5 and en["supervised"]["labelled_texts"] >= 150
    scores = pl.read_parquet(tmp_path / "a" / SCORES_FILE)
    got = {
        t: scores.filter(pl.col("text_hash") == con.execute("select md5(?)", [t]).fetchone()[0])
        .select("polarity", "scorer")
        .row(0)
        for t in texts
    }
    assert got[texts[0]] == ("negative", "supervised")
    assert got[texts[1]] == ("positive", "supervised")
    # French has no labels: the lexicon scorer reads it
    assert got[texts[2]] == ("negative", "lexicon")


def test_without_labels_the_quality_table_is_empty_and_nothing_is_supervised(tmp_path):
    from analytics.text_scores import QUALITY_FILE

    con = _warehouse(tmp_path / "w.duckdb", ["Love it"])
    run = update_text_scores(con, tmp_path / "a", workers=1)
    assert run.supervised_languages == [] and run.labelled_texts == 0
    assert pl.read_parquet(tmp_path / "a" / QUALITY_FILE).height == 0
    assert pl.read_parquet(tmp_path / "a" / SCORES_FILE)["scorer"].to_list() == ["lexicon"]
