#!/usr/bin/env bash
# Every test: installs dependencies, builds with warnings as errors, checks
# formatting, then runs ctest (unit tests and the integration tests, which
# need root) while clang-tidy runs beside it at the lowest CPU priority
# (parsing every unit takes minutes; the two together keep CI short).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
scripts/lint.sh --format
nice -n 19 scripts/lint.sh --tidy >build/clang-tidy.log 2>&1 &
tidy_pid=$!
rc=0
(cd build && ctest --output-on-failure -j"$(nproc)" "$@") || rc=$?
tidy_rc=0
wait "$tidy_pid" || tidy_rc=$?
cat build/clang-tidy.log
if [[ $tidy_rc -ne 0 ]]; then
  echo "test.sh: clang-tidy found problems (above)" >&2
  rc=1
fi
exit "$rc"
