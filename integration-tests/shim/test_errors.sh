#!/usr/bin/env bash
# What the caller sees when things go wrong: the runtime's own last error
# line (from its JSON log) when create fails; clear errors for requests in
# the wrong state; the shim is still there after each.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root
need_cmd jq

B=$T/bundle
make_bundle "$B"
set_args "$B" /no/such/binary
start_shim err "$B"

out=$(ctl err start 2>&1) && fail "start before create succeeded"
assert_eq "berth-shimctl: no task: call Create first" "$out" "start before create"
out=$(ctl err create 2>&1) && fail "create of a missing binary succeeded"
assert_contains "$out" "runtime create: "
last=$(jq -r 'select(.level == "error") | .msg' "$T/err/runtime.log" | tail -1)
[[ -n $last ]] || fail "the runtime logged no error line"
assert_eq "berth-shimctl: runtime create: $last" "$out" "create error = the runtime's last error line"

# After a failed create the same shim can create again, with a fixed bundle.
set_args "$B" sleep 30
ctl err create >/dev/null || fail "create after a failed create"
out=$(ctl err create 2>&1) && fail "second create succeeded"
assert_contains "$out" "already exists"
out=$(ctl err resume 2>&1) && fail "resume of a created task succeeded"
assert_eq "berth-shimctl: cannot resume a created task" "$out" "resume when created"
out=$(ctl err kill NOPE 2>&1) && fail "kill NOPE succeeded"
assert_contains "$out" "unknown signal"
out=$(ctl err wait --exec nope 2>&1) && fail "wait on a missing exec succeeded"
assert_eq "berth-shimctl: exec nope not found" "$out" "wait on a missing exec"
ctl err kill KILL || fail "kill of a created task"
assert_eq 137 "$(ctl err wait)" "exit status of a killed created task"
stop_shim err
pass
