# shellcheck shell=bash
# Helpers shared by integration-tests/manager/test_*.sh (sourced after
# ../lib.sh). Each test runs a private berth-manager (root $T/root, state
# $T/run, socket $T/m.sock, log $T/manager.log) and talks to it with
# berthctl. At exit every task it made is deleted, the manager is killed by
# pid, shims it left are killed by their shim.pid, their containers
# force-deleted with the runtime, and mounts under $T unmounted.
MANAGER=$BERTH_BIN/berth-manager
BERTHCTL=$BERTH_BIN/berthctl
[[ -x $MANAGER && -x $BERTHCTL ]] || skip "berth-manager/berthctl not built in $BERTH_BIN"
[[ -x $PROBE ]] || skip "probe not built in $BERTH_BIN"
need_root
need_cmd jq

MROOT=$T/root
MSTATE=$T/run
MSOCK=$T/m.sock
BLOBS=$MROOT/content/blobs/sha256
INGEST=$MROOT/content/ingest
MANAGER_PID=
# This test's containers' cgroups: ids like c1 are used by several tests.
CGROUP_PARENT=/berth-test-${T##*.}
IMAGE_CACHE=${BERTH_IMAGE_CACHE:-$(dirname "$BERTH_BIN")/test-images}

# ctl ARGS...: berthctl on this test's manager.
ctl() { "$BERTHCTL" --address "$MSOCK" "$@"; }

# alive PID: running and not a zombie.
alive() { [[ -e /proc/$1 ]] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

# start_manager: starts berth-manager in the background, waits for its socket.
start_manager() {
  rm -f "$MSOCK"
  "$MANAGER" --root "$MROOT" --state "$MSTATE" --address "$MSOCK" --log-level debug \
    --cgroup-parent "$CGROUP_PARENT" \
    >>"$T/manager.log" 2>&1 &
  MANAGER_PID=$!
  wait_for "[[ -S $MSOCK ]] || ! alive $MANAGER_PID" 20
  alive "$MANAGER_PID" && [[ -S $MSOCK ]] ||
    fail "berth-manager did not start: $(tail -5 "$T/manager.log")"
}

# kill_manager [SIGNAL]: stops this test's manager (default SIGKILL), reaps it.
kill_manager() {
  [[ -n $MANAGER_PID ]] || return 0
  kill "-${1:-KILL}" "$MANAGER_PID" 2>/dev/null
  wait "$MANAGER_PID" 2>/dev/null
  MANAGER_PID=
}

# shim_pids: pids of the shims under this manager's state dir.
shim_pids() {
  local f
  for f in "$MSTATE"/tasks/*/*/shim/shim.pid; do [[ -f $f ]] && cat "$f"; done
}

_stop_stack() {
  local ns id f pid
  if [[ -n $MANAGER_PID ]] && alive "$MANAGER_PID"; then
    for ns in $(ctl --timeout 10s namespaces ls -q 2>/dev/null); do
      for id in $(ctl --timeout 10s -n "$ns" tasks ls -q 2>/dev/null); do
        ctl --timeout 10s -n "$ns" tasks delete -f "$id" >/dev/null 2>&1
      done
      for id in $(ctl --timeout 10s -n "$ns" containers ls -q 2>/dev/null); do
        ctl --timeout 10s -n "$ns" containers rm "$id" >/dev/null 2>&1
      done
    done
  fi
  kill_manager TERM
  for f in "$MSTATE"/tasks/*/*/shim/shim.pid; do
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    ns=$(basename "$(dirname "$(dirname "$(dirname "$f")")")")
    id=$(basename "$(dirname "$(dirname "$f")")")
    "$BERTH_BIN/berth-runtime" --root "$MSTATE/runtime/$ns" delete --force "$id" >/dev/null 2>&1
    [[ -n $pid ]] && alive "$pid" && kill -9 "$pid"
  done
  # This test's cgroups, deepest first (the runtime removes only the leaves).
  find /sys/fs/cgroup -depth -type d \( -path "*$CGROUP_PARENT" -o -path "*$CGROUP_PARENT/*" \) \
    -exec rmdir {} + 2>/dev/null
  # Mounts under $T, deepest first.
  awk -v t="$T/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
}
on_exit _stop_stack

# image_tar oci|docker [TAG]: path of a busybox image archive (with the probe
# at /bin/probe), built once and shared by the tests (make-busybox-image.sh is
# reproducible, so a cached tar is the same bytes).
image_tar() {
  local format=$1 tag=${2:-busybox:latest} out
  out=$IMAGE_CACHE/$(tr ':/' '__' <<<"$tag")-$format.tar
  mkdir -p "$IMAGE_CACHE" || fail "mkdir $IMAGE_CACHE"
  (
    flock 9
    if [[ ! -s $out || $PROBE -nt $out ]]; then
      "$REPO/scripts/make-busybox-image.sh" "$out" --format "$format" --tag "$tag" \
        --probe "$PROBE" >/dev/null
    fi
  ) 9>"$IMAGE_CACHE/.lock" || fail "make-busybox-image.sh $format $tag failed"
  echo "$out"
}

# import_busybox [TAG]: imports the OCI busybox as docker.io/library/TAG.
import_busybox() {
  local tag=${1:-busybox:latest} out
  out=$(ctl images import "$(image_tar oci "$tag")" 2>&1) || fail "import $tag: $out"
}

# task_field ID FIELD: PID or STATUS of ID in `tasks ls`.
task_field() {
  ctl tasks ls | awk -v id="$1" -v f="$2" 'NR == 1 {for (i = 1; i <= NF; i++) col[$i] = i; next}
    $1 == id {print $col[f]}'
}

# count_files DIR: regular files below DIR (0 if it does not exist).
count_files() { [[ -d $1 ]] && find "$1" -type f | wc -l || echo 0; }

# assert_no_ingest: no ingest (or ingest temporary) is left in the content store.
assert_no_ingest() {
  local left
  left=$([[ -d $INGEST ]] && find "$INGEST" -mindepth 1 -maxdepth 1 | head -3)
  [[ -z $left ]] || fail "${1:-ingest} left behind: $left"
}
