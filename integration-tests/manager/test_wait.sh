#!/usr/bin/env bash
# Tasks.Wait (berthctl tasks wait): answered when the process exits, however
# the manager learns of it (the exit itself, a kill, a forced delete, a
# process that had already exited), for an exec too; and pending waits hold
# no manager thread (ten waiters, thread count flat); a stopping manager
# answers them.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

IMG=docker.io/library/busybox:latest
start_manager
import_busybox
threads() { awk '/^Threads:/ {print $2}' "/proc/$MANAGER_PID/status"; }

n=10
for i in $(seq 1 $n); do
  ctl run -d $IMG w$i sleep 1000 >/dev/null || fail "run -d w$i"
done
before=$(threads)
waiters=()
for i in $(seq 1 $n); do
  ctl tasks wait w$i >"$T/wait.$i" 2>&1 &
  waiters+=($!)
  kill_at_exit $!
done
sleep 1  # the waits reach the manager
during=$(threads)
for pid in "${waiters[@]}"; do alive "$pid" || fail "a waiter returned early: $(cat "$T"/wait.*)"; done
((during - before < 3)) || fail "manager threads went from $before to $during with $n pending waits"

# An exit by signal, and one by a forced delete: both report 137.
ctl tasks kill -s SIGKILL w1 || fail "kill w1"
wait "${waiters[0]}" || fail "wait w1: $(cat "$T/wait.1")"
assert_eq 137 "$(cat "$T/wait.1")" "wait after SIGKILL"
ctl tasks delete -f w2 >/dev/null || fail "delete -f w2"
wait "${waiters[1]}" || fail "wait w2: $(cat "$T/wait.2")"
assert_eq 137 "$(cat "$T/wait.2")" "wait across a forced delete"
# The rest, killed together, each answered.
for i in $(seq 3 $n); do ctl tasks kill -s SIGKILL w$i || fail "kill w$i"; done
for i in $(seq 3 $n); do
  wait "${waiters[i - 1]}" || fail "wait w$i: $(cat "$T/wait.$i")"
  assert_eq 137 "$(cat "$T/wait.$i")" "wait w$i after SIGKILL"
done

# A process that exited before the wait; an exec's own exit status.
ctl run -d $IMG done sh -c 'exit 4' >/dev/null || fail "run -d done"
wait_for "[[ \$(task_field done STATUS) == STOPPED ]]" 10 || fail "task done did not stop"
assert_eq 4 "$(ctl tasks wait done)" "wait after the exit"
ctl run -d $IMG host sleep 1000 >/dev/null || fail "run -d host"
ctl tasks exec -d --exec-id e1 host sh -c 'sleep 0.5; exit 5' || fail "exec -d e1"
assert_eq 5 "$(ctl tasks wait --exec-id e1 host)" "wait for an exec"

# A client that goes away mid-wait leaves the manager answering others.
ctl tasks wait host >/dev/null 2>&1 &
gone=$!
sleep 0.3
kill -9 "$gone"
wait "$gone" 2>/dev/null
ctl tasks kill -s SIGKILL host || fail "kill host"
assert_eq 137 "$(ctl tasks wait host)" "wait after another waiter vanished"

out=$(ctl tasks wait nope 2>&1) && fail "wait for a missing task succeeded"
assert_eq "berthctl: task nope: not found" "$out" "wait for a missing task"

# A stopping manager answers pending waits at once; the task lives on.
ctl run -d $IMG last sleep 1000 >/dev/null || fail "run -d last"
ctl tasks wait last >"$T/wait.last" 2>&1 &
w=$!
sleep 0.3
kill_manager TERM
wait "$w" && fail "a wait across the manager's stop succeeded"
assert_eq "berthctl: berth-manager is stopping" "$(cat "$T/wait.last")" "wait while the manager stops"
start_manager
assert_eq RUNNING "$(task_field last STATUS)" "task after the manager's restart"
pass
