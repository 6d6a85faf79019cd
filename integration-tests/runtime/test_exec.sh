#!/usr/bin/env bash
# exec into a running container:
#   - the new process is in the init's namespaces (ns.* equal) and not pid 1
#   - its exit code propagates (probe exit 3 => 3)
#   - --env, --cwd, --user 1000:1000, --process FILE
#   - --detach --pid-file: returns at once, the pid file names the process
#   - exec in a stopped container fails
#   - exec of a missing binary exits 255 with an error naming it
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd jq

B=$T/bundle
new_bundle "$B" sleep "30.$MARK_NUM"
ID=$(new_id exec)
rt run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>"$T/err" || fail "run -d failed: $(cat "$T/err")"
pid=$(rt state "$ID" | jq -r .pid)

# ---------------------------------------------------------------- namespaces
out=$(rt exec "$ID" probe ns pid </dev/null 2>"$T/err") || fail "exec probe failed: $(cat "$T/err")"
for ns in pid net ipc uts mnt cgroup user; do
  assert_eq "$(stat -L -c %i /proc/"$pid"/ns/$ns)" "$(probe_value "$out" "ns.$ns")" "ns.$ns of the exec'd process vs the init's"
done
p=$(probe_value "$out" pid)
[[ $p =~ ^[0-9]+$ && $p -gt 1 ]] || fail "pid of the exec'd process: expected > 1, got '$p'"

# ---------------------------------------------------------------- exit code
rt exec "$ID" probe exit 3 </dev/null >/dev/null 2>"$T/err"
assert_eq 3 $? "exit code of exec (probe exit 3)"

# ---------------------------------------------------------------- --env --cwd --user
out=$(rt exec --env FOO=bar --env "SPACED=a b" --cwd /tmp "$ID" probe env cwd </dev/null 2>"$T/err") || fail "exec --env --cwd failed: $(cat "$T/err")"
out=$'\n'$out$'\n'   # so that every line is \n-delimited for assert_contains
assert_contains "$out" $'\nenv=FOO=bar\n' "environment of exec --env FOO=bar"
assert_contains "$out" $'\nenv=SPACED=a b\n' "environment of exec --env 'SPACED=a b'"
assert_contains "$out" $'\nenv=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n' "environment of exec (config env kept)"
# HOME is not in the config: like runc, it comes from the user's /etc/passwd entry.
assert_contains "$out" $'\nenv=HOME=/root\n' "environment of exec (HOME of root from /etc/passwd)"
assert_eq /tmp "$(probe_value "$out" cwd)" "cwd of exec --cwd /tmp"
out=$(rt exec --user 1000:1000 "$ID" probe ids env </dev/null 2>"$T/err") || fail "exec --user failed: $(cat "$T/err")"
assert_contains "$out"$'\n' $'\nenv=HOME=/home/berth\n' "environment of exec --user 1000:1000 (HOME from /etc/passwd)"
assert_eq "1000 1000 1000 1000" "$(probe_value "$out" uid)" "uid of exec --user 1000:1000"
assert_eq "1000 1000 1000 1000" "$(probe_value "$out" gid)" "gid of exec --user 1000:1000"

# ---------------------------------------------------------------- --process
jq -n '{terminal: false, user: {uid: 1000, gid: 2000}, args: ["probe", "ids", "cwd", "env"],
        env: ["PATH=/bin", "FROM_PROCESS_FILE=1"], cwd: "/home/berth"}' >"$T/process.json"
out=$(rt exec --process "$T/process.json" "$ID" </dev/null 2>"$T/err") || fail "exec --process failed: $(cat "$T/err")"
assert_eq "1000 1000 1000 1000" "$(probe_value "$out" uid)" "uid from --process"
assert_eq "2000 2000 2000 2000" "$(probe_value "$out" gid)" "gid from --process"
assert_eq /home/berth "$(probe_value "$out" cwd)" "cwd from --process"
assert_contains "$out" $'\nenv=FROM_PROCESS_FILE=1' "environment from --process"

# ---------------------------------------------------------------- --detach --pid-file
start=$(date +%s%N)
rt exec --detach --pid-file "$T/exec.pid" "$ID" probe sleep "20.$MARK_NUM" </dev/null >/dev/null 2>"$T/err" ||
  fail "exec --detach failed: $(cat "$T/err")"
ms=$((($(date +%s%N) - start) / 1000000))
((ms < 5000)) || fail "exec --detach did not return at once (${ms} ms)"
epid=$(tr -d '[:space:]' <"$T/exec.pid")
[[ $epid =~ ^[0-9]+$ ]] || fail "exec --pid-file content: '$epid'"
[[ -d /proc/$epid ]] || fail "process $epid of exec --detach does not exist"
assert_contains "$(tr '\0' ' ' </proc/"$epid"/cmdline)" "probe sleep 20.$MARK_NUM" "cmdline of the detached exec process"
assert_eq "$(stat -L -c %i /proc/"$pid"/ns/pid)" "$(stat -L -c %i /proc/"$epid"/ns/pid)" "pid ns of the detached exec process"

# ---------------------------------------------------------------- missing binary
rt exec "$ID" /bin/no-such-binary-"$TAG" </dev/null >/dev/null 2>"$T/err"
assert_eq 255 $? "exit code of exec of a missing binary"
one_error_line "$T/err" "exec of a missing binary" "/bin/no-such-binary-$TAG"

rt delete --force "$ID" 2>"$T/err" || fail "delete --force failed: $(cat "$T/err")"
nothing_left "$ID" "sleep 20.$MARK_NUM"
nothing_left "$ID" "sleep 30.$MARK_NUM"

# ---------------------------------------------------------------- stopped container
Bs=$T/bundle-stopped
new_bundle "$Bs" exit 0
IDS=$(new_id exec-stopped)
rt run -d --bundle "$Bs" "$IDS" </dev/null >/dev/null 2>"$T/err" || fail "run -d failed: $(cat "$T/err")"
wait_for '[[ $(state_status "$IDS") == stopped ]]' 5 || fail "container did not stop"
rt exec "$IDS" probe </dev/null >/dev/null 2>"$T/err" && fail "exec in a stopped container succeeded"
grep -q . "$T/err" || fail "exec in a stopped container printed no error"
rt delete "$IDS" 2>"$T/err" || fail "delete failed: $(cat "$T/err")"
nothing_left "$IDS"

pass
