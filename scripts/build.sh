#!/usr/bin/env bash
# Configures and builds Berth into build/ (executables in build/bin/).
# BERTH_WERROR=ON (the default here, as in CI) turns warnings into errors.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DBERTH_WERROR="${BERTH_WERROR:-ON}" >/dev/null
cmake --build build -j"$(nproc)"
