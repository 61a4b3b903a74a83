#!/usr/bin/env bash
# README command (2): set up if needed, then lint and run the whole test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# the dbt templater compiles the project, which opens a (throwaway) warehouse
lint_wh="$(mktemp -d)"
# two processes: 40 s -> 24 s on two cores (the dbt templater compiles file by file)
TC_WAREHOUSE_DIR="$lint_wh" .venv/bin/sqlfluff lint --processes 2 dbt_project/models
rm -rf "$lint_wh"
# the default suite leaves out the long validations (marker `long`: the family of
# worlds, Spark, signals, the multiprocess executor); `--long` runs only those
# two workers on two cores: the numeric libraries' own thread pools only compete
# (one measurement each on a quiet machine: 10 min 32 s without, 9 min 51 s with)
export NUMBA_NUM_THREADS="${NUMBA_NUM_THREADS:-1}" OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" \
  OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
tier=(-m "not long")
if [ "${1:-}" = "--long" ]; then
  shift
  tier=(-m long)
fi
.venv/bin/pytest -n 2 --durations=5 "${tier[@]}" "$@"
