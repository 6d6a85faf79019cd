#!/usr/bin/env bash
# clang-format (must be clean) and clang-tidy (warnings are errors) over the
# project's own C++ sources. Needs build/compile_commands.json (scripts/build.sh).
#   scripts/lint.sh            both
#   scripts/lint.sh --format   clang-format only (seconds)
#   scripts/lint.sh --tidy     clang-tidy only (minutes: every unit is parsed)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
if [[ $what == all || $what == --format ]]; then
  mapfile -t sources < <(git ls-files '*.cc' '*.h')
  echo "lint: clang-format on ${#sources[@]} files"
  clang-format --dry-run --Werror "${sources[@]}"
fi
if [[ $what == all || $what == --tidy ]]; then
  mapfile -t units < <(git ls-files '*.cc')
  echo "lint: clang-tidy on ${#units[@]} files"
  printf '%s\n' "${units[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p build --quiet --extra-arg=-Wno-unknown-warning-option 2>/dev/null
  echo "lint: clang-tidy clean"
fi
