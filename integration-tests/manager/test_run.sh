#!/usr/bin/env bash
# Containers and tasks through the manager with berthctl (ctr's run and
# tasks): output and exit status of attached runs, stdin, spec options,
# detached tasks (tasks ls, ps, exec, pause, metrics, kill, delete), the json
# log, events, and the errors a user sees.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

IMG=docker.io/library/busybox:latest
start_manager
import_busybox
ctl events >"$T/events.log" 2>&1 &
events_pid=$!
kill_at_exit "$events_pid"

# Attached runs: output, exit status, stdin, --rm.
out=$(ctl run --rm $IMG r1 echo hello 2>&1) || fail "run --rm echo: $out"
assert_eq hello "$out" "run --rm echo output"
assert_not_contains "$(ctl containers ls -q)" r1 "containers after run --rm"
assert_not_contains "$(ctl snapshots ls)" r1 "snapshots after run --rm"
ctl run --rm $IMG r2 sh -c 'exit 3'
assert_eq 3 "$?" "exit status of sh -c 'exit 3'"
out=$(echo piped-in | ctl run --rm $IMG r3 cat 2>&1) || fail "run cat: $out"
assert_eq piped-in "$out" "stdin through the attach socket"
out=$(ctl run --rm $IMG r4 sh -c 'echo to-stderr >&2' 2>/dev/null)
assert_eq to-stderr "$out" "stderr through the attach socket"
out=$(ctl run --rm --env FOO=bar --cwd /tmp --user 1000:1001 $IMG r5 \
  sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g) $(hostname)"' 2>&1) || fail "run with options: $out"
assert_eq "bar /tmp 1000:1001 r5" "$out" "env, cwd, user, hostname"
out=$(ctl run --rm $IMG r6 probe 2>&1) || fail "run probe: $out"
[[ -n $out ]] || fail "the probe printed nothing"
# Without --rm the task is deleted, the container stays.
ctl run $IMG keep echo kept >/dev/null || fail "run without --rm"
assert_contains "$(ctl containers ls -q)" keep "containers after run without --rm"
assert_not_contains "$(ctl tasks ls -q)" keep "tasks after an attached run"
info=$(ctl containers info keep) || fail "containers info failed"
assert_eq '["echo","kept"]' "$(jq -c .Spec.process.args <<<"$info")" "containers info args"
assert_eq "$IMG" "$(jq -r .Image <<<"$info")" "containers info image"
ctl tasks start keep >"$T/start.out" || fail "tasks start keep"
assert_eq kept "$(cat "$T/start.out")" "tasks start output"
ctl containers rm keep || fail "containers rm keep"
# The container starts with no signal ignored or blocked, whatever the
# manager inherited (started in the background here: SIGINT/SIGQUIT ignored)
# or set for itself (SIGPIPE ignored, SIGTERM/SIGINT blocked).
out=$(ctl run --rm $IMG sigs grep -E '^Sig(Ign|Blk)' /proc/self/status 2>&1) || fail "run sigs: $out"
assert_contains "$out" "SigBlk:	0000000000000000" "blocked signals in a container"
assert_contains "$out" "SigIgn:	0000000000000000" "ignored signals in a container"
# A tty (no local terminal here: no raw mode, the pty's output as is).
out=$(ctl run --rm -t $IMG tty1 sh -c 'tty; echo "$TERM"' 2>&1 </dev/null) || fail "run -t: $out"
assert_contains "$out" "/dev/pts/" "tty in run -t"
assert_contains "$out" "xterm" "TERM in run -t"

# Detached: tasks ls, ps, exec, pause/resume, metrics, log, kill, delete.
out=$(ctl run -d $IMG d1 sh -c 'echo started; trap "exit 7" TERM; while true; do sleep 0.1; done' 2>&1) ||
  fail "run -d: $out"
assert_eq "" "$out" "run -d output"
ls_out=$(ctl tasks ls)
pid=$(task_field d1 PID)
[[ $pid =~ ^[0-9]+$ ]] || fail "no pid for d1 in tasks ls: $ls_out"
# ctr's tabwriter (minwidth 4, padding 4): exact columns.
assert_eq "$(printf 'TASK    %-*sSTATUS    \nd1      %-*sRUNNING' $((${#pid} + 4)) PID $((${#pid} + 4)) "$pid")" \
  "$ls_out" "tasks ls output"
alive "$pid" || fail "task pid $pid is not running"
# A spec without linux.cgroupsPath: the manager's --cgroup-parent/<ns>/<id>.
grep -q ":$CGROUP_PARENT/default/d1\$" "/proc/$pid/cgroup" ||
  fail "d1 is not in $CGROUP_PARENT/default/d1: $(cat "/proc/$pid/cgroup")"
assert_contains "$(ctl tasks ps d1)" "$pid" "tasks ps"
assert_eq RUNNING "$(ctl tasks get d1 | jq -r .status)" "tasks get status"
out=$(ctl tasks exec --exec-id e1 d1 sh -c 'echo in-exec; exit 5' 2>&1)
assert_eq 5 "$?" "exec exit status"
assert_eq in-exec "$out" "exec output"
out=$(echo exec-stdin | ctl tasks exec --exec-id e2 d1 cat 2>&1) || fail "exec cat: $out"
assert_eq exec-stdin "$out" "exec stdin"
out=$(ctl tasks exec -t --exec-id e3 d1 tty 2>&1 </dev/null) || fail "exec -t: $out"
assert_contains "$out" "/dev/pts/" "exec -t"
ctl tasks exec --exec-id e1 d1 true || fail "an exec id cannot be reused after its exec ended"
ctl tasks pause d1 || fail "tasks pause"
assert_eq PAUSED "$(task_field d1 STATUS)" "status after pause"
ctl tasks resume d1 || fail "tasks resume"
assert_eq RUNNING "$(task_field d1 STATUS)" "status after resume"
metrics=$(ctl tasks metrics d1) || fail "tasks metrics: $metrics"
assert_contains "$metrics" "pids.current" "tasks metrics"
log=$(ctl tasks get d1 | jq -r .log_path)
[[ -f $log ]] || log=$MSTATE/tasks/default/d1/log.json
wait_for "grep -q started '$log' 2>/dev/null" 5 || fail "no 'started' in the task log $log"
assert_eq "started
stdout" "$(head -1 "$log" | jq -r '.log, .stream' | sed '/^$/d')" "json-file log line"
err=$(ctl tasks delete d1 2>&1) && fail "tasks delete of a running task succeeded"
[[ $err == "berthctl: "* ]] || fail "tasks delete error: $err"
err=$(ctl containers rm d1 2>&1) && fail "containers rm with a live task succeeded"
ctl tasks kill d1 || fail "tasks kill (SIGTERM)"
wait_for "[[ \$(task_field d1 STATUS) == STOPPED ]]" 10 || fail "d1 not STOPPED after SIGTERM: $(ctl tasks ls)"
assert_eq 7 "$(ctl tasks get d1 | jq -r .exit_status)" "exit status after the TERM trap"
ctl tasks delete d1 || fail "tasks delete d1"
assert_not_contains "$(ctl tasks ls -q)" d1 "tasks after delete"
ctl containers rm d1 || fail "containers rm d1"
assert_not_contains "$(ctl containers ls -q)" d1 "containers after rm"
grep -qx d1 <<<"$(ctl snapshots ls | awk 'NR > 1 {print $1}')" && fail "snapshot d1 still listed after containers rm"
! alive "$pid" || fail "d1's process $pid still runs"

# kill -a -s KILL, then delete -f on a running task.
ctl run -d $IMG d2 sleep 1000 || fail "run -d d2"
ctl tasks kill -a -s KILL d2 || fail "tasks kill -a -s KILL"
wait_for "[[ \$(task_field d2 STATUS) == STOPPED ]]" 10 || fail "d2 not STOPPED after SIGKILL"
assert_eq 137 "$(ctl tasks get d2 | jq -r .exit_status)" "exit status after SIGKILL"
ctl tasks delete d2 && ctl containers rm d2 || fail "delete d2"
ctl run -d $IMG d3 sleep 1000 || fail "run -d d3"
ctl tasks delete -f d3 || fail "tasks delete -f of a running task"
ctl containers rm d3 || fail "containers rm d3"

# Another runtime behind the shim.
if command -v runc >/dev/null; then
  out=$(ctl run --rm --runtime "$(command -v runc)" $IMG rc1 echo via-runc 2>&1) || fail "run --runtime runc: $out"
  assert_eq via-runc "$out" "run --runtime runc"
fi

# Namespaces keep their objects apart.
ctl namespaces create other || fail "namespaces create"
assert_contains "$(ctl namespaces ls)" other "namespaces ls"
assert_eq "" "$(ctl -n other images ls -q)" "images in a new namespace"
err=$(ctl -n other run --rm $IMG o1 true 2>&1) && fail "run in a namespace without the image succeeded"
ctl namespaces rm other >/dev/null || fail "namespaces rm other"

# Errors: one line, exit 1.
err=$(ctl run --rm docker.io/library/nope:latest n1 true 2>&1)
assert_eq 1 "$?" "exit code of a failed run"
[[ $(wc -l <<<"$err") -eq 1 && $err == "berthctl: "* ]] || fail "error output: $err"
err=$(ctl tasks kill no-such-task 2>&1) && fail "kill of a missing task succeeded"
assert_eq 1 "$(wc -l <<<"$err")" "lines of the kill error"
err=$(ctl --address "$T/nowhere.sock" images ls 2>&1) && fail "images ls without a manager succeeded"
[[ $err == "berthctl: "* ]] || fail "error without a manager: $err"

# Events seen by `berthctl events`: TIMESTAMP NAMESPACE TOPIC key=value...
wait_for "grep -q /containers/delete '$T/events.log'" 5 || fail "no events: $(head "$T/events.log")"
for topic in /tasks/create /tasks/start /tasks/exit /tasks/delete /containers/create /tasks/paused /tasks/resumed; do
  grep -q " default $topic" "$T/events.log" || fail "no $topic event: $(head -20 "$T/events.log")"
done
grep -E -q '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ \+0000 UTC default /tasks/exit .*container_id=d1' \
  "$T/events.log" || fail "event line format: $(grep /tasks/exit "$T/events.log" | head -2)"

pass
