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
# the slowest steps, the cross-engine test's set-up (DuckDB + Spark runs) among them
.venv/bin/pytest -n 2 --durations=5 "$@"
