#!/usr/bin/env bash
# Every test: installs dependencies, builds with warnings as errors, lints,
# then runs ctest (unit tests and the integration tests, which need root).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
scripts/lint.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
