#!/usr/bin/env bash
# OOM: a container limited to 16 MiB (memory+swap 16 MiB) that allocates a
# 64 MiB buffer is OOM-killed; a connected client gets /tasks/oom (with the
# container id) and then /tasks/exit, and Wait returns 137 (128+SIGKILL).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root
need_cmd jq

B=$T/bundle
make_bundle "$B"
set_args "$B" dd if=/dev/zero of=/dev/null bs=64M count=1
set_config "$B" '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
start_shim oom "$B"
ctl oom create >/dev/null || fail "create failed"
ctl oom events 2 >"$T/events" &
events_pid=$!
sleep 0.1
ctl oom start >/dev/null || fail "start failed"
assert_eq 137 "$(ctl oom wait)" "exit status from Wait"
wait_for "! alive $events_pid" 5 || fail "events client still waiting: $(cat "$T/events")"
wait "$events_pid" || fail "events client failed: $(cat "$T/events")"
mapfile -t got < <(jq -r '"\(.topic) \(.id) \(.exit_status)"' "$T/events")
assert_eq "/tasks/oom oom-$TAG null" "${got[0]:-}" "first event"
assert_eq "/tasks/exit oom-$TAG 137" "${got[1]:-}" "second event"
stop_shim oom
pass
