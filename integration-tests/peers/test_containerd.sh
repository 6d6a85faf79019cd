#!/usr/bin/env bash
# Peer test: Debian's containerd 1.6 drives the runtime under test through its
# runc v2 shim (`ctr run --runc-binary $RUNTIME`).
#
# A private containerd is started with a generated config (root, state, grpc
# socket and the opt plugin all under $T; the CRI plugin and the snapshotters
# that need special filesystems disabled), a busybox image made locally by
# scripts/make-busybox-image.sh is imported (nothing is pulled), and then:
#   - ctr run --rm IMAGE ID echo hello-from-berth   prints hello-from-berth
#   - ctr run --rm IMAGE ID sh -c 'exit 7'          exits 7
#   - ctr run -d, ctr task exec (output and exit code), ctr task kill,
#     ctr task rm, ctr container rm
# and afterwards no task, container, shim process or mount under $T is left.
source "$(dirname "$0")/../lib.sh"

need_root
need_cmd containerd
need_cmd ctr "containerd"
need_cmd containerd-shim-runc-v2 "containerd"
need_cmd jq
need_cmd sha256sum
RT=$(command -v "$RUNTIME") || skip "runtime $RUNTIME not found (build berth-runtime or set RUNTIME=runc)"
[[ $RT == /* ]] || RT=$(cd "$(dirname "$RT")" && pwd)/$(basename "$RT")

NS=berth-test
SOCK=$T/containerd.sock
TAG=${T##*.}                     # unique per run: ids, cgroup parent
CG_PARENT=/berth-ctr-$TAG        # cgroupsPath is $CG_PARENT/<id>
RUNC_ROOT=$T/runc-root           # the shim's --root for the runtime
FIFO=$T/fifo
IMAGE=docker.io/library/busybox:latest
mkdir -p "$FIFO" "$RUNC_ROOT"

# ---------------------------------------------------------------- containerd
CTRD_PID=""
"$REPO/scripts/containerd-config.sh" "$T/containerd" "$SOCK" debug >"$T/containerd.toml"

# Shim v2 of containerd 1.6 always puts its ttrpc socket in /run/containerd/s
# (not configurable): remember whether those directories existed so that at
# exit only the (empty) ones this test created are removed.
made_dirs=()
for d in /run/containerd /run/containerd/s; do
  [[ -e $d ]] || made_dirs=("$d" "${made_dirs[@]}")
done

c() { timeout 60 ctr -a "$SOCK" -n "$NS" "$@"; }

# PIDs of shims that talk to our containerd (their command line names $SOCK).
our_shims() {
  local p
  for p in /proc/[0-9]*; do
    [[ $(tr '\0' ' ' 2>/dev/null <"$p/cmdline") =~ containerd-shim.*-address\ $SOCK\  ]] && echo "${p#/proc/}"
  done
  return 0
}

# mountpoints under $T, deepest first.
mounts_under_t() { awk -v t="$T/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r; }

stop_containerd() {
  [[ -n $CTRD_PID ]] || return 0
  if kill -0 "$CTRD_PID" 2>/dev/null; then
    kill -TERM "$CTRD_PID" 2>/dev/null
    local i
    for ((i = 0; i < 100; i++)); do kill -0 "$CTRD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$CTRD_PID" 2>/dev/null && kill -KILL "$CTRD_PID" 2>/dev/null
  fi
  wait "$CTRD_PID" 2>/dev/null
  CTRD_PID=""
}

cleanup() {
  local id p m
  if [[ -n $CTRD_PID ]] && kill -0 "$CTRD_PID" 2>/dev/null; then
    for id in $(c tasks ls -q 2>/dev/null); do
      c tasks kill -s SIGKILL "$id"
      wait_for "[[ \$(c tasks ls 2>/dev/null | awk -v id=$id '\$1 == id {print \$3}') != RUNNING ]]" 5
      c tasks rm -f "$id"
    done
    for id in $(c containers ls -q 2>/dev/null); do c containers rm "$id"; done
    for id in $(c images ls -q 2>/dev/null); do c images rm "$id"; done
  fi
  stop_containerd
  # Shims of our containerd that outlived it (only ours: matched by $SOCK).
  for p in $(our_shims); do kill -TERM "$p"; done
  sleep 0.2
  for p in $(our_shims); do kill -KILL "$p"; done
  # Their sockets: /run/containerd/s/sha256(<grpc address>/<ns>/<id>).
  for id in echo exit7 detached; do
    rm -f "/run/containerd/s/$(printf '%s' "$SOCK/$NS/bt-$TAG-$id" | sha256sum | cut -d' ' -f1)"
  done
  for m in $(mounts_under_t); do umount "$m" 2>/dev/null || umount -l "$m"; done
  local d
  for d in /sys/fs/cgroup/*/"$CG_PARENT" /sys/fs/cgroup/unified/"$CG_PARENT"; do
    [[ -d $d ]] && rmdir "$d"/* "$d"
  done
  for d in "${made_dirs[@]}"; do [[ -d $d ]] && rmdir "$d"; done
  return 0
}
on_exit cleanup

containerd --config "$T/containerd.toml" >"$T/containerd.log" 2>&1 &
CTRD_PID=$!
if ! wait_for "ctr -a '$SOCK' version >/dev/null 2>&1" 30; then
  echo "--- containerd log (tail) ---"
  tail -n 30 "$T/containerd.log"
  kill -0 "$CTRD_PID" 2>/dev/null || skip "containerd does not start on this machine (log above)"
  fail "containerd did not answer on $SOCK within 30 s"
fi
grep -q 'io.containerd.runtime.v2.*task.*ok' <<<"$(c plugins ls 2>/dev/null)" ||
  fail "containerd's runtime v2 task plugin is not ok: $(c plugins ls | grep -i runtime)"

# --------------------------------------------------------------------- image
"$REPO/scripts/make-busybox-image.sh" "$T/busybox-oci.tar" --format oci >/dev/null ||
  fail "make-busybox-image.sh --format oci failed"
out=$(c images import "$T/busybox-oci.tar" 2>&1) || fail "ctr images import (oci) failed: $out"
grep -qx "$IMAGE" <<<"$(c images ls -q)" || fail "image $IMAGE not listed after import: $(c images ls -q)"
# The docker-archive form must import too (dockerd's test loads it).
"$REPO/scripts/make-busybox-image.sh" "$T/busybox-docker.tar" --format docker --tag berth.test/busybox-docker:v1 >/dev/null ||
  fail "make-busybox-image.sh --format docker failed"
out=$(c images import "$T/busybox-docker.tar" 2>&1) || fail "ctr images import (docker) failed: $out"
grep -qx "berth.test/busybox-docker:v1" <<<"$(c images ls -q)" ||
  fail "docker-format image not listed: $(c images ls -q); ctr import said: $out"
c images rm berth.test/busybox-docker:v1 >/dev/null

# Common flags of `ctr run`: the runtime under test, its root, our cgroup
# parent and fifo dir (so nothing goes to /run/containerd/{runc,fifo}).
# run_flags ID: sets RF=(those flags).
run_flags() { RF=(--runc-binary "$RT" --runc-root "$RUNC_ROOT" --fifo-dir "$FIFO" --cgroup "$CG_PARENT/$1"); }

# --------------------------------------------------------- ctr run --rm echo
id=bt-$TAG-echo
run_flags "$id"
out=$(c run --rm "${RF[@]}" "$IMAGE" "$id" echo hello-from-berth </dev/null 2>"$T/err")
rc=$?
[[ $rc -eq 0 ]] || fail "ctr run --rm ... echo exited $rc: $(cat "$T/err"); containerd log: $(tail -n 5 "$T/containerd.log")"
assert_eq "hello-from-berth" "$(tr -d '\r' <<<"$out")" "ctr run output"

# ------------------------------------------------------ exit code propagates
id=bt-$TAG-exit7
run_flags "$id"
c run --rm "${RF[@]}" "$IMAGE" "$id" sh -c 'exit 7' </dev/null >/dev/null 2>"$T/err"
rc=$?
assert_eq 7 "$rc" "exit code of ctr run ... sh -c 'exit 7' ($(cat "$T/err"))"

[[ -n $(c containers ls -q) ]] && fail "ctr run --rm left containers: $(c containers ls -q)"

# ------------------------------------------ detached: exec, kill, rm, c rm
id=bt-$TAG-detached
run_flags "$id"
out=$(c run -d --null-io "${RF[@]}" "$IMAGE" "$id" sleep 1000 </dev/null 2>&1) ||
  fail "ctr run -d failed: $out"
status() { c tasks ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}'; }
wait_for "[[ \$(status $id) == RUNNING ]]" 10 || fail "task $id is not RUNNING: '$(status "$id")'"
st=$("$RT" --root "$RUNC_ROOT/$NS" state "$id" 2>&1)
[[ $(jq -r .status <<<"$st" 2>/dev/null) == running ]] || fail "$RT --root $RUNC_ROOT/$NS state $id: $st"
pid=$(c tasks ls | awk -v id="$id" '$1 == id {print $2}')
if ! [[ $pid =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null; then fail "task pid '$pid' of $id is not alive"; fi

out=$(c tasks exec --exec-id e1 --fifo-dir "$FIFO" "$id" sh -c 'echo exec-ok; cat /proc/1/cmdline | tr "\0" " "' </dev/null 2>"$T/err")
rc=$?
[[ $rc -eq 0 ]] || fail "ctr task exec exited $rc: $(cat "$T/err")"
assert_contains "$out" "exec-ok" "ctr task exec output"
assert_contains "$out" "sleep 1000" "pid 1 seen by the exec'd process"

c tasks exec --exec-id e2 --fifo-dir "$FIFO" "$id" sh -c 'exit 3' </dev/null >/dev/null 2>"$T/err"
rc=$?
assert_eq 3 "$rc" "exit code of ctr task exec ... sh -c 'exit 3' ($(cat "$T/err"))"

out=$(c tasks kill -s SIGKILL "$id" 2>&1) || fail "ctr task kill failed: $out"
wait_for "[[ \$(status $id) == STOPPED ]]" 10 || fail "task $id not STOPPED after SIGKILL: '$(status "$id")'"
kill -0 "$pid" 2>/dev/null && [[ $(ps -o stat= -p "$pid") != Z* ]] && fail "container process $pid still alive after kill"
out=$(c tasks rm "$id" 2>&1) || fail "ctr task rm failed: $out"
out=$(c containers rm "$id" 2>&1) || fail "ctr container rm failed: $out"

# ---------------------------------------------------------- nothing left
[[ -z $(c tasks ls -q) ]] || fail "tasks left: $(c tasks ls -q)"
[[ -z $(c containers ls -q) ]] || fail "containers left: $(c containers ls -q)"
wait_for '[[ -z $(our_shims) ]]' 10 || fail "shim processes left: $(our_shims | xargs -r ps -o pid,args -p)"
m=$(mounts_under_t)
[[ -z $m ]] || fail "mounts left under $T after ctr task rm: $m"
[[ -z $(ls -A "$RUNC_ROOT/$NS" 2>/dev/null) ]] || fail "runtime state left in $RUNC_ROOT/$NS: $(ls -A "$RUNC_ROOT/$NS")"

c images rm "$IMAGE" >/dev/null || fail "ctr images rm failed"
stop_containerd
[[ -z $(mounts_under_t) ]] || fail "mounts left under $T after containerd exit: $(mounts_under_t)"
pass "containerd: ctr run/exec/kill/rm with --runc-binary $RT"
