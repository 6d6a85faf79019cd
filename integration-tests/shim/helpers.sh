# shellcheck shell=bash
# Helpers shared by integration-tests/shim/test_*.sh (sourced after ../lib.sh).
# Each shim runs with its state in $T/<name>, its container log in
# $T/<name>.log and the runtime under test ($RUNTIME, with --root $ROOT), so
# RUNTIME=runc runs the same scenarios on runc. Every shim started here is
# killed by pid at exit; lib.sh then force-deletes the containers.
SHIM=$BERTH_BIN/berth-shim
SHIMCTL=$BERTH_BIN/berth-shimctl
[[ -x $SHIM && -x $SHIMCTL ]] || skip "berth-shim/berth-shimctl not built in $BERTH_BIN"
TAG=$(tr '[:upper:]' '[:lower:]' <<<"${T##*.}")

# start_shim NAME BUNDLE [SHIM-FLAGS...]: a daemonized shim for container NAME-$TAG.
start_shim() {
  local name=$1 bundle=$2
  shift 2
  "$SHIM" --id "$name-$TAG" --bundle "$bundle" --state-dir "$T/$name" --runtime "$RUNTIME" \
    --runtime-root "$ROOT" --log-path "$T/$name.log" "$@" >"$T/$name.start" ||
    fail "berth-shim $name did not start: $(cat "$T/$name.start")"
  local pid
  pid=$(cat "$T/$name/shim.pid") || fail "no shim.pid for $name"
  kill_at_exit "$pid" KILL
}

# ctl NAME ARGS...: berth-shimctl on NAME's shim.
ctl() {
  local name=$1
  shift
  "$SHIMCTL" --socket "$T/$name/shim.sock" "$@"
}

# alive PID: running (not a zombie: this machine's pid 1 may not reap).
alive() { [[ -e /proc/$1 ]] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }

# shim_pid NAME
shim_pid() { cat "$T/$1/shim.pid"; }

# stop_shim NAME: delete the task (if any) and shut the shim down; it must exit.
stop_shim() {
  local name=$1 pid
  pid=$(shim_pid "$name")
  ctl "$name" delete >/dev/null 2>&1
  ctl "$name" shutdown || fail "shutdown of $name failed"
  wait_for "! alive $pid" 5 || fail "shim $name (pid $pid) still running after shutdown"
}

# log_lines NAME: the "log" fields of NAME's container log, one per line.
log_lines() { jq -j .log "$T/$1.log"; }

# set_sh BUNDLE SCRIPT: process.args = sh -c SCRIPT (set_args would hand -c to jq).
set_sh() { set_config "$1" '.process.args = ["sh", "-c", $s]' --arg s "$2"; }
