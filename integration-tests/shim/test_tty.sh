#!/usr/bin/env bash
# tty: the shim takes the pty master over its console socket; input from an
# attached client reaches the shell, ResizePty changes the window size seen
# inside, output is logged (stream stdout), and CloseIO sends EOF so the
# shell exits 0.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root
need_cmd jq

B=$T/bundle
make_bundle "$B"
set_args "$B" sh
set_config "$B" '.process.terminal = true'
start_shim tty "$B"
ctl tty create --tty >/dev/null && ctl tty start >/dev/null || fail "create/start failed"
ctl tty resize 123 45 || fail "resize"
{ echo 'stty size; echo marker-$((40+2))'; sleep 1; } | timeout 5 "$SHIMCTL" --socket "$T/tty/shim.sock" attach >"$T/attach.out"
assert_contains "$(cat "$T/attach.out")" "45 123" "attach output (stty size)"
assert_contains "$(cat "$T/attach.out")" "marker-42" "attach output"
ctl tty close-io || fail "close-io"
assert_eq 0 "$(timeout 5 "$SHIMCTL" --socket "$T/tty/shim.sock" wait)" "exit status after EOF on the tty"
assert_contains "$(log_lines tty)" "marker-42" "container log"
assert_eq stdout "$(jq -r .stream "$T/tty.log" | sort -u)" "streams of a tty"
stop_shim tty
pass
