#!/usr/bin/env bash
# Nothing is left after containers go away, whichever way they go:
#   - foreground run that exits
#   - run --detach, killed with SIGKILL via `kill ID KILL`, then delete
#   - run --detach, its init killed with SIGKILL from the host, then delete
#   - run --detach, then delete --force while running
#   - create (never started), then delete
#   - create, then delete --force
#   - run --detach with an exec'd process still running, then delete --force
#     (the exec'd process dies too)
# "Nothing" = no state dir, no mounts under $T, no cgroup dir named like the
# id in any hierarchy (/sys/fs/cgroup/*/..., any depth), no process.
# Also: a few create/delete cycles on the same id (ids are reusable).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd jq

MARK="sleep 30.$MARK_NUM"
B=$T/bundle
new_bundle "$B" sleep "30.$MARK_NUM"
Bx=$T/bundle-exit
new_bundle "$Bx" exit 0

gone() { # gone ID WHAT: the container is gone and left nothing
  rt state "$1" >/dev/null 2>&1 && fail "$2: state of $1 still works"
  nothing_left "$1" "$MARK"
}
run_d() { # run_d ID: run --detach the sleeping probe
  rt run -d --bundle "$B" "$1" </dev/null >/dev/null 2>"$T/err" || fail "run -d $1 failed: $(cat "$T/err")"
  assert_eq running "$(state_status "$1")" "status of $1 after run -d"
}

# foreground run
id=$(new_id cu-fg)
rt run --bundle "$Bx" "$id" </dev/null >/dev/null 2>"$T/err" || fail "run failed: $(cat "$T/err")"
gone "$id" "foreground run"

# kill ID KILL, delete
id=$(new_id cu-kill)
run_d "$id"
rt kill "$id" KILL 2>"$T/err" || fail "kill KILL failed: $(cat "$T/err")"
wait_for '[[ $(state_status "$id") == stopped ]]' 5 || fail "status after kill KILL: $(state_status "$id")"
rt delete "$id" 2>"$T/err" || fail "delete failed: $(cat "$T/err")"
gone "$id" "kill KILL + delete"

# SIGKILL from the host, delete
id=$(new_id cu-hostkill)
run_d "$id"
pid=$(rt state "$id" | jq -r .pid)
kill -KILL "$pid"
wait_for '[[ $(state_status "$id") == stopped ]]' 5 || fail "status after the host killed the init: $(state_status "$id")"
rt delete "$id" 2>"$T/err" || fail "delete failed: $(cat "$T/err")"
gone "$id" "host SIGKILL + delete"

# delete --force while running
id=$(new_id cu-force)
run_d "$id"
rt delete --force "$id" 2>"$T/err" || fail "delete --force failed: $(cat "$T/err")"
gone "$id" "delete --force of a running container"

# create, delete (never started)
id=$(new_id cu-created)
rt create --bundle "$B" "$id" </dev/null >/dev/null 2>"$T/err" || fail "create failed: $(cat "$T/err")"
pid=$(rt state "$id" | jq -r .pid)
rt delete "$id" 2>"$T/err" || fail "delete of a created container failed: $(cat "$T/err")"
gone "$id" "create + delete"
wait_for "[[ ! -d /proc/$pid ]]" 2 || fail "process $pid of the created container survived its delete"

# create, delete --force
id=$(new_id cu-created-f)
rt create --bundle "$B" "$id" </dev/null >/dev/null 2>"$T/err" || fail "create failed: $(cat "$T/err")"
pid=$(rt state "$id" | jq -r .pid)
rt delete --force "$id" 2>"$T/err" || fail "delete --force of a created container failed: $(cat "$T/err")"
gone "$id" "create + delete --force"
wait_for "[[ ! -d /proc/$pid ]]" 2 || fail "process $pid of the created container survived its delete --force"

# exec'd process still running at delete --force
id=$(new_id cu-exec)
run_d "$id"
rt exec -d "$id" probe sleep "30.$MARK_NUM" </dev/null >/dev/null 2>"$T/err" || fail "exec -d failed: $(cat "$T/err")"
rt delete --force "$id" 2>"$T/err" || fail "delete --force failed: $(cat "$T/err")"
gone "$id" "delete --force with an exec'd process"

# the same id, again and again
id=$(new_id cu-reuse)
for i in 1 2 3; do
  rt run --bundle "$Bx" "$id" </dev/null >/dev/null 2>"$T/err" || fail "run #$i of a reused id failed: $(cat "$T/err")"
  run_d "$id"
  rt delete --force "$id" 2>"$T/err" || fail "delete --force #$i failed: $(cat "$T/err")"
  gone "$id" "reuse cycle $i"
done

assert_eq "" "$(rt list -q)" "list -q at the end"
pass
