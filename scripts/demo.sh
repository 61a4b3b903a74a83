#!/usr/bin/env bash
# README command (1): set everything up, generate the demo world, run the main job,
# print the summary and where the warehouse and the published marts are.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
"$root/.venv/bin/trustcap" demo
"$root/.venv/bin/trustcap" run
