#!/usr/bin/env bash
# The main job: install, build, make the busybox bundle, and run a container
# with berth-runtime that prints from inside itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
work=$(mktemp -d /tmp/berth-main.XXXXXX)
trap 'build/bin/berth-runtime --root "$work/state" delete --force hello >/dev/null 2>&1; rm -rf "$work"' EXIT
scripts/make-busybox-bundle.sh "$work/bundle" --probe build/bin/probe >/dev/null
cd "$work/bundle"
jq '.process.args = ["sh", "-c", "echo hello from inside a berth container; /bin/probe ids uts ns"]' \
  config.json >config.json.new && mv config.json.new config.json
"$OLDPWD/build/bin/berth-runtime" --root "$work/state" run hello
