#!/usr/bin/env bash
# Builds bench/gemm_libs.cc once per library and runs each, alternating libraries ROUNDS times
# (default 1), one JSON line per shape. Needs libopenblas-dev, libblis-dev and libdnnl-dev (apt-get
# install libblis-dev libdnnl-dev: only this comparison uses them, so scripts/setup.sh does not).
# "ligo" is the project's own candidate kernel (sgemm_own.cc); each binary checks its results
# against a double-precision loop before timing, and the candidate is checked with each of its
# micro-kernels that the CPU can run.
# Usage: bash bench/gemm_libs.sh [ROUNDS]; SHAPES=study times the seeded rows' products instead of BERT-Base's.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
g++ -O2 -fopenmp -DUSE_OPENBLAS gemm_libs.cc ../native/src/peak.cc -o "$out/openblas" -lopenblas
g++ -O2 -fopenmp -DUSE_BLIS -I/usr/include/x86_64-linux-gnu/blis-openmp gemm_libs.cc ../native/src/peak.cc -o "$out/blis" -lblis
g++ -O2 -fopenmp -DUSE_DNNL gemm_libs.cc ../native/src/peak.cc -o "$out/onednn" -ldnnl
g++ -O2 -fopenmp -DUSE_LIGO gemm_libs.cc ../native/src/peak.cc sgemm_own.cc -o "$out/ligo"
for kernel in avx512 avx2 portable; do
  if CHECK_ONLY=1 LIGO_SGEMM_KERNEL=$kernel "$out/ligo" 2>"$out/err"; then echo "ligo $kernel kernel: results check" >&2;
  elif grep -q "is not one of this CPU's kernels" "$out/err"; then echo "ligo $kernel kernel: not on this CPU" >&2;
  else cat "$out/err" >&2; exit 1; fi
done
for _ in $(seq "${1:-1}"); do
  for lib in openblas blis onednn ligo; do OMP_WAIT_POLICY=passive "$out/$lib"; done
done
rm -rf "$out"
