#!/usr/bin/env bash
# kill/wait: SIGTERM to a running container, Wait returns 128+15; a second
# Wait, from a new connection, returns the same; kill after the exit is
# "process already finished".
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root
need_cmd jq

B=$T/bundle
make_bundle "$B"
set_sh "$B" 'trap "exit 143" TERM; while :; do sleep 0.1; done'
start_shim kw "$B"
ctl kw create >/dev/null && ctl kw start >/dev/null || fail "create/start failed"
assert_eq running "$(ctl kw state | jq -r .status)" "status"
ctl kw wait >"$T/wait.out" &
waiter=$!
sleep 0.3
alive "$waiter" || fail "Wait returned while the container runs"
ctl kw kill TERM || fail "kill TERM"
wait "$waiter" || fail "Wait failed"
assert_eq 143 "$(cat "$T/wait.out")" "exit status after SIGTERM"
assert_eq 143 "$(ctl kw wait)" "second Wait"
out=$(ctl kw kill KILL 2>&1) && fail "kill after exit succeeded"
assert_eq "berth-shimctl: process already finished" "$out" "kill after exit"
stop_shim kw
pass
