#!/usr/bin/env bash
# Capabilities of the container process:
#   - the default config (AUDIT_WRITE, KILL, NET_BIND_SERVICE) gives
#     0x20000420 in the bounding, effective and permitted sets
#   - adding CAP_SYS_ADMIN sets bit 21 (0x20200420)
#   - an empty capabilities object gives empty sets
#   - a non-root user (uid 1000) with CAP_NET_BIND_SERVICE in all five sets,
#     including inheritable and ambient, keeps it: cap.amb and cap.eff = 0x400
#   - an unknown capability name (CAP_BOGUS) is rejected with one error line
#     naming it, and nothing is left behind
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd jq

caps_of() { # caps_of BUNDLE ID: run, check exit 0, leave the output in $OUT
  rt_run_probe "$2" "$1"
  assert_eq 0 "$RC" "exit code of run $2 (stderr: $(cat "$T/err"))"
  nothing_left "$2"
}

# ---------------------------------------------------------------- default
B=$T/bundle
new_bundle "$B" caps
caps_of "$B" "$(new_id caps)"
for s in bnd eff prm; do
  assert_eq 0000000020000420 "$(probe_value "$OUT" "cap.$s")" "default cap.$s"
done
assert_eq 0000000000000000 "$(probe_value "$OUT" cap.inh)" "default cap.inh"

# ---------------------------------------------------------------- + CAP_SYS_ADMIN
Ba=$T/bundle-admin
new_bundle "$Ba" caps
set_config "$Ba" '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
caps_of "$Ba" "$(new_id caps-admin)"
for s in bnd eff prm; do
  assert_eq 0000000020200420 "$(probe_value "$OUT" "cap.$s")" "cap.$s with CAP_SYS_ADMIN added"
done

# ---------------------------------------------------------------- empty
Be=$T/bundle-empty
new_bundle "$Be" caps
set_config "$Be" '.process.capabilities = {}'
caps_of "$Be" "$(new_id caps-empty)"
for s in bnd eff prm inh amb; do
  assert_eq 0000000000000000 "$(probe_value "$OUT" "cap.$s")" "cap.$s with an empty capabilities object"
done

# ---------------------------------------------------------------- ambient, non-root
Bm=$T/bundle-ambient
new_bundle "$Bm" ids caps
set_config "$Bm" '.process.user = {uid: 1000, gid: 1000}
  | .process.capabilities = ({} | .bounding = ["CAP_NET_BIND_SERVICE"] | .effective = .bounding
      | .permitted = .bounding | .inheritable = .bounding | .ambient = .bounding)'
caps_of "$Bm" "$(new_id caps-amb)"
assert_eq "1000 1000 1000 1000" "$(probe_value "$OUT" uid)" "uid"
for s in amb eff prm inh bnd; do
  assert_eq 0000000000000400 "$(probe_value "$OUT" "cap.$s")" "cap.$s of uid 1000 with CAP_NET_BIND_SERVICE ambient"
done

# ---------------------------------------------------------------- unknown name
Bb=$T/bundle-bogus
new_bundle "$Bb" sleep "30.$MARK_NUM"
set_config "$Bb" '.process.capabilities.bounding += ["CAP_BOGUS"] | .process.capabilities.effective += ["CAP_BOGUS"]'
IDB=$(new_id caps-bogus)
if is_runc; then
  # runc 1.1 only warns ("ignoring unknown or unavailable capabilities:
  # [CAP_BOGUS]") and runs the container; Berth must refuse it.
  rt create --bundle "$Bb" "$IDB" </dev/null >/dev/null 2>"$T/err" || true
  assert_contains "$(cat "$T/err")" CAP_BOGUS "runc's warning"
  rt delete --force "$IDB" >/dev/null 2>&1
else
  rt create --bundle "$Bb" "$IDB" </dev/null >/dev/null 2>"$T/err" && fail "create with CAP_BOGUS succeeded"
  one_error_line "$T/err" "create with CAP_BOGUS" CAP_BOGUS
fi
nothing_left "$IDB" "probe sleep 30.$MARK_NUM"

pass
