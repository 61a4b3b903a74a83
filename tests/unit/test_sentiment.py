"""Sentiment scoring against planted polarity (generated texts) and crowd labels
(real airline tweets, tests/fixtures/real/twitter_us_airline_sentiment_dev)."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from analytics.sentiment import build_scorer, score_texts
from worlds.texts import build_texts

AIRLINE = (
    Path(__file__).resolve().parent.parent
    / "fixtures/real/twitter_us_airline_sentiment_dev/Tweets_dev.csv.gz"
)
LABEL = {-1: "negative", 0: "neutral", 1: "positive"}


@pytest.fixture(scope="module")
def scorer():
    return build_scorer()


@pytest.mark.parametrize("lang", ["en", "fr", "es", "pt", "de"])
def test_generated_texts_agree_with_their_planted_polarity(scorer, lang):
    """Issue 19: >= 90 % in each of the five languages. The templates were written as
    customers write, not from the lexicons; but the same person wrote both and fixed
    generic lexicon rules on these texts (docs/voice_languages.md): this shows each
    language is read end to end, not the accuracy on real text."""
    rng = np.random.default_rng(3)
    n = 1500
    polarity = rng.choice([-1, 0, 1], n)
    texts = build_texts(rng, np.full(n, lang), polarity, rng.integers(0, 6, n))
    scored = score_texts(scorer, list(texts))
    assert (scored["lang"] == lang).mean() >= 0.95
    agree = (scored["polarity"] == pl.Series([LABEL[p] for p in polarity])).mean()
    assert agree >= 0.90, agree


def test_negation_emoji_and_unsupported_languages(scorer):
    scored = score_texts(
        scorer,
        [
            "The new blender is good",
            "The new blender is not good at all",
            "Le mixeur est arrivé 😡😡",
            "El pedido llegó tarde y la caja estaba rota, muy mal servicio",
            "Die Lieferung war leider viel zu spät und beschädigt",
            "A entrega atrasou e a caixa chegou quebrada, péssimo atendimento",
            "La consegna è arrivata in ritardo e la scatola era rotta, pessimo servizio",
            "Het pakket kwam te laat en de doos was kapot, slechte service",
        ],
    )
    pol = scored["polarity"].to_list()
    assert pol[0] == "positive" and pol[1] == "negative"
    assert pol[2] == "negative"
    # Spanish, German, Portuguese are scored (issue 19)
    assert scored["lang"].to_list()[3:6] == ["es", "de", "pt"]
    assert pol[3:6] == ["negative", "negative", "negative"]
    # not covered (Italian, Dutch): counted with their language, never guessed
    assert scored["lang"].to_list()[6:] == ["it", "nl"]
    assert scored["sentiment"][6] is None and scored["sentiment"][7] is None


def test_airline_complaints_are_heard(scorer):
    tweets = pl.read_csv(AIRLINE, infer_schema_length=0)
    scored = score_texts(scorer, tweets["text"].to_list())
    labelled = (tweets["airline_sentiment"] == "negative").mean()
    reported = (scored["polarity"] == "negative").sum() / tweets.height
    accuracy = (scored["polarity"] == tweets["airline_sentiment"]).mean()
    print(
        f"negative share: labelled {labelled:.3f}, reported {reported:.3f}; "
        f"three-class accuracy {accuracy:.3f}"
    )
    assert abs(reported - labelled) <= 0.10
    # a generic lexicon alone reports far fewer: the complaint lexicon is what closes it
    generic_only = (scored["generic"] <= -0.05).sum() / tweets.height
    assert labelled - generic_only > 0.15


def test_handles_urls_and_brand_names_carry_no_opinion():
    from analytics.sentiment import brand_pattern, opinion_text

    brand = brand_pattern(["United", "United Airlines", "@Delta", "AT&T", " "])
    texts = [
        "@united my flight http://t.co/x9 tomorrow",
        "Flew United Airlines, then united again #NeverAgainDelta #GreatService",
        "mail me at x@example.com &lt;3 &amp; thanks AT&T",
        "@united",
    ]
    masked = pl.DataFrame({"t": texts}).select(opinion_text(pl.col("t"), brand))["t"]
    assert masked.to_list() == [
        "my flight tomorrow",
        "Flew , then again Never Again Great Service",
        "mail me at x@example.com <3 & thanks",
        "",
    ]
    # hashtags lose only their '#' when no brand is given
    plain = pl.DataFrame({"t": ["#united we stand"]}).select(opinion_text(pl.col("t")))
    assert plain["t"][0] == "united we stand"


def test_a_brand_name_with_valence_does_not_make_a_mention_positive():
    # VADER reads '@united' as 'united' (+1.8): every mention of the brand was positive
    bare = score_texts(build_scorer(), ["@united flight 1234 to Denver tomorrow"])
    assert bare["polarity"][0] == "neutral" and bare["generic"][0] == 0.0
    named = ["United flight 1234 to Denver tomorrow", "@united", "https://t.co/united"]
    scored = score_texts(build_scorer(brand_terms=["United"]), named)
    assert scored["polarity"].to_list() == ["neutral"] * 3
    assert scored["lang"].to_list()[1:] == ["zxx", "zxx"]  # nothing left to read
    unmasked = score_texts(build_scorer(), named[:1])
    assert unmasked["polarity"][0] == "positive"  # what the brand's name did before


def test_the_complaint_penalty_does_not_depend_on_the_order_of_the_terms():
    """A float sum's last bit depends on the order of its terms (0.1 + 0.2 + 0.3 is
    0.6000000000000001, 0.3 + 0.2 + 0.1 is 0.6); the same text must get the same
    penalty on every run, whatever order polars adds them in."""
    from analytics.sentiment import complaint_penalty

    frame = pl.DataFrame({"lang": ["en"], "opinion_text": ["late lost refund"]})
    terms = pl.DataFrame(
        {"lang": ["en"] * 3, "pattern": ["late", "lost", "refund"], "weight": [0.1, 0.2, 0.3]}
    )
    forward = complaint_penalty(frame, terms).item()
    backward = complaint_penalty(frame, terms.reverse()).item()
    assert forward == backward == 0.6


def test_excitement_is_not_a_complaint_and_a_penalty_never_praises(scorer):
    """Issue 19: on product tweets the complaint lexicon was set off by "can't" and
    "wait" in "can't wait to ...". The idiom cancels them (a negative weight), unless
    another complaint term is there; the penalty never goes below 0."""
    texts = [
        "I can't wait to see the new phone!",
        "cant wait for the launch tomorrow",
        "can't wait to try it",
        "I can't wait to get home after a 5 hour delay",
        "still waiting, can't get through",
    ]
    scored = score_texts(scorer, texts, langs=["en"] * len(texts))
    penalty = scored["complaint_penalty"].to_list()
    assert penalty[:3] == [0.0, 0.0, 0.0]
    assert "negative" not in scored["polarity"].to_list()[:3]
    assert penalty[3] > 0 and penalty[4] > 0
    assert scored["polarity"].to_list()[3:] == ["negative", "negative"]
    assert min(penalty) >= 0.0
