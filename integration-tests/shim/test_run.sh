#!/usr/bin/env bash
# A container run under berth-shim: stdout and stderr land in the json-file
# log (one object per line, nanosecond times, a 40000-byte line split into
# 16 KiB partial entries), Wait returns the exit status, exit.json records it
# before it is reported, the exit event reaches a connected client, and the
# shim stays until Delete + Shutdown.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root
need_cmd jq

B=$T/bundle
make_bundle "$B"
set_sh "$B" 'echo hello; echo oops >&2; head -c 40000 /dev/zero | tr "\0" x; echo; sleep 0.3; exit 3'
start_shim run "$B"
pid=$(shim_pid run)
ppid=$(awk '{print $4}' "/proc/$pid/stat")
[[ $ppid != "$$" ]] || fail "the shim is still a child of the test shell"
assert_eq "$pid" "$(ctl run connect | jq -r .shim_pid)" "Connect's shim_pid"

ctl run create >/dev/null || fail "create failed"
assert_eq created "$(ctl run state | jq -r .status)" "status after create"
ctl run events 1 >"$T/events" &
events_pid=$!
sleep 0.1
ctl run start >/dev/null || fail "start failed"
assert_eq 3 "$(ctl run wait)" "exit status from Wait"
wait "$events_pid" || fail "events client failed"
assert_eq "/tasks/exit 3" "$(jq -r '"\(.topic) \(.exit_status)"' "$T/events")" "exit event"
assert_eq stopped "$(ctl run state | jq -r .status)" "status after exit"
assert_eq 3 "$(jq -r .exit_status "$T/run/exit.json")" "exit.json"
[[ $(jq -r .exited_at "$T/run/exit.json") =~ ^20[0-9-]+T[0-9:]+(\.[0-9]+)?Z$ ]] || fail "exited_at: $(cat "$T/run/exit.json")"

log=$T/run.log
assert_eq '{"log":"hello\n","stream":"stdout"' "$(head -1 "$log" | cut -d, -f1-2)" "first log entry"
grep -q '"log":"oops\\n","stream":"stderr"' "$log" || fail "stderr entry missing: $(cat "$log")"
time=$(head -1 "$log" | jq -r .time)
[[ $time =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]{1,9})?Z$ ]] || fail "time format: $time"
mapfile -t sizes < <(jq -r 'select(.log | startswith("x")) | .log | length' "$log")
assert_eq "16384 16384 7233" "${sizes[*]}" "sizes of the split 40000-byte line (last with its newline)"

# A second client, any time later, still gets the status; illegal moves are one line.
assert_eq 3 "$(ctl run wait)" "Wait after the exit"
out=$(ctl run start 2>&1) && fail "start of a stopped task succeeded"
assert_eq "berth-shimctl: cannot start a stopped task" "$out" "start after exit"
out=$(ctl run shutdown 2>&1) && fail "shutdown with an undeleted task succeeded"
assert_contains "$out" "delete it first"
assert_eq 3 "$(ctl run delete | jq -r .exit_status)" "Delete's exit status"
[[ ! -e $ROOT/run-$TAG ]] || fail "runtime state left after Delete"
stop_shim run
[[ ! -e $T/run/shim.sock ]] || fail "socket left after shutdown"
pass
