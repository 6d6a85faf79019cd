#!/usr/bin/env bash
# Namespaces of the container process:
#   - the default config's pid/net/ipc/uts/mnt namespaces are new (probe ns.*
#     differs from the host's /proc/$$/ns inodes) and the process is pid 1
#   - a network namespace given by path (ip netns add) is joined
#   - a user namespace with uid/gid mappings (0 -> 100000, size 65536): uid 0
#     inside, uid/gid 100000 as the host sees the process; bind mounts whose
#     sources the mapped root cannot reach (a 0700 host directory) still
#     mount (the runtime clones them first, with its own credentials)
#   - a cgroup namespace: new ns.cgroup, and the process sees its cgroups as /
#   - a time namespace, when the kernel has them: new ns.time and
#     linux.timeOffsets shift CLOCK_BOOTTIME (/proc/uptime)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd jq
need_cmd ip iproute2

# ---------------------------------------------------------------- defaults
B=$T/bundle
new_bundle "$B" ns pid
ID=$(new_id ns)
rt_run_probe "$ID" "$B"
assert_eq 0 "$RC" "exit code of run (stderr: $(cat "$T/err"))"
for ns in pid net ipc uts mnt; do
  v=$(probe_value "$OUT" "ns.$ns") || fail "probe printed no ns.$ns: $OUT"
  [[ $v != "$(host_ns "$ns")" ]] || fail "ns.$ns inside ($v) is the host's"
done
for ns in user cgroup; do # not in the default config: shared with the host
  assert_eq "$(host_ns "$ns")" "$(probe_value "$OUT" "ns.$ns")" "ns.$ns (not requested)"
done
assert_eq 1 "$(probe_value "$OUT" pid)" "pid inside the new pid namespace"

# ---------------------------------------------------------------- netns by path
NETNS=berth-test-$TAG
ip netns add "$NETNS" || fail "ip netns add $NETNS failed"
on_exit "ip netns delete $NETNS"
want=$(stat -L -c %i "/var/run/netns/$NETNS")
Bn=$T/bundle-netns
new_bundle "$Bn" ns
set_config "$Bn" '(.linux.namespaces[] | select(.type == "network")) += {path: $p}' --arg p "/var/run/netns/$NETNS"
rt_run_probe "$(new_id ns-net)" "$Bn"
assert_eq 0 "$RC" "exit code of run with netns path (stderr: $(cat "$T/err"))"
assert_eq "$want" "$(probe_value "$OUT" ns.net)" "ns.net when joining /var/run/netns/$NETNS"
nothing_left "$(new_id ns-net)"

# ---------------------------------------------------------------- user namespace
# The mapped root (host uid 100000) must be able to reach the bundle.
chmod 0755 "$T"
Bu=$T/bundle-userns
new_bundle "$Bu" ids ns sleep "10.$MARK_NUM"
chmod 0755 "$Bu"
set_config "$Bu" '.linux.namespaces += [{type: "user"}]
  | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
  | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
IDU=$(new_id ns-user)
rt run -d --bundle "$Bu" "$IDU" </dev/null >"$T/userns.out" 2>"$T/userns.err" ||
  fail "run -d with a user namespace failed: $(cat "$T/userns.err")"
wait_for 'grep -q "^ns.uts=" "$T/userns.out"' 5 || fail "probe in the user namespace printed nothing: $(cat "$T/userns.out" "$T/userns.err")"
out=$(cat "$T/userns.out")
assert_eq "0 0 0 0" "$(probe_value "$out" uid)" "uid inside the user namespace"
assert_eq "0 0 0 0" "$(probe_value "$out" gid)" "gid inside the user namespace"
[[ $(probe_value "$out" ns.user) != "$(host_ns user)" ]] || fail "ns.user inside is the host's"
pid=$(rt state "$IDU" | jq -r .pid)
assert_eq "100000" "$(awk '/^Uid:/ {print $2}' /proc/"$pid"/status)" "host view of the process uid"
assert_eq "100000" "$(awk '/^Gid:/ {print $2}' /proc/"$pid"/status)" "host view of the process gid"
assert_eq "0 100000 65536" "$(awk '{print $1, $2, $3}' /proc/"$pid"/uid_map)" "uid_map"
assert_eq "0 100000 65536" "$(awk '{print $1, $2, $3}' /proc/"$pid"/gid_map)" "gid_map"
rt delete --force "$IDU" 2>"$T/err" || fail "delete --force of the userns container failed: $(cat "$T/err")"
nothing_left "$IDU" "probe ids ns sleep 10.$MARK_NUM"

# Two bind mounts of sources inside a 0700 root-owned directory.
mkdir -p "$T/private/one" "$T/private/two" && chmod 0700 "$T/private"
echo one >"$T/private/one/file" && echo two >"$T/private/two/file"
mkdir -p "$Bu/rootfs/mnt/one" "$Bu/rootfs/mnt/two"  # (the mapped root may not mkdir there)
set_config "$Bu" '.mounts += [{source: $one, destination: "/mnt/one", options: ["bind"]},
    {source: $two, destination: "/mnt/two", options: ["rbind", "ro"]}]
  | .process.args = ["cat", "/mnt/one/file", "/mnt/two/file"]' --arg one "$T/private/one" --arg two "$T/private/two"
out=$(rt run --bundle "$Bu" "$(new_id ns-user-priv)" </dev/null 2>"$T/err") ||
  fail "run with a user namespace and binds of unreachable sources failed: $(cat "$T/err")"
assert_eq "one two" "$(echo $out)" "files read through binds of sources the mapped root cannot reach"
nothing_left "$(new_id ns-user-priv)"

# ---------------------------------------------------------------- cgroup namespace
Bc=$T/bundle-cgroupns
new_bundle "$Bc" ns cgroup
set_config "$Bc" '.linux.namespaces += [{type: "cgroup"}]'
rt_run_probe "$(new_id ns-cg)" "$Bc"
assert_eq 0 "$RC" "exit code of run with a cgroup namespace (stderr: $(cat "$T/err"))"
[[ $(probe_value "$OUT" ns.cgroup) != "$(host_ns cgroup)" ]] || fail "ns.cgroup inside is the host's"
cg=$(grep '^cgroup=' <<<"$OUT")
[[ -n $cg ]] || fail "probe printed no cgroup lines: $OUT"
# Every hierarchy's path is the namespace root.
bad=$(grep -v ':/$' <<<"$cg")
[[ -z $bad ]] || fail "cgroup paths inside a cgroup namespace are not '/': $bad"

# ---------------------------------------------------------------- time namespace
if [[ ! -e /proc/self/ns/time ]]; then
  echo "note: kernel has no time namespaces; time namespace check skipped"
elif is_runc; then
  # runc 1.1 does not know the "time" namespace type (added in runc 1.2);
  # the check below describes the runtime-spec 1.2 behaviour Berth provides.
  echo "note: runc 1.1 has no time namespace support; time namespace check skipped for runc"
else
  Bt=$T/bundle-timens
  new_bundle "$Bt"
  # (not set_args: jq would take the "-c" as its own option)
  set_config "$Bt" '.process.args = ["sh", "-c", $s]' --arg s 'probe ns; echo uptime=$(cut -d" " -f1 /proc/uptime)'
  set_config "$Bt" '.linux.namespaces += [{type: "time"}]
    | .linux.timeOffsets = {boottime: {secs: 864000, nanosecs: 0}}'
  rt_run_probe "$(new_id ns-time)" "$Bt"
  assert_eq 0 "$RC" "exit code of run with a time namespace (stderr: $(cat "$T/err"))"
  [[ $(probe_value "$OUT" ns.time) != "$(host_ns time)" ]] || fail "ns.time inside is the host's"
  up=$(probe_value "$OUT" uptime)
  host_up=$(cut -d' ' -f1 /proc/uptime)
  awk -v a="$up" -v b="$host_up" 'BEGIN { exit !(a - b > 863000 && a - b < 865000) }' ||
    fail "boottime offset 864000 s not applied: uptime inside $up, host $host_up"
fi

pass
