#!/usr/bin/env bash
# kill -9 of the manager while 20 containers run and an import is streaming:
# the restarted manager finds every task again (same pids, through their
# shims), reports a task whose container exited and whose shim was killed
# meanwhile as STOPPED with the exit status the shim recorded, still lists
# the committed images, and the interrupted import can be done again.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

IMG=docker.io/library/busybox:latest
N=20
start_manager
import_busybox
for i in $(seq 1 $N); do
  ctl run -d $IMG "c$i" sh -c 'trap "exit 42" TERM; while true; do sleep 0.2; done' ||
    fail "run -d c$i"
done
declare -A pids
for i in $(seq 1 $N); do
  pids[c$i]=$(task_field "c$i" PID)
  [[ ${pids[c$i]} =~ ^[0-9]+$ ]] || fail "no pid for c$i: $(ctl tasks ls)"
done
before_images=$(ctl images ls)

# An import that is still streaming when the manager dies.
slow_tar=$(image_tar docker restart:slow)
{ head -c 200000 "$slow_tar"; sleep 3; tail -c +200001 "$slow_tar"; } |
  ctl images import - >"$T/slow-import.out" 2>&1 &
import_pid=$!
sleep 1  # its first 200 kB are in, the rest comes in 2 s
kill_manager KILL
wait "$import_pid" && fail "the import survived the manager's kill -9: $(cat "$T/slow-import.out")"

# Meanwhile c$N's container exits (status 42, recorded by its shim), then its
# shim is killed.
victim=c$N
exit_json=$MSTATE/tasks/default/$victim/shim/exit.json
shim=$(cat "$MSTATE/tasks/default/$victim/shim/shim.pid") || fail "no shim.pid for $victim"
kill -TERM "${pids[$victim]}"
wait_for "[[ -s $exit_json ]]" 10 || fail "the shim recorded no exit.json for $victim"
assert_eq 42 "$(jq -r .exit_status "$exit_json")" "exit status in exit.json"
kill -9 "$shim"
wait_for "! alive $shim" 5 || fail "shim $shim still alive"

start_manager
ls_out=$(ctl tasks ls) || fail "tasks ls after restart"
for i in $(seq 1 $((N - 1))); do
  row=$(grep "^c$i " <<<"$ls_out") || fail "c$i lost after restart: $ls_out"
  [[ $row =~ ^c$i\ +${pids[c$i]}\ +RUNNING$ ]] || fail "c$i after restart: '$row' (pid was ${pids[c$i]})"
done
assert_eq STOPPED "$(task_field "$victim" STATUS)" "$victim after restart"
assert_eq 42 "$(ctl tasks get "$victim" | jq -r .exit_status)" "$victim's exit status after restart"
assert_eq "$before_images" "$(ctl images ls)" "images after restart"
assert_not_contains "$(ctl images ls -q)" restart:slow "images after the interrupted import"

# The recovered tasks are fully usable: exec, kill, wait, delete.
out=$(ctl tasks exec --exec-id x1 c1 echo still-here 2>&1) || fail "exec after restart: $out"
assert_eq still-here "$out" "exec after restart"
ctl tasks kill c1 || fail "kill after restart"
wait_for "[[ \$(task_field c1 STATUS) == STOPPED ]]" 10 || fail "c1 not STOPPED after kill"
assert_eq 42 "$(ctl tasks get c1 | jq -r .exit_status)" "c1's exit status"
ctl tasks delete "$victim" || fail "tasks delete $victim"
ctl containers rm "$victim" || fail "containers rm $victim"

# The interrupted import, again, now completes.
out=$(ctl images import "$slow_tar" 2>&1) || fail "import after restart: $out"
assert_contains "$(ctl images ls -q)" docker.io/library/restart:slow "images after re-import"

pass
