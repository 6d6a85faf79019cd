#!/usr/bin/env bash
# linux.resources at create and through `update`, read back from the
# container's cgroup; devices rules enforced; pause/resume seen in `state`;
# ps and events --stats; ps of a stopped container is empty, not an error;
# an OOM kill shows as exit 137.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root
[[ -d /sys/fs/cgroup/memory || -f /sys/fs/cgroup/cgroup.controllers ]] || skip "no memory cgroup"

B=$T/bundle
new_bundle "$B" sleep 30."$MARK_NUM"
set_config "$B" '.linux.resources = {
  "memory": {"limit": 67108864, "reservation": 33554432},
  "cpu": {"shares": 512, "quota": 50000, "period": 100000},
  "pids": {"limit": 64},
  "devices": [{"allow": false, "access": "rwm"}]}'
id=$(new_id res)
(cd "$B" && rt run -d "$id") || fail "run -d with resources failed"
pid=$(rt state "$id" | jq -r .pid)

# cgfile CONTROLLER FILE: the file in the init's cgroup of that controller.
cgfile() {
  local path
  path=$(awk -F: -v c="$1" '{n=split($2,a,","); for(i=1;i<=n;i++) if (a[i]==c) print $3}' /proc/"$pid"/cgroup)
  echo "/sys/fs/cgroup/$1$path/$2"
}
if [[ -d /sys/fs/cgroup/memory ]]; then
  assert_eq 67108864 "$(cat "$(cgfile memory memory.limit_in_bytes)")" "memory.limit_in_bytes"
  assert_eq 33554432 "$(cat "$(cgfile memory memory.soft_limit_in_bytes)")" "memory.soft_limit_in_bytes"
  assert_eq 512 "$(cat "$(cgfile cpu cpu.shares)")" "cpu.shares"
  assert_eq 50000 "$(cat "$(cgfile cpu cpu.cfs_quota_us)")" "cpu.cfs_quota_us"
  assert_eq 64 "$(cat "$(cgfile pids pids.max)")" "pids.max"
  # deny-all plus the default allow list: /dev/null usable, others not.
  rules=$(cat "$(cgfile devices devices.list)")
  assert_contains "$rules" "c 1:3 rwm" "devices.list"
  assert_not_contains "$rules" "a *:* rwm" "devices.list"
fi
out=$(rt exec "$id" sh -c 'echo x > /dev/null && echo null-ok')
assert_contains "$out" null-ok "writing /dev/null under deny-all + defaults"

# update: flags, then a resources JSON on stdin.
rt update --memory 96m --pids-limit 32 --cpu-share 256 "$id" || fail "update with flags failed"
if [[ -d /sys/fs/cgroup/memory ]]; then
  assert_eq $((96 << 20)) "$(cat "$(cgfile memory memory.limit_in_bytes)")" "memory limit after update"
  assert_eq 32 "$(cat "$(cgfile pids pids.max)")" "pids.max after update"
  assert_eq 256 "$(cat "$(cgfile cpu cpu.shares)")" "cpu.shares after update"
fi
echo '{"pids": {"limit": 16}}' | rt update -r - "$id" || fail "update -r - failed"
[[ -d /sys/fs/cgroup/pids ]] && assert_eq 16 "$(cat "$(cgfile pids pids.max)")" "pids.max after update -r"
err=$(rt update --memory lots "$id" 2>&1) && fail "update --memory lots succeeded"
assert_contains "$err" "lots" "error for a bad --memory"

# pause / resume, seen in state; exec refused while paused.
rt pause "$id" || fail "pause failed"
assert_eq paused "$(state_status "$id")" "status after pause"
rt exec "$id" true 2>/dev/null && fail "exec in a paused container succeeded"
rt resume "$id" || fail "resume failed"
assert_eq running "$(state_status "$id")" "status after resume"
rt resume "$id" 2>/dev/null && fail "resume of a running container succeeded"

# ps and events --stats.
assert_eq "[$pid]" "$(rt ps --format json "$id")" "ps --format json"
assert_contains "$(rt ps "$id")" "$pid" "ps table"
stats=$(rt events --stats "$id")
assert_eq stats "$(jq -r .type <<<"$stats")" "events type"
assert_eq "$id" "$(jq -r .id <<<"$stats")" "events id"
[[ $(jq -r '.data.pids.current' <<<"$stats") -ge 1 ]] || fail "events: pids.current < 1: $stats"
[[ $(jq -r '.data.memory.usage.usage' <<<"$stats") -gt 0 ]] || fail "events: memory usage 0: $stats"
# ps of a stopped container: no processes, not an error (as runc).
rt kill "$id" KILL
wait_for "[[ \$(state_status $id) == stopped ]]" 5 || fail "container not stopped after kill KILL"
out=$(rt ps "$id" 2>"$T/err") || fail "ps of a stopped container failed: $(cat "$T/err")"
assert_eq 1 "$(grep -c . <<<"$out")" "lines of ps (header only) for a stopped container: $out"
rt delete --force "$id"
nothing_left "$id"

# OOM: a 16 MiB limit and a 64 MiB allocation: killed by the kernel, exit 137.
set_config "$B" '.linux.resources = {"memory": {"limit": 16777216, "swap": 16777216}}
  | .process.args = ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]'
(cd "$B" && rt run "oom-$TAG" >/dev/null 2>&1)
assert_eq 137 "$?" "exit code of an OOM-killed process"
nothing_left "oom-$TAG"
pass
