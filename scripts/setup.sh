#!/usr/bin/env bash
# Everything ligo's features and tests need on a fresh Debian 12 machine with Node.js 20, g++ and
# python3: the system packages, then the npm packages (whose install step builds the native addon),
# then `npm link`, which puts the `ligo` command on PATH (as every example and printed hint names it).
#   bash scripts/setup.sh            system packages + npm install + npm link
#   bash scripts/setup.sh --system   system packages only (CI runs npm ci itself)
# The system packages:
#   libdnnl-dev            oneDNN, whose sgemm the native addon's matrix products use (measured
#                          faster than OpenBLAS and BLIS here: BENCHMARKS.md)
#   dataset-fashion-mnist  the Fashion-MNIST images (ViT/DeiT experiments and their tests)
#   fonts-dejavu-core      a font for the PNG plots (@resvg/resvg-js renders text with it)
#   chromium               headless browser for the report.html tests
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(libdnnl-dev dataset-fashion-mnist fonts-dejavu-core chromium)
if ! dpkg -s "${PACKAGES[@]}" >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${PACKAGES[@]}"
fi
if [ "${1:-}" != "--system" ]; then
  npm install
  # `ligo` on PATH: a link in npm's global prefix to this checkout (with sudo when that prefix is not ours).
  LINK_SUDO=""
  if [ ! -w "$(npm prefix -g)" ] && [ "$(id -u)" != 0 ]; then LINK_SUDO="sudo"; fi
  $LINK_SUDO npm link --ignore-scripts --no-audit --no-fund
  echo "ligo is on PATH: $(command -v ligo || echo "not found: add $(npm prefix -g)/bin to PATH")"
fi
