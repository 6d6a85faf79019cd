#!/usr/bin/env bash
# The shim outlives whoever started it and its clients: the starter (and an
# attached client) are kill -9'd mid-stream; the container keeps running, its
# output keeps being logged with no line lost, a new client Connects and
# Waits; if the container exits while no client is connected, the status is
# still there for the next one.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root
need_cmd jq

B=$T/bundle
make_bundle "$B"
set_sh "$B" 'i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo line-$i; sleep 0.01; done; exit 5'

# A starter process that starts the shim, creates and starts the task,
# attaches, then hangs: it gets kill -9'd below.
bash -c "
  '$SHIM' --id sv-$TAG --bundle '$B' --state-dir '$T/sv' --runtime '$RUNTIME' --runtime-root '$ROOT' \
    --log-path '$T/sv.log' >/dev/null || exit 1
  '$SHIMCTL' --socket '$T/sv/shim.sock' create >/dev/null || exit 1
  '$SHIMCTL' --socket '$T/sv/shim.sock' start >/dev/null || exit 1
  '$SHIMCTL' --socket '$T/sv/shim.sock' attach </dev/null >/dev/null &
  sleep 100
" &
starter=$!
wait_for "[[ -s $T/sv/shim.pid ]] && grep -q line- '$T/sv.log' 2>/dev/null" 5 || fail "the starter did not get the task going"
pid=$(shim_pid sv)
kill_at_exit "$pid" KILL
pkill -9 -P "$starter" -f "berth-shimctl" 2>/dev/null
kill -9 "$starter"
wait "$starter" 2>/dev/null
alive "$pid" || fail "the shim died with its starter"
assert_eq "$pid" "$(ctl sv connect | jq -r .shim_pid)" "Connect after kill -9 of the starter"
assert_eq running "$(ctl sv state | jq -r .status)" "status after kill -9 of the starter"
# Let the container exit while nobody is connected.
wait_for "[[ -e $T/sv/exit.json ]]" 10 || fail "the container did not finish"
assert_eq 5 "$(ctl sv wait)" "exit status for a later client"
seq -f 'line-%g' 1 300 >"$T/expected"
log_lines sv >"$T/got"
cmp -s "$T/expected" "$T/got" || fail "log lines lost or reordered: $(diff "$T/expected" "$T/got" | head -5)"
stop_shim sv
pass
