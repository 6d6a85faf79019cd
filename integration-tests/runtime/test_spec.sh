#!/usr/bin/env bash
# `spec` writes the same config.json as runc 1.1 (byte for byte), for both
# the default and --rootless, honours --bundle, and refuses to overwrite an
# existing config.json (non-zero exit, file unchanged).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd runc "the reference runtime, to compare with"

for variant in default rootless; do
  opts=()
  [[ $variant == rootless ]] && opts=(--rootless)
  mkdir -p "$T/$variant/ours" "$T/$variant/runc"
  (cd "$T/$variant/ours" && rt spec "${opts[@]}") 2>"$T/err" || fail "spec ${opts[*]} failed: $(cat "$T/err")"
  (cd "$T/$variant/runc" && runc spec "${opts[@]}") || fail "runc spec ${opts[*]} failed"
  cmp -s "$T/$variant/ours/config.json" "$T/$variant/runc/config.json" ||
    fail "spec ${opts[*]} differs from runc's: $(diff "$T/$variant/runc/config.json" "$T/$variant/ours/config.json" | head -10)"
done

# --bundle DIR writes DIR/config.json.
mkdir -p "$T/bundle-opt"
(cd / && rt spec --bundle "$T/bundle-opt") 2>"$T/err" || fail "spec --bundle failed: $(cat "$T/err")"
cmp -s "$T/bundle-opt/config.json" "$T/default/runc/config.json" || fail "spec --bundle DIR wrote a different config.json"

# No overwrite.
echo '{"mine": true}' >"$T/default/ours/config.json"
(cd "$T/default/ours" && rt spec) 2>"$T/err" && fail "spec overwrote an existing config.json"
grep -q . "$T/err" || fail "spec refusing to overwrite printed no error"
assert_eq '{"mine": true}' "$(cat "$T/default/ours/config.json")" "existing config.json after a refused spec"

pass
