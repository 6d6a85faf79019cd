#!/usr/bin/env bash
# Peer test: Debian's dockerd 20.10 runs containers with the runtime under test
# registered as `--add-runtime berth=$RUNTIME`.
#
# A private containerd (config, root, state, socket under $T, CRI disabled)
# and a private dockerd (--data-root/--exec-root/-H/--pidfile under $T, no
# bridge, no iptables, its own empty daemon.json, containers under a unique
# cgroup parent) are started; the busybox image made locally by
# scripts/make-busybox-image.sh --format docker is `docker load`ed (nothing is
# pulled), and then, all with --runtime berth --network none:
#   - docker run --rm busybox echo ok                     prints ok
#   - docker run --rm busybox sh -c 'exit 5'              exits 5
#   - docker run --rm -it (under script(1), a real pty)   sees /dev/pts/N
#   - docker run -d; docker exec (output, exit code 3 propagates); stop; rm
# At exit dockerd is stopped by its pid (TERM, 15 s, KILL), then containerd;
# no shim of ours and no mount under $T may remain.
# If dockerd or containerd cannot start here, the log tail is printed and the
# test is skipped (77).
source "$(dirname "$0")/../lib.sh"

need_root
need_cmd dockerd "docker.io"
need_cmd docker "docker CLI"
need_cmd containerd
need_cmd ctr "containerd"
need_cmd containerd-shim-runc-v2 "containerd"
need_cmd script "bsdutils"
need_cmd jq
need_cmd sha256sum
RT=$(command -v "$RUNTIME") || skip "runtime $RUNTIME not found (build berth-runtime or set RUNTIME=runc)"
[[ $RT == /* ]] || RT=$(cd "$(dirname "$RT")" && pwd)/$(basename "$RT")

TAG=${T##*.}
CSOCK=$T/containerd.sock
DSOCK=$T/docker.sock
CG_PARENT=/berth-docker-$TAG     # --cgroup-parent: removed at exit
export DOCKER_HOST=unix://$DSOCK
export DOCKER_CONFIG=$T/docker-cli   # keep the CLI away from ~/.docker
mkdir -p "$DOCKER_CONFIG"

# Not configurable: containerd 1.6's shims put their sockets in
# /run/containerd/s, dockerd 20.10 creates /run/docker/plugins. Remember which
# of these existed so that at exit only the (empty) ones we created go.
made_dirs=()
for dd in /run/containerd /run/containerd/s /run/docker /run/docker/plugins; do
  [[ -e $dd ]] || made_dirs=("$dd" "${made_dirs[@]}")
done

# ---------------------------------------------------------------- helpers
d() { timeout 120 docker "$@"; }

# our_shims: shims connected to our containerd (command line names $CSOCK).
our_shims() {
  local p
  for p in /proc/[0-9]*; do
    [[ $(tr '\0' ' ' 2>/dev/null <"$p/cmdline") =~ containerd-shim.*-address\ $CSOCK\  ]] && echo "${p#/proc/}"
  done
  return 0
}
mounts_under_t() { awk -v t="$T/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r; }

# stop_pid PID NAME SECONDS: TERM, wait, KILL; PID must be our child.
stop_pid() {
  local pid=$1 name=$2 secs=$3 i
  [[ -n $pid ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < secs * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "note: $name ($pid) ignored SIGTERM for ${secs}s, sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  wait "$pid" 2>/dev/null
  return 0
}

log_tail() { # log_tail FILE NAME
  echo "--- $2 log (tail, $1) ---"
  tail -n "${3:-25}" "$1" 2>/dev/null
  echo "---"
}

# ---------------------------------------------------------------- containerd
CTRD_PID="" DOCKERD_PID=""
"$REPO/scripts/containerd-config.sh" "$T/containerd" "$CSOCK" >"$T/containerd.toml"

# dockerd's own config file, so /etc/docker/daemon.json is not read and the
# libtrust key does not go to /etc/docker/key.json.
cat >"$T/daemon.json" <<EOF
{
  "deprecated-key-path": "$T/docker-key.json"
}
EOF

cleanup() {
  local id p m dd
  if [[ -n $DOCKERD_PID ]] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    local ids=()
    mapfile -t ids < <(timeout 20 docker ps -aq 2>/dev/null)
    [[ ${#ids[@]} -gt 0 ]] && timeout 30 docker rm -f "${ids[@]}"
  fi
  stop_pid "$DOCKERD_PID" dockerd 15
  DOCKERD_PID=""
  # Containers of dockerd's namespace that it left in containerd.
  if [[ -n $CTRD_PID ]] && kill -0 "$CTRD_PID" 2>/dev/null; then
    for id in $(timeout 10 ctr -a "$CSOCK" -n moby tasks ls -q 2>/dev/null); do
      timeout 10 ctr -a "$CSOCK" -n moby tasks kill -s SIGKILL "$id"
      sleep 0.5
      timeout 10 ctr -a "$CSOCK" -n moby tasks rm -f "$id"
    done
  fi
  stop_pid "$CTRD_PID" containerd 10
  CTRD_PID=""
  for p in $(our_shims); do kill -TERM "$p"; done
  sleep 0.2
  for p in $(our_shims); do kill -KILL "$p"; done
  for m in $(mounts_under_t); do umount "$m" 2>/dev/null || umount -l "$m"; done
  for dd in /sys/fs/cgroup/*/"$CG_PARENT"; do
    [[ -d $dd ]] && rmdir "$dd"/*/ "$dd"
  done
  # Only empty directories that did not exist before (deepest first).
  for dd in "${made_dirs[@]}"; do [[ -d $dd ]] && rmdir "$dd"; done
  return 0
}
on_exit cleanup

containerd --config "$T/containerd.toml" >"$T/containerd.log" 2>&1 &
CTRD_PID=$!
if ! wait_for "ctr -a '$CSOCK' version >/dev/null 2>&1" 30; then
  log_tail "$T/containerd.log" containerd
  skip "containerd does not start on this machine (log above)"
fi

# ------------------------------------------------------------------- dockerd
dockerd \
  --config-file "$T/daemon.json" \
  --data-root "$T/docker" \
  --exec-root "$T/dexec" \
  --pidfile "$T/docker.pid" \
  -H "unix://$DSOCK" \
  --containerd "$CSOCK" \
  --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
  --cgroup-parent "$CG_PARENT" \
  --add-runtime "berth=$RT" \
  --log-level debug \
  >"$T/dockerd.log" 2>&1 &
DOCKERD_PID=$!
if ! wait_for "docker version >/dev/null 2>&1 || ! kill -0 $DOCKERD_PID 2>/dev/null" 30 ||
  ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
  log_tail "$T/dockerd.log" dockerd 40
  skip "dockerd does not start on this machine (log above)"
fi
[[ $(cat "$T/docker.pid" 2>/dev/null) == "$DOCKERD_PID" ]] || fail "dockerd pidfile $(cat "$T/docker.pid") != $DOCKERD_PID"
info=$(d info --format '{{json .Runtimes}}' 2>&1)
assert_contains "$info" "\"berth\"" "docker info runtimes"
assert_contains "$info" "$RT" "docker info runtimes"

# --------------------------------------------------------------------- image
"$REPO/scripts/make-busybox-image.sh" "$T/busybox-docker.tar" --format docker >/dev/null ||
  fail "make-busybox-image.sh --format docker failed"
out=$(d load -i "$T/busybox-docker.tar" 2>&1) || fail "docker load failed: $out"
assert_contains "$out" "busybox:latest" "docker load output"

RUN=(run --rm --pull never --runtime berth --network none)

# ------------------------------------------------------------ run --rm echo
out=$(d "${RUN[@]}" busybox echo ok </dev/null 2>"$T/err")
rc=$?
if [[ $rc -ne 0 ]]; then
  log_tail "$T/dockerd.log" dockerd 15 >&2
  fail "docker run ... echo ok exited $rc: $(cat "$T/err")"
fi
assert_eq ok "$out" "docker run output"

d "${RUN[@]}" busybox sh -c 'exit 5' </dev/null >/dev/null 2>"$T/err"
rc=$?
assert_eq 5 "$rc" "exit code of docker run ... sh -c 'exit 5' ($(cat "$T/err"))"

# ------------------------------------------------------ run -it through a pty
# script(1) gives docker a real terminal (its own stdin may be anything).
cmd="docker run --rm -it --pull never --runtime berth --network none busybox sh -c 'tty; echo tty-ok'"
out=$(timeout 60 script -qec "$cmd" /dev/null </dev/null 2>&1)
rc=$?
out=$(tr -d '\r' <<<"$out")
[[ $rc -eq 0 ]] || fail "docker run -it under script exited $rc: $out"
assert_contains "$out" "/dev/pts/" "tty inside docker run -it"
assert_contains "$out" "tty-ok" "docker run -it output"

# ---------------------------------------------- run -d, exec, stop and rm
cid=$(d run -d --pull never --runtime berth --network none --name "bt-$TAG" busybox sleep 1000 2>"$T/err") ||
  fail "docker run -d failed: $(cat "$T/err")"
[[ $(d inspect -f '{{.State.Running}} {{.HostConfig.Runtime}}' "$cid") == "true berth" ]] ||
  fail "container not running with runtime berth: $(d inspect -f '{{json .State}} {{.HostConfig.Runtime}}' "$cid")"
# The runtime under test holds the container: its own `state` reports it
# running. dockerd 20.10 gives every runc-v2 runtime, added ones included,
# --root <exec-root>/runtime-runc/<namespace>.
rt_root=$(ls -d "$T"/dexec/runtime-*/moby 2>/dev/null | head -n1)
[[ -n $rt_root ]] || fail "no runtime root under $T/dexec: $(ls "$T/dexec")"
st=$("$RT" --root "$rt_root" state "$cid" 2>&1)
[[ $(jq -r .status <<<"$st" 2>/dev/null) == running ]] || fail "$RT --root $rt_root state $cid: $st"
out=$(d exec "$cid" sh -c 'echo exec-ok; cat /proc/1/cmdline | tr "\0" " "' </dev/null 2>"$T/err")
rc=$?
[[ $rc -eq 0 ]] || fail "docker exec exited $rc: $(cat "$T/err")"
assert_contains "$out" "exec-ok" "docker exec output"
assert_contains "$out" "sleep 1000" "pid 1 seen by docker exec"
d exec "$cid" sh -c 'exit 3' </dev/null >/dev/null 2>"$T/err"
rc=$?
assert_eq 3 "$rc" "exit code of docker exec ... sh -c 'exit 3' ($(cat "$T/err"))"
out=$(d exec -t "$cid" tty </dev/null 2>&1 | tr -d '\r')
assert_contains "$out" "/dev/pts/" "docker exec -t"

# Resources and the cgroup verbs through dockerd: update (runtime `update -r -`),
# pause/unpause (runtime pause/resume), top (the container's pids).
out=$(d update --memory 96m --memory-swap 128m --pids-limit 50 "$cid" 2>&1) || fail "docker update failed: $out"
mem=$(d exec "$cid" cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || true)
[[ -z $mem ]] || assert_eq $((96 << 20)) "$mem" "memory limit inside after docker update"
d pause "$cid" >/dev/null 2>"$T/err" || fail "docker pause failed: $(cat "$T/err")"
assert_eq paused "$("$RT" --root "$rt_root" state "$cid" | jq -r .status)" "runtime state after docker pause"
d unpause "$cid" >/dev/null 2>"$T/err" || fail "docker unpause failed: $(cat "$T/err")"
assert_eq running "$("$RT" --root "$rt_root" state "$cid" | jq -r .status)" "runtime state after docker unpause"
out=$(d top "$cid" 2>&1) || fail "docker top failed: $out"
assert_contains "$out" "sleep 1000" "docker top"
out=$(d run --rm --pull never --runtime berth --network none --memory 32m busybox \
  cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>&1) || fail "docker run --memory 32m failed: $out"
assert_eq $((32 << 20)) "$out" "memory limit of docker run --memory 32m"

# sleep is pid 1 and ignores SIGTERM: stop must fall back to SIGKILL after 1 s.
out=$(d stop -t 1 "$cid" 2>&1) || fail "docker stop failed: $out"
[[ $(d inspect -f '{{.State.Running}}' "$cid") == false ]] || fail "container still running after docker stop"
out=$(d rm "$cid" 2>&1) || fail "docker rm failed: $out"
[[ -z $(d ps -aq) ]] || fail "containers left: $(d ps -a)"

# ----------------------------------------------------------- nothing left
wait_for '[[ -z $(our_shims) ]]' 10 || fail "shims left after docker rm: $(our_shims | xargs -r ps -o pid,args -p)"
m=$(mounts_under_t | grep -v "^$T/docker\$" | grep -v "^$T/docker/overlay2\$")
[[ -z $m ]] || fail "mounts left under $T after docker rm: $m"

stop_pid "$DOCKERD_PID" dockerd 15
DOCKERD_PID=""
stop_pid "$CTRD_PID" containerd 10
CTRD_PID=""
[[ -z $(our_shims) ]] || fail "shims left after dockerd/containerd exit"
[[ -z $(mounts_under_t) ]] || fail "mounts left under $T after dockerd exit: $(mounts_under_t)"
pass "dockerd: docker run/-it/exec/stop/rm with --add-runtime berth=$RT"
