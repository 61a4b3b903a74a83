"""Throughput of the text scorer on real text (the airline tweets fixture), for the README.

    .venv/bin/python scripts/scoring_throughput.py [--copies 10]

Scores the tweets `copies` times (each copy made distinct, as the cache would see
new texts) in one process, times the MinHash keys, then both in worker processes on
every core (what the pipeline runs).
"""

import argparse
import os
import time
from pathlib import Path

import polars as pl

from analytics.sentiment import build_scorer, minhash_bands, score_and_hash, score_texts

AIRLINE = (
    Path(__file__).resolve().parent.parent
    / "tests/fixtures/real/twitter_us_airline_sentiment_dev/Tweets_dev.csv.gz"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    tweets = pl.read_csv(AIRLINE, infer_schema_length=0)["text"].to_list()
    texts = [f"{t} #{i}" for i in range(args.copies) for t in tweets]
    cores = os.cpu_count() or 1
    print(f"{len(texts):,} texts (airline tweets x {args.copies}), {cores} cores")
    started = time.perf_counter()
    score_texts(build_scorer(), texts)
    seconds = time.perf_counter() - started
    print(f"  scoring, 1 process: {seconds:.1f} s, {len(texts) / seconds:,.0f} texts/s")
    started = time.perf_counter()
    minhash_bands(texts)
    seconds = time.perf_counter() - started
    print(f"  MinHash keys, 1 process: {seconds:.1f} s, {len(texts) / seconds:,.0f} texts/s")
    started = time.perf_counter()
    score_and_hash(texts, cores)
    seconds = time.perf_counter() - started
    print(
        f"  scoring + MinHash (what the pipeline runs), {cores} worker(s): {seconds:.1f} s, "
        f"{len(texts) / seconds:,.0f} texts/s"
    )


if __name__ == "__main__":
    main()
