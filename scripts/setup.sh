#!/usr/bin/env bash
# Create .venv at the repository root from uv.lock. Needs only python3.11 and
# access to the package registry. Idempotent: a second call is a quick no-op.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
UV_VERSION="0.13.9"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
# uv lives in its own small venv so the project's .venv holds exactly the lock
if [ ! -x .tools/bin/uv ]; then
  "$python" -m venv .tools
  .tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
fi
export UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT="$root/.venv"
# the spark extra (dbt-spark, pyspark: ~0.5 GB) serves TC_ENGINE=spark and the cross-engine test
.tools/bin/uv sync --frozen --quiet --compile-bytecode --extra spark --python "$python"
# the dashboard's browser test and `trustcap dashboard --screenshots` drive Debian's
# Chromium (~420 MB installed, ~20 s; docs/dashboard.md); apt needs root
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
  else
    echo "setup: Chromium is missing: sudo apt-get install chromium (the dashboard test needs it)" >&2
  fi
fi
# dagster-dbt needs dbt's manifest before definitions load
.venv/bin/trustcap prepare >/dev/null
