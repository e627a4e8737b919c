#!/usr/bin/env bash
# Runs bench:step (ligo, native) and bench/torch_step.py (PyTorch) alternately ROUNDS times
# (default 3) in one session, one JSON line each, so their ratio is measured under the same
# machine load. Usage: bash bench/compare.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
for _ in $(seq "${1:-3}"); do
  npm run -s bench:step
  /usr/bin/python3 bench/torch_step.py
done
