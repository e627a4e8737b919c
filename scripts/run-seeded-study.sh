#!/usr/bin/env bash
# The seeded study (RESULTS.md, "seeded rows"): the experiments experiments/seeded-*.json, paired
# seeds each (every seed scored on the experiment's one validation set), in the regime where
# scratch ends well below the unigram (no-context) line: bert-width-depth (five seeds),
# gpt2-width-depth, bert-depth and llama-width-depth (three each). Runs them one after another, each
# into runs/NAME with its log in runs/NAME.log; rerunning resumes every experiment where it stopped
# (finished legs are reused). About 42 minutes a row on a quiet 2-core machine (GPT-2, 2026-12-02).
#   bash scripts/run-seeded-study.sh                 the three paper rows (BERT, GPT-2, BERT depth)
#   bash scripts/run-seeded-study.sh bert-depth      one row (the part of the name after "seeded-"),
#                                                    e.g. llama-width-depth
#   bash scripts/run-seeded-study.sh recipe-bert-width-depth-small-lr1e-3
#                                                    any experiments/NAME.json by its whole name (the
#                                                    small-model recipe's rows: RESULTS.md's summary)
# Run it in the background (nohup ... &) and keep the machine otherwise quiet: wall times are read
# from these runs. RESULTS.md's rows ran all three at once, one thread each (two 1-thread jobs
# trained 1.22x the steps per second of one 2-thread job on this 2-core machine):
#   for r in bert-width-depth gpt2-width-depth bert-depth; do
#     OMP_NUM_THREADS=1 nohup bash scripts/run-seeded-study.sh $r > /dev/null 2>&1 &
#   done
# Then: python3 scripts/seeded-summary.py runs/seeded-* (RESULTS.md's summary tables).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=("${@:-bert-width-depth gpt2-width-depth bert-depth}")
mkdir -p runs
for row in ${ROWS[@]}; do
  name="seeded-$row"
  [ -f "experiments/$name.json" ] || name="$row"
  echo "$(date -u +%FT%TZ) $name: start" >&2
  node bin/ligo.js experiment "experiments/$name.json" --out "runs/$name" >> "runs/$name.log" 2>&1
  node bin/ligo.js report "runs/$name" --html >> "runs/$name.log" 2>&1
  echo "$(date -u +%FT%TZ) $name: done (runs/$name/results.md)" >&2
done
