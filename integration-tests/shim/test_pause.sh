#!/usr/bin/env bash
# pause/resume move the task between running and paused (illegal moves are
# refused), and Pids/Stats/Update read and write the container's cgroup.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root
need_cmd jq

B=$T/bundle
make_bundle "$B"
set_sh "$B" 'sleep 30 & while :; do sleep 0.1; done'
start_shim pz "$B"
ctl pz create >/dev/null && ctl pz start >/dev/null || fail "create/start failed"
ctl pz pause || fail "pause"
assert_eq paused "$(ctl pz state | jq -r .status)" "status after pause"
out=$(ctl pz pause 2>&1) && fail "second pause succeeded"
assert_eq "berth-shimctl: cannot pause a paused task" "$out" "pause twice"
ctl pz resume || fail "resume"
assert_eq running "$(ctl pz state | jq -r .status)" "status after resume"

pid=$(ctl pz state | jq -r .pid)
pids=$(ctl pz pids | jq -r '.pids | join(" ")')
[[ " $pids " == *" $pid "* ]] || fail "Pids ($pids) lacks the init $pid"
(($(wc -w <<<"$pids") >= 2)) || fail "Pids should list the init and its children: $pids"
echo '{"memory": {"limit": 67108864}}' >"$T/res.json"
ctl pz update "$T/res.json" || fail "update"
stats=$(ctl pz stats) || fail "stats"
assert_eq 67108864 "$(jq -r .memory_limit_bytes <<<"$stats")" "memory limit after Update"
(($(jq -r .memory_usage_bytes <<<"$stats") > 0)) || fail "memory usage: $stats"
(($(jq -r .pids_current <<<"$stats") >= 2)) || fail "pids.current: $stats"
ctl pz kill KILL && ctl pz wait >/dev/null || fail "kill/wait"
out=$(ctl pz resume 2>&1) && fail "resume of a stopped task succeeded"
assert_eq "berth-shimctl: cannot resume a stopped task" "$out" "resume after exit"
stop_shim pz
pass
