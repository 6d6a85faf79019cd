#!/usr/bin/env bash
# hostname and domainname:
#   - with a uts namespace both are set as configured
#   - hostname without a uts namespace is rejected (one error line naming
#     hostname), nothing left behind
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd jq

B=$T/bundle
new_bundle "$B" uts
set_config "$B" '.hostname = "berth-box" | .domainname = "example.test"'
ID=$(new_id host)
rt_run_probe "$ID" "$B"
assert_eq 0 "$RC" "exit code of run (stderr: $(cat "$T/err"))"
assert_eq berth-box "$(probe_value "$OUT" hostname)" "hostname"
if is_runc; then
  # runc 1.1 ignores "domainname" (supported from runc 1.2 / runtime-spec 1.1).
  echo "note: runc 1.1 does not set domainname; domainname check skipped for runc"
else
  assert_eq example.test "$(probe_value "$OUT" domainname)" "domainname"
fi
[[ $(hostname) != berth-box ]] || fail "the host's hostname was changed"
nothing_left "$ID"

Bn=$T/bundle-nouts
new_bundle "$Bn" sleep "30.$MARK_NUM"
set_config "$Bn" '.hostname = "berth-box" | .linux.namespaces |= map(select(.type != "uts"))'
IDN=$(new_id host-nouts)
rt create --bundle "$Bn" "$IDN" </dev/null >/dev/null 2>"$T/err" && fail "create with hostname but no uts namespace succeeded"
one_error_line "$T/err" "create with hostname but no uts namespace" hostname
[[ $(hostname) != berth-box ]] || fail "the host's hostname was changed"
nothing_left "$IDN" "probe sleep 30.$MARK_NUM"

pass
