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
if [ "$#" -gt 0 ]; then
  exec .venv/bin/pytest -n 2 "$@"  # a selection: as asked
fi
.venv/bin/pytest -n 2 -m "not spark"
# the cross-engine step: the pipeline on DuckDB and on Spark from the same landing data
started=$(date +%s)
.venv/bin/pytest -m spark -s
echo "cross-engine step (DuckDB + Spark): $(( $(date +%s) - started )) s"
