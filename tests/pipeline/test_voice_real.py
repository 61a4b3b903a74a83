"""The airline tweets (crowd-labelled, real) run through the whole pipeline: the
negative share the published voice_of_market reports against the labelled share, in
all and per airline, with the airlines' names given as TC_BRAND_TERMS (masked before
scoring). The leave-one-airline-out evaluation of the scorer itself is
tests/unit/test_voice_eval.py."""

from pathlib import Path

import polars as pl
import pytest

from analytics.voice_eval import all_brand_terms
from tests.conftest import environment, settings_for
from tests.pipeline.conftest import PipelineWorld

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("voice")]
AIRLINE = (
    Path(__file__).resolve().parent.parent
    / "fixtures/real/twitter_us_airline_sentiment_dev/Tweets_dev.csv.gz"
)


def test_airline_tweets_negative_share_and_accuracy(tmp_path):
    tweets = pl.read_csv(AIRLINE, infer_schema_length=0)
    landing = tmp_path / "landing"
    (landing / "social" / "activities").mkdir(parents=True)
    tweets.select(
        platform=pl.lit("twitter"),
        activity_id=pl.col("tweet_id"),
        account_id=pl.col("name"),
        activity_type=pl.lit("mention"),
        # "2015-02-24 11:35:52 -0800" -> UTC
        created_at=pl.col("tweet_created")
        .str.to_datetime("%Y-%m-%d %H:%M:%S %z")
        .dt.convert_time_zone("UTC")
        .dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        text=pl.col("text"),
    ).write_csv(landing / "social" / "activities" / "airline_tweets.csv")
    pw = PipelineWorld(tmp_path, settings_for(landing, tmp_path / "warehouse"), {}, None)
    with environment(TC_BRAND_TERMS=",".join(all_brand_terms())):
        assert pw.run().success

    con = pw.published()
    try:
        mentions, negative, scored = con.execute(
            "select sum(mentions), sum(negative_mentions), sum(scored_mentions) "
            "from marts.voice_of_market where topic = 'all'"
        ).fetchone()
    finally:
        con.close()
    wh = pw.warehouse()
    try:
        predicted = wh.sql(
            "select activity_id, case when is_negative then 'negative' when is_positive "
            "then 'positive' else 'neutral' end as predicted, sentiment_source "
            "from intermediate.int_activities_scored"
        ).pl()
    finally:
        wh.close()
    labelled = (tweets["airline_sentiment"] == "negative").mean()
    reported = negative / mentions
    joined = tweets.join(predicted, left_on="tweet_id", right_on="activity_id")
    accuracy = (joined["predicted"] == joined["airline_sentiment"]).mean()
    print(
        f"airline tweets: {mentions} mentions, {scored} scored; negative share labelled "
        f"{labelled:.3f}, reported {reported:.3f}; three-class accuracy {accuracy:.3f}"
    )
    assert mentions == tweets["tweet_id"].n_unique()
    assert scored >= 0.99 * mentions  # nearly all English; the rest is counted unscored
    assert abs(reported - labelled) <= 0.10
    assert accuracy >= 0.6
    by_airline = (
        joined.group_by("airline")
        .agg(
            n=pl.len(),
            labelled=(pl.col("airline_sentiment") == "negative").mean(),
            reported=(pl.col("predicted") == "negative").mean(),
        )
        .sort("airline")
    )
    print(by_airline)
    assert by_airline.height == 5
    assert ((by_airline["reported"] - by_airline["labelled"]).abs() <= 0.10).all()
