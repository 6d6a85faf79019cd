#!/usr/bin/env bash
# stdin without a tty: what the attached client writes reaches the
# container's stdin (a pipe held by the shim); CloseIO closes it, so `cat`
# sees EOF and exits 0; only the first attached client is the stdin writer.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root
need_cmd jq

B=$T/bundle
make_bundle "$B"
set_sh "$B" 'cat; echo cat-done'
start_shim in "$B"
ctl in create --stdin >/dev/null && ctl in start >/dev/null || fail "create/start failed"
mkfifo "$T/in1"
ctl in attach <"$T/in1" >"$T/out1" &
a1=$!
exec 7>"$T/in1"
sleep 0.2
echo "from-second" | timeout 2 "$SHIMCTL" --socket "$T/in/shim.sock" attach >/dev/null
echo "from-first" >&7
wait_for "grep -q from-first '$T/out1'" 5 || fail "first client's input not echoed: $(cat "$T/out1")"
ctl in close-io || fail "close-io"
assert_eq 0 "$(timeout 5 "$SHIMCTL" --socket "$T/in/shim.sock" wait)" "exit status of cat"
exec 7>&-
wait "$a1"
assert_eq $'from-first\ncat-done' "$(log_lines in)" "container log"
stop_shim in
pass
