"""The scoring cache: each distinct text scored once, only new texts on a rerun."""

import duckdb
import polars as pl
import pytest

from analytics.sentiment import minhash_bands
from analytics.text_scores import BANDS_FILE, SCORES_FILE, update_text_scores


def _warehouse(path, texts):
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists staging")
    con.register("incoming", pl.DataFrame({"text": texts}).to_arrow())
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
