#!/usr/bin/env bash
# process.terminal:
#   - create --console-socket: the runtime sends the pty master over the unix
#     socket (SCM_RIGHTS); after start the probe, reading through that pty,
#     reports stdin/stdout are a tty, it has a controlling terminal, and the
#     window size is process.consoleSize
#   - terminal true without --console-socket on create fails with a clear
#     error (one line naming the console socket), nothing left behind
#   - `run` in the foreground with terminal true, under script(1), works
#   - the pty is owned by process.user.uid (1000 here), its group stays the
#     devpts gid=5, so a non-root process can use its terminal; the same for
#     `exec -t --user`
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd jq
need_cmd python3
need_cmd script "util-linux"

# A console-socket receiver: accept one connection, take the pty master from
# SCM_RIGHTS, copy everything read from it to OUT until EOF/EIO.
cat >"$T/recv.py" <<'PY'
import array, os, socket, sys
path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, flags, addr = conn.recvmsg(4096, socket.CMSG_SPACE(8 * fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
if not fds:
    sys.exit("no fd received")
with open(out, "wb") as f:
    while True:
        try:
            b = os.read(fds[0], 4096)
        except OSError:
            break
        if not b:
            break
        f.write(b)
        f.flush()
PY

# ---------------------------------------------------------------- console socket
B=$T/bundle
new_bundle "$B" tty
set_config "$B" '.process.terminal = true | .process.consoleSize = {height: 33, width: 101}'
ID=$(new_id tty)
SOCK=$T/console.sock
python3 "$T/recv.py" "$SOCK" "$T/pty.out" 2>"$T/recv.err" &
RECV=$!
kill_at_exit "$RECV"
wait_for "[[ -S '$SOCK' ]]" 5 || fail "console receiver did not start: $(cat "$T/recv.err")"
rt create --bundle "$B" --console-socket "$SOCK" "$ID" </dev/null >"$T/out" 2>"$T/err" ||
  fail "create --console-socket failed: $(cat "$T/err")"
assert_eq created "$(state_status "$ID")" "status after create"
rt start "$ID" 2>"$T/err" || fail "start failed: $(cat "$T/err")"
wait_for '[[ $(state_status "$ID") == stopped ]]' 10 || fail "probe did not finish: status $(state_status "$ID")"
wait_for "! kill -0 $RECV 2>/dev/null" 5 || fail "pty master did not reach EOF/EIO after the container exited (a slave fd kept open?): $(tr -d '\r' <"$T/pty.out")"
wait "$RECV" || fail "console receiver failed: $(cat "$T/recv.err")"
out=$(tr -d '\r' <"$T/pty.out")
assert_eq 1 "$(probe_value "$out" tty.stdin)" "tty.stdin via the console socket pty (output: $out)"
assert_eq 1 "$(probe_value "$out" tty.stdout)" "tty.stdout"
assert_eq 1 "$(probe_value "$out" tty.ctty)" "tty.ctty (controlling terminal)"
assert_eq 33x101 "$(probe_value "$out" tty.size)" "tty.size (process.consoleSize)"
assert_contains "$(probe_value "$out" tty.name)" "/dev/pts/" "tty.name"
rt delete "$ID" 2>"$T/err" || fail "delete failed: $(cat "$T/err")"
nothing_left "$ID"

# ---------------------------------------------------------------- no console socket
Bn=$T/bundle-nosock
new_bundle "$Bn" sleep "30.$MARK_NUM"
set_config "$Bn" '.process.terminal = true'
IDN=$(new_id tty-nosock)
rt create --bundle "$Bn" "$IDN" </dev/null >/dev/null 2>"$T/err" && fail "create with terminal true and no --console-socket succeeded"
one_error_line "$T/err" "create with terminal true and no --console-socket" "console socket"
nothing_left "$IDN" "probe sleep 30.$MARK_NUM"

# ---------------------------------------------------------------- run under script(1)
Br=$T/bundle-run
new_bundle "$Br" tty
set_config "$Br" '.process.terminal = true'
IDR=$(new_id tty-run)
cmd="$(printf '%q ' "$RUNTIME" --root "$ROOT" run --bundle "$Br" "$IDR")"
# (script echoes the EOF of its stdin as "^@": keep what starts at "tty.")
out=$(timeout 15 script -qec "$cmd" /dev/null </dev/null 2>"$T/err" | tr -d '\r' | sed -n 's/^.*\(tty\.[a-z]*=\)/\1/p')
rc=${PIPESTATUS[0]}
assert_eq 0 "$rc" "exit code of run with terminal true under script (stderr: $(cat "$T/err"); output: $out)"
assert_eq 1 "$(probe_value "$out" tty.stdin)" "tty.stdin of foreground run (output: $out)"
assert_eq 1 "$(probe_value "$out" tty.stdout)" "tty.stdout of foreground run"
assert_eq 1 "$(probe_value "$out" tty.ctty)" "tty.ctty of foreground run"
nothing_left "$IDR"

# ---------------------------------------------------------------- tty owner
Bo=$T/bundle-owner
make_bundle "$Bo"
set_config "$Bo" '.process.terminal = true | .process.user = {uid: 1000, gid: 100}
  | .process.args = ["sh", "-c", "stat -c owner=%u:%g $(tty)"]'
IDO=$(new_id tty-own)
cmd="$(printf '%q ' "$RUNTIME" --root "$ROOT" run --bundle "$Bo" "$IDO")"
out=$(timeout 15 script -qec "$cmd" /dev/null </dev/null 2>"$T/err" | tr -d '\r' | sed -n 's/^.*\(owner=\)/\1/p')
assert_eq 1000:5 "$(probe_value "$out" owner)" "owner of the pty of a uid 1000 process (stderr: $(cat "$T/err"))"
nothing_left "$IDO"
# exec -t --user: the exec'd process's own pty
set_config "$Bo" '.process.terminal = false | .process.user = {uid: 0, gid: 0} | .process.args = ["sleep", "30.'"$MARK_NUM"'"]'
rt run -d --bundle "$Bo" "$IDO" </dev/null >/dev/null 2>"$T/err" || fail "run -d failed: $(cat "$T/err")"
on_exit rt delete -f "$IDO"
cmd="$(printf '%q ' "$RUNTIME" --root "$ROOT" exec -t --user 1000:100 "$IDO" sh -c 'stat -c owner=%u:%g $(tty)')"
out=$(timeout 15 script -qec "$cmd" /dev/null </dev/null 2>"$T/err" | tr -d '\r' | sed -n 's/^.*\(owner=\)/\1/p')
assert_eq 1000:5 "$(probe_value "$out" owner)" "owner of the pty of exec -t --user 1000 (stderr: $(cat "$T/err"))"
rt delete -f "$IDO" >/dev/null 2>&1
nothing_left "$IDO"

pass
