#!/usr/bin/env bash
# cgroup placement: the init and exec'd processes are in the container's
# cgroup in every hierarchy (v1 controllers and the v2/unified tree), the
# container's /sys/fs/cgroup shows its own cgroup (not the host's tree), and
# a relative or absolute linux.cgroupsPath is honoured. Issue 3 adds resources.
# Also:
#   - exec --cgroup SUB / ctrl:SUB joins a sub-cgroup of the container's;
#     ".." ("is not a sub cgroup path"), an unknown controller and a missing
#     sub-cgroup ("cgroup.procs: no such file") are refused
#   - exec into a paused container fails; with --ignore-paused it runs once
#     the container is resumed
#   - create in a cgroup shared with a live container warns "container's
#     cgroup is not empty"; a cgroup frozen beforehand is refused
#     ("unexpectedly frozen", no hang) and left as it was
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root

B=$T/bundle
new_bundle "$B" sleep 30."$MARK_NUM"
id=$(new_id cg)
cgpath=/berth-test-$TAG/$id
set_config "$B" '.linux.cgroupsPath = $p' --arg p "$cgpath"
(cd "$B" && rt run -d "$id") || fail "run -d $id failed"
on_exit "rt delete --force $id; find /sys/fs/cgroup -maxdepth 3 -type d -name berth-test-$TAG -exec rmdir {} +"
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

# ---------------------------------------------------------------- exec --cgroup
sub=sub-$TAG
# (not cpuset: a new cpuset cgroup has no cpus, and joining it fails)
if [[ -d /sys/fs/cgroup/memory ]]; then
  subdirs=(/sys/fs/cgroup/memory"$cgpath/$sub" /sys/fs/cgroup/pids"$cgpath/$sub")
  spec=memory,pids:$sub
else
  subdirs=(/sys/fs/cgroup"$cgpath/$sub")
  spec=$sub
fi
mkdir -p "${subdirs[@]}" || fail "mkdir ${subdirs[*]}"
on_exit "rmdir ${subdirs[*]} 2>/dev/null"
out=$(rt exec --cgroup "$spec" "$id" cat /proc/self/cgroup 2>"$T/err") || fail "exec --cgroup $spec failed: $(cat "$T/err")"
while IFS=: read -r _ ctrl path; do
  want=$cgpath
  [[ $spec == "$sub" || $ctrl == memory || $ctrl == pids ]] && want=$cgpath/$sub
  assert_eq "$want" "$path" "cgroup of exec --cgroup $spec in hierarchy '$ctrl'"
done <<<"$out"
out=$(rt exec --cgroup / "$id" cat /proc/self/cgroup 2>"$T/err") || fail "exec --cgroup / failed: $(cat "$T/err")"
assert_eq "$host_cg" "$(sed 's/^[0-9]*://' <<<"$out" | sort)" "cgroups of exec --cgroup /"
rt exec --cgroup .. "$id" true 2>"$T/err" && fail "exec --cgroup .. succeeded"
assert_contains "$(cat "$T/err")" " .. is not a sub cgroup path" "exec --cgroup .."
rt exec --cgroup whaaat:/ "$id" true 2>"$T/err" && fail "exec --cgroup whaaat:/ succeeded"
assert_contains "$(cat "$T/err")" "unknown controller whaaat" "exec --cgroup whaaat:/"
rt exec --cgroup nonexistent "$id" true 2>"$T/err" && fail "exec --cgroup nonexistent succeeded"
assert_contains "$(cat "$T/err")" "/nonexistent/cgroup.procs: no such file" "exec --cgroup nonexistent"
rmdir "${subdirs[@]}"

# ---------------------------------------------------------------- exec --ignore-paused
rt pause "$id" || fail "pause failed"
rt exec "$id" true 2>"$T/err" && fail "exec into a paused container succeeded"
assert_contains "$(cat "$T/err")" "paused" "exec into a paused container"
(sleep 1 && rt resume "$id") &
out=$(timeout 20 "$RUNTIME" --root "$ROOT" exec --ignore-paused "$id" echo ok 2>"$T/err") ||
  fail "exec --ignore-paused failed: $(cat "$T/err")"
wait
assert_eq ok "$out" "output of exec --ignore-paused"

# ---------------------------------------------------------------- shared cgroup
id3=$(new_id cgshared)
(cd "$B" && rt create "$id3" </dev/null >/dev/null 2>"$T/err") || fail "create in a shared cgroup failed: $(cat "$T/err")"
assert_contains "$(cat "$T/err")" "container's cgroup is not empty" "create in a cgroup shared with $id"
rt delete --force "$id3" >/dev/null 2>&1

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

# ---------------------------------------------------------------- frozen cgroup
fpath=/berth-test-$TAG/frozen
if [[ -d /sys/fs/cgroup/freezer ]]; then
  fdir=/sys/fs/cgroup/freezer$fpath ffile=freezer.state frozen=FROZEN thawed=THAWED
else
  fdir=/sys/fs/cgroup$fpath ffile=cgroup.freeze frozen=1 thawed=0
fi
mkdir -p "$fdir" && echo "$frozen" >"$fdir/$ffile" || fail "cannot freeze $fdir"
on_exit "echo $thawed >'$fdir/$ffile'; rmdir '$fdir'"
idf=$(new_id cgfrz)
set_config "$B" '.linux.cgroupsPath = $p | .process.args = ["probe", "exit", "0"]' --arg p "$fpath"
(cd "$B" && timeout 20 "$RUNTIME" --root "$ROOT" run "$idf" </dev/null >/dev/null 2>"$T/err")
rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] || fail "run into a frozen cgroup: expected a prompt error, got exit $rc"
assert_contains "$(cat "$T/err")" "container's cgroup unexpectedly frozen" "run into a frozen cgroup"
[[ -d $fdir ]] || fail "the frozen cgroup made beforehand was removed"
assert_nothing_left "$idf"

pass
