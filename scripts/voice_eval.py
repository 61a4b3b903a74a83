"""Leave-one-airline-out evaluation of the sentiment scorer, as Markdown tables.

    .venv/bin/python scripts/voice_eval.py            # tests/fixtures/real airline tweets
    .venv/bin/python scripts/voice_eval.py --csv PATH # another export, same columns
    .venv/bin/python scripts/voice_eval.py --nested   # only the nested selection (slow)

Each airline of the labelled development split is held out in turn: the complaint
rules kept and the complaint override are fitted on the other airlines only, then the
held-out airline is scored and reported (analytics/voice_eval.py); then the
brand-adapted scorer per held-out airline (--draws N: N random draws of its 300
labelled tweets) and the Portuguese Olist reviews. About 40 s a draw on one core.

--nested (--draws N as above): the brand-adapted scorer's settings chosen per held-out
airline on the other four airlines only (inner leave one airline out over the
candidate grid of analytics/brand_scorer.py `candidate_settings`), then reported as
above; prints that table and every candidate's mean inner macro-F1 per held-out
airline. About 10 min a draw on one core.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics import voice_eval as ve  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=ve.AIRLINE_TWEETS)
    parser.add_argument(
        "--draws", type=int, default=1, help="draws of the 300 labelled tweets (seeds 1..N)"
    )
    parser.add_argument(
        "--nested",
        action="store_true",
        help="only the nested selection of the brand-adapted scorer",
    )
    args = parser.parse_args()
    tweets = ve.load_airline_tweets(args.csv)
    if args.nested:
        return nested(tweets, args.draws)
    result = ve.evaluate(tweets)
    fitted = result["all brands fitted"][0]
    print("## Before: no masking, complaint override 0.35 (in-sample)\n")
    print(ve.markdown_table(result["before"]))
    print("\n## Leave one airline out: fitted on the other airlines, reported on this one\n")
    print(ve.markdown_table(result["leave one brand out"]))
    print(
        f"\n## Default scorer (masking, override {ve.COMPLAINT_OVERRIDE:g}; fitted on all "
        f"five: override {fitted['override']:g}; in-sample)\n"
    )
    print(ve.markdown_table(result["default scorer"]))
    print("\n## Confusion matrices, held-out airline (rows labelled, columns predicted)")
    for row in result["leave one brand out"]:
        print(f"\n### {row['held_out']}\n")
        print(ve.markdown_confusion(row))
    print(
        "\n## Each airline's own handle written as @united (+1.8 in VADER's lexicon), "
        f"override {ve.COMPLAINT_OVERRIDE:g}: reported negative share\n"
    )
    share = pl.DataFrame(ve.handle_check(tweets)).pivot(
        on=["scorer", "handle"], index="held_out", values="reported_negative"
    )
    print(
        "| airline | no masking: own handle | no masking: @united | "
        "masking: own handle | masking: @united |"
    )
    print("|---|---|---|---|---|")
    for r in share.rows():
        print(f"| {r[0]} | " + " | ".join(f"{v:.1%}" for v in r[1:]) + " |")
    print(
        "\n## Brand-adapted scorer: other airlines' labels + 300 of the held-out one's, "
        "reported on its remaining tweets\n"
    )
    print(
        "| draw | held out | n reported | labelled neg | reported neg | accuracy | macro-F1 "
        "| lexicon accuracy | lexicon macro-F1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for seed in range(1, args.draws + 1):
        for r in ve.brand_adapted_folds(tweets, seed=seed):
            print(
                f"| {seed} | {r['held_out']} | {r['n']:,} | {r['labelled_negative']:.1%} | "
                f"{r['reported_negative']:.1%} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | "
                f"{r['lexicon_accuracy']:.3f} | {r['lexicon_macro_f1']:.3f} |"
            )
    m = ve.portuguese_reviews()
    print("\n## Portuguese: Olist reviews with a comment, 1-2 stars labelled negative\n")
    print(
        f"n {m['n']:,}; scored {m['scored_share']:.1%} (Portuguese {m['portuguese_share']:.1%}); "
        f"negative labelled {m['labelled_negative']:.1%}, reported {m['reported_negative']:.1%}; "
        f"accuracy {m['accuracy']:.3f}; precision {m['precision']:.2f}, recall {m['recall']:.2f}; "
        "read negative by stars: "
        + ", ".join(f"{k}: {v:.1%}" for k, v in m["negative_by_stars"].items())
    )
    print(
        "\n## Brand-adapted scorer, shipped settings, on Olist: 300 reviews are the brand's "
        "labels (1-2 stars negative, 3 neutral, 4-5 positive)\n"
    )
    print(ve.markdown_portuguese_brand_adapted(ve.portuguese_brand_adapted(args.draws)))
    return 0


def nested(tweets: pl.DataFrame, draws: int) -> int:
    from analytics.brand_scorer import DEFAULT_SETTINGS

    rows, took = [], []
    for seed in range(1, draws + 1):
        started = time.perf_counter(), time.process_time()
        rows += ve.nested_brand_adapted_folds(tweets, seed=seed)
        took.append((time.perf_counter() - started[0], time.process_time() - started[1]))
    print(
        "## Brand-adapted scorer, nested: settings chosen on the other four airlines "
        "(highest mean inner macro-F1), reported on the held-out one's remaining tweets\n"
    )
    print(ve.markdown_nested(rows))
    met = sum(ve.criterion(r) == "met" for r in rows)
    default = sum(r["settings"] == DEFAULT_SETTINGS for r in rows)
    print(
        f"\nCriterion (accuracy >= {ve.CRITERION_ACCURACY}, macro-F1 >= "
        f"{ve.CRITERION_MACRO_F1}) met on {met} of {len(rows)} folds. Default settings "
        f"({DEFAULT_SETTINGS.describe()}) chosen on {default} of {len(rows)}."
    )
    for seed, (wall, cpu) in enumerate(took, 1):
        print(f"Draw {seed} took {wall:.0f} s wall, {cpu:.0f} s CPU.")
    for seed in range(1, draws + 1):
        print(f"\n## Draw {seed}: every candidate's mean inner macro-F1, per held-out airline\n")
        folds = [r for r in rows if r["draw"] == seed]
        names = [r["held_out"] for r in folds]
        means = pl.concat(
            [r["inner"].select("settings", pl.col("macro_f1").alias(r["held_out"])) for r in folds],
            how="align",
        )
        print("| settings | " + " | ".join(names) + " | mean |")
        print("|---|" + "---|" * (len(names) + 1))
        means = means.with_columns(mean=pl.mean_horizontal(names)).sort("mean", descending=True)
        for r in means.iter_rows(named=True):
            print(
                f"| {r['settings']} | " + " | ".join(f"{r[f]:.3f}" for f in [*names, "mean"]) + " |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
