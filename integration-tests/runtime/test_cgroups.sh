#!/usr/bin/env bash
# cgroup placement: the init and exec'd processes are in the container's
# cgroup in every hierarchy (v1 controllers and the v2/unified tree), the
# container's /sys/fs/cgroup shows its own cgroup (not the host's tree), and
# a relative or absolute linux.cgroupsPath is honoured. Issue 3 adds resources.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root

B=$T/bundle
new_bundle "$B" sleep 30."$MARK_NUM"
id=$(new_id cg)
cgpath=/berth-test-$TAG/$id
set_config "$B" '.linux.cgroupsPath = $p' --arg p "$cgpath"
(cd "$B" && rt run -d "$id") || fail "run -d $id failed"
on_exit "find /sys/fs/cgroup -maxdepth 3 -type d -name berth-test-$TAG -exec rmdir {} +"
pid=$(rt state "$id" | jq -r .pid)

# Every hierarchy the host mounts places the init under cgroupsPath.
while IFS=: read -r _ ctrl path; do
  assert_eq "$cgpath" "$path" "cgroup of the init in hierarchy '$ctrl'"
done </proc/"$pid"/cgroup

# The same for an exec'd process, seen from the host.
exec_cg=$(rt exec "$id" sh -c 'cat /proc/self/cgroup' | sed 's/^[0-9]*://' | sort)
host_cg=$(sed 's/^[0-9]*://' /proc/"$pid"/cgroup | sort)
assert_eq "$host_cg" "$exec_cg" "exec'd process cgroups"

# Inside, /sys/fs/cgroup/<ctrl> is the container's own directory: it holds
# the init (pid 1 in the container) and no host sub-cgroups.
if [[ -d /sys/fs/cgroup/memory ]]; then
  procs=$(rt exec "$id" cat /sys/fs/cgroup/memory/cgroup.procs | tr '\n' ' ')
  assert_contains " $procs" " 1 " "memory cgroup.procs inside the container"
  subdirs=$(rt exec "$id" sh -c 'find /sys/fs/cgroup/memory -mindepth 1 -type d | wc -l')
  assert_eq 0 "$subdirs" "sub-cgroups visible under the container's memory cgroup"
  # ...and read-only, as the spec's mount options say.
  out=$(rt exec "$id" probe try write:/sys/fs/cgroup/memory/x)
  assert_eq EROFS "$(probe_value "$out" try.write:/sys/fs/cgroup/memory/x)" "write into /sys/fs/cgroup"
fi

rt delete --force "$id" || fail "delete --force failed"
[[ -z $(find /sys/fs/cgroup -maxdepth 3 -path "*berth-test-$TAG/$id") ]] || fail "cgroup dirs of $id left"

# A relative cgroupsPath goes under the runtime's own cgroup (runc's rule).
id2=$(new_id cgrel)
set_config "$B" '.linux.cgroupsPath = $p | .process.args = ["probe", "cgroup"]' --arg p "rel-$TAG/$id2"
out=$(cd "$B" && rt run "$id2") || fail "run with a relative cgroupsPath failed"
own=$(sed -n 's/^[0-9]*:pids://p' /proc/self/cgroup)
[[ $own == / ]] && own=""
assert_contains "$out" "pids:$own/rel-$TAG/$id2" "probe cgroup lines"
nothing_left "$id2"
find /sys/fs/cgroup -maxdepth 6 -type d -name "rel-$TAG" -exec rmdir {} + 2>/dev/null

pass
