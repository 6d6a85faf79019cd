#!/usr/bin/env bash
# An attach client that connected before the process wrote gets the output,
# even when the shim sees the output and the exit before the connection
# (berthctl run connects, then starts; a short process can be gone before the
# shim accepts). Made deterministic by stopping the shim: the process writes
# and exits, the client connects, then the shim resumes with the pipe, the
# exit and the listener all ready at once.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root
need_cmd jq
need_cmd python3

B=$T/bundle
make_bundle "$B"
set_sh "$B" 'sleep 0.5; echo late-output'
start_shim at "$B"
ctl at create >/dev/null && ctl at start >/dev/null || fail "create/start failed"
state=$(ctl at state) || fail "state failed"
sock=$(jq -r .attach_socket <<<"$state")
cpid=$(jq -r .pid <<<"$state")
spid=$(shim_pid at)
kill -STOP "$spid"
kill_at_exit "$spid" CONT
# The container exits while its shim is stopped (a zombie until it reaps).
wait_for "grep -q '^[0-9]* ([^)]*) Z' /proc/$cpid/stat" 5 ||
  fail "the container process did not exit: $(cat "/proc/$cpid/stat")"
python3 - "$sock" >"$T/out" 2>"$T/client.err" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
print("connected", file=sys.stderr, flush=True)
while True:
    b = s.recv(65536)
    if not b:
        break
    sys.stdout.buffer.write(b)
PY
client=$!
wait_for "grep -q connected '$T/client.err'" 5 || fail "no connection: $(cat "$T/client.err")"
kill -CONT "$spid"
wait_for "! alive $client" 5 || fail "the attach client got no EOF"
wait "$client" || fail "attach client: $(cat "$T/client.err")"
assert_eq late-output "$(cat "$T/out")" "output seen by a client connected before the shim read it"
assert_eq 0 "$(ctl at wait)" "exit status"
stop_shim at
pass
