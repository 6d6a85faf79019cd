#!/usr/bin/env bash
# Bad requests never crash the shim: an unknown method or service, a payload
# that is not protobuf, an unknown frame type, an oversized frame (5 MiB
# announced), then 300 random frames; each well-formed frame gets an error
# response with its id, and the shim answers Connect afterwards.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root
need_cmd python3

B=$T/bundle
make_bundle "$B"
start_shim bad "$B"
pid=$(shim_pid bad)

python3 - "$T/bad/shim.sock" <<'PY' || fail "bad-frame client failed"
import os, random, socket, struct, sys

def pb_bytes(field, data):  # protobuf length-delimited field
    key, n, out = field << 3 | 2, len(data), b""
    out += bytes([key])
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out + data

def request(service, method, payload=b""):
    return pb_bytes(1, service) + pb_bytes(2, method) + pb_bytes(3, payload)

def frame(i, payload, typ=1):
    return struct.pack(">IIBB", len(payload), i, typ, 0) + payload

s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
buf = b""
def reply():
    global buf
    while True:
        if len(buf) >= 10:
            n, i, t, _ = struct.unpack(">IIBB", buf[:10])
            if len(buf) >= 10 + n:
                p, buf = buf[10:10 + n], buf[10 + n:]
                if t == 3:
                    continue  # an event
                return i, p
        d = s.recv(65536)
        if not d:
            sys.exit("shim closed the connection")
        buf += d

def expect(i, text):
    rid, p = reply()
    if rid != i or text.encode() not in p:
        sys.exit(f"frame {i}: expected an error with {text!r}, got id {rid}: {p!r}")

s.sendall(frame(1, request(b"berth.shim.v1.Task", b"Nope")))
expect(1, "unknown method 'Nope'")
s.sendall(frame(3, request(b"other.Service", b"Connect")))
expect(3, "unknown service")
s.sendall(frame(5, b"\xff\xff\xff\xff garbage"))
expect(5, "malformed request envelope")
s.sendall(frame(7, request(b"berth.shim.v1.Task", b"Kill", b"\xff\xff\xff")))
expect(7, "malformed berth.shim.v1.KillRequest")
s.sendall(frame(9, b"x", typ=9))
expect(9, "unknown frame type 9")
big = 5 << 20
s.sendall(struct.pack(">IIBB", big, 11, 1, 0))
expect(11, "exceeds the 4194304-byte limit")
s.sendall(b"\0" * big)  # the announced payload is skipped
s.sendall(frame(13, request(b"berth.shim.v1.Task", b"Connect")))
rid, p = reply()
if rid != 13 or b"0.1" not in p:
    sys.exit(f"Connect after the oversized frame: {rid} {p!r}")

rnd = random.Random(4)
for k in range(300):
    kind = rnd.randrange(4)
    body = os.urandom(rnd.randrange(0, 200))
    if kind == 0:
        body = request(b"berth.shim.v1.Task", rnd.choice([b"State", b"Kill", b"Exec", b"Wait", b"X"]), body)
    s.sendall(frame(15 + 2 * k, body, typ=rnd.choice([1, 1, 1, 2, 3])))
# Wait requests with random payloads may block (no task): read what comes, then check liveness.
s.settimeout(2)
try:
    while s.recv(65536):
        pass
except socket.timeout:
    pass
s.close()

# Random bytes, no framing at all, on fresh connections.
for k in range(50):
    c = socket.socket(socket.AF_UNIX)
    c.connect(sys.argv[1])
    c.sendall(os.urandom(rnd.randrange(1, 4096)))
    c.close()
PY
alive "$pid" || fail "the shim died"
ctl bad connect >/dev/null || fail "Connect after the bad frames"
stop_shim bad
pass
