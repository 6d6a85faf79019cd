#!/usr/bin/env bash
# linux.resources at create and through `update`, read back from the
# container's cgroup; devices rules enforced; pause/resume seen in `state`;
# ps and events --stats; ps of a stopped container is empty, not an error;
# device access "rwa" accepted (r, w, m kept, as runc); update --memory -1
# lifts memsw too; a shorter cfs period under a parent's quota is written
# after the quota (the kernel's EINVAL otherwise);
# an OOM kill shows as exit 137, and `events` reports it at once.
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
  "devices": [{"allow": false, "access": "rwm"},
              {"allow": false, "type": "c", "major": 1, "minor": 11, "access": "rwa"}]}'
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
# v1: with memsw limited, --memory -1 lifts both (memsw first), as runc.
if [[ -f $(cgfile memory memory.memsw.limit_in_bytes) ]]; then
  rt update --memory 64m --memory-swap 96m "$id" || fail "update --memory 64m --memory-swap 96m failed"
  assert_eq $((96 << 20)) "$(cat "$(cgfile memory memory.memsw.limit_in_bytes)")" "memsw limit after update"
  rt update --memory -1 "$id" 2>"$T/err" || fail "update --memory -1 failed: $(cat "$T/err")"
  [[ $(cat "$(cgfile memory memory.limit_in_bytes)") -gt $((1 << 40)) ]] || fail "memory limit not lifted by --memory -1"
  [[ $(cat "$(cgfile memory memory.memsw.limit_in_bytes)") -gt $((1 << 40)) ]] || fail "memsw limit not lifted by --memory -1"
fi
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

# v1: a parent with a 50% quota; --cpu-period 10000 --cpu-quota 3000 needs
# the quota written first (period first is EINVAL: 50000/10000 > parent's).
if [[ -d /sys/fs/cgroup/cpu ]]; then
  pod=berth-pod-$TAG
  idp=$(new_id respod)
  mkdir -p "/sys/fs/cgroup/cpu/$pod" && echo 50000 >"/sys/fs/cgroup/cpu/$pod/cpu.cfs_quota_us" ||
    fail "cannot set up the parent cpu cgroup"
  on_exit "rt delete --force $idp; find /sys/fs/cgroup -maxdepth 2 -type d -name $pod -exec rmdir {} +"
  set_config "$B" '.linux.resources = {"cpu": {"quota": 20000, "period": 100000}} | .linux.cgroupsPath = $p
    | .process.args = ["sleep", "30.'"$MARK_NUM"'"]' --arg p "/$pod/$idp"
  (cd "$B" && rt run -d "$idp") || fail "run -d in the pod failed"
  rt update --cpu-period 10000 --cpu-quota 3000 "$idp" 2>"$T/err" || fail "update of period and quota under a pod limit: $(cat "$T/err")"
  assert_eq 10000 "$(cat "/sys/fs/cgroup/cpu/$pod/$idp/cpu.cfs_period_us")" "cfs period after update"
  assert_eq 3000 "$(cat "/sys/fs/cgroup/cpu/$pod/$idp/cpu.cfs_quota_us")" "cfs quota after update"
  rt delete --force "$idp"
  set_config "$B" 'del(.linux.cgroupsPath)'
fi

# OOM: a 16 MiB limit and a 64 MiB allocation: killed by the kernel, exit 137.
set_config "$B" '.linux.resources = {"memory": {"limit": 16777216, "swap": 16777216}}
  | .process.args = ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]'
(cd "$B" && rt run "oom-$TAG" >/dev/null 2>&1)
assert_eq 137 "$?" "exit code of an OOM-killed process"
nothing_left "oom-$TAG"

# `events` (default 5 s interval) reports an OOM kill within a second or two,
# as {"type":"oom","id":ID}, and ends when the container stops.
set_config "$B" '.process.args = ["sleep", "30.'"$MARK_NUM"'"]'
ido=$(new_id oomev)
(cd "$B" && rt run -d "$ido") || fail "run -d with a 16 MiB limit failed"
rt events "$ido" >"$T/events.log" 2>&1 &
EV=$!
kill_at_exit "$EV"
wait_for "grep -q '\"type\":\"stats\"' '$T/events.log'" 5 || fail "events printed no stats: $(cat "$T/events.log")"
rt exec "$ido" dd if=/dev/zero of=/dev/null bs=64M count=1 >/dev/null 2>&1
wait_for "grep -q '\"type\":\"oom\"' '$T/events.log'" 3 || fail "no oom event within 3 s of an OOM kill: $(cat "$T/events.log")"
grep -qF '{"type":"oom","id":"'"$ido"'"}' "$T/events.log" || fail "oom event not {\"type\":\"oom\",\"id\":...}: $(grep oom "$T/events.log")"
rt delete --force "$ido"
wait_for "! kill -0 $EV 2>/dev/null" 10 || fail "events did not end after the container was deleted"
nothing_left "$ido"
pass
