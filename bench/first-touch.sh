#!/usr/bin/env bash
# The LiGO operator's first step against the machine's floor for first-touching memory, in one
# run. Each round runs bench/first_touch.c twice on MiB of memory (the operator's peak RSS) with
# huge pages advised, as the engine's allocator does: the first run pays whatever this machine
# charges for memory it has not touched lately (in a VM, the hypervisor backing guest pages
# again), the second, straight after, reuses the pages the first just freed. Then
# `STEPS=2 npm run bench:operator` (BERT-Small -> BERT-Base at 32 x 128), whose first step touches
# every buffer for the first time, runs on those same recently freed pages. Its first-step system
# time less the warm floor's is what the engine itself adds (small pages, its own work).
# Usage: bash bench/first-touch.sh [rounds] [MiB]   (defaults 3 and 5300; about a minute a round)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
mib="${2:-5300}"
bin=$(mktemp -d)/first_touch
trap 'rm -rf "$(dirname "$bin")"' EXIT
gcc -O2 -o "$bin" bench/first_touch.c
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for ((r = 1; r <= rounds; r++)); do
  "$bin" "$mib" 1
  "$bin" "$mib" 1
  STEPS=2 npm run -s bench:operator
done
