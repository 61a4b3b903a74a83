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
TC_WAREHOUSE_DIR="$lint_wh" .venv/bin/sqlfluff lint dbt_project/models
rm -rf "$lint_wh"
# the default suite leaves out the long validations (marker `long`: the family of
# worlds, Spark, signals, the multiprocess executor); `--long` runs only those
tier=(-m "not long")
if [ "${1:-}" = "--long" ]; then
  shift
  tier=(-m long)
fi
.venv/bin/pytest -n 2 --durations=5 "${tier[@]}" "$@"
