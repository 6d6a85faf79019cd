#!/usr/bin/env bash
# exec: an exec process with its own stdio (output through its attach
# socket, not the container log) and its exit code through Wait and the
# ExecExit event; a failing exec reports the runtime's error.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root
need_cmd jq

B=$T/bundle
make_bundle "$B"
set_args "$B" sleep 30
start_shim ex "$B"
ctl ex create >/dev/null && ctl ex start >/dev/null || fail "create/start failed"

jq '.process | .args = ["sh", "-c", "sleep 0.3; echo exec-out; echo exec-err >&2; exit 7"]' \
  "$B/config.json" >"$T/p.json"
sock=$(ctl ex exec --exec e1 --process "$T/p.json" | jq -r .attach_socket) || fail "exec failed"
[[ -S $sock ]] || fail "no attach socket at $sock"
ctl ex attach --exec e1 </dev/null >"$T/attach.out" &
attacher=$!
sleep 0.1
ctl ex events 1 >"$T/events" &
ev=$!
sleep 0.1
ctl ex start --exec e1 >/dev/null || fail "start of exec e1 failed"
assert_eq 7 "$(ctl ex wait --exec e1)" "exec exit code"
wait "$ev"
assert_eq "/tasks/exec-exit e1 7" "$(jq -r '"\(.topic) \(.exec_id) \(.exit_status)"' "$T/events")" "ExecExit event"
wait_for "! alive $attacher" 3 || fail "attach did not end with the exec"
assert_eq $'exec-err\nexec-out' "$(sort "$T/attach.out")" "exec output through its attach socket"
! grep -q exec-out "$T/ex.log" || fail "exec output leaked into the container log"
assert_eq stopped "$(ctl ex state --exec e1 | jq -r .status)" "exec status"
ctl ex delete --exec e1 >/dev/null || fail "delete of exec e1"

jq '.process | .args = ["/no/such/exec"]' "$B/config.json" >"$T/bad.json"
ctl ex exec --exec e2 --process "$T/bad.json" >/dev/null || fail "exec e2 registration"
out=$(ctl ex start --exec e2 2>&1) && fail "start of a missing binary succeeded"
assert_contains "$out" "runtime exec: "
out=$(ctl ex wait --exec e2 2>&1) && fail "wait on a failed exec succeeded"
assert_contains "$out" "runtime exec: "
assert_eq running "$(ctl ex state | jq -r .status)" "the task after a failed exec"
ctl ex kill KILL && ctl ex wait >/dev/null || fail "kill/wait"
stop_shim ex
pass
