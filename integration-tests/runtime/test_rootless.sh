#!/usr/bin/env bash
# Rootless: `spec --rootless` output runs for an unprivileged user (created
# here) in a user namespace mapping root to that user, without cgroups (none
# is delegated), with state under the user's own --root. Then run,
# create/start/exec/delete as that user, and nothing is left behind.
source "$(dirname "$0")/../lib.sh"
need_root
need_cmd useradd "passwd package"

user=berthrl$$
useradd -M -s /bin/sh "$user" || fail "useradd $user failed"
on_exit "userdel $user"
uid=$(id -u "$user")

# A directory the user owns (the test's $T is root's, mode 0700).
chmod 755 "$T"
W=$T/rootless
mkdir -p "$W/b"
make_bundle "$W/b"
rm "$W/b/config.json"
chown -R "$user" "$W"
as_user() { su "$user" -s /bin/sh -c "cd $W/b && $*"; }

as_user "$RUNTIME spec --rootless" || fail "spec --rootless as $user failed"
host_id=$(jq -r '.linux.uidMappings[0].hostID' "$W/b/config.json")
assert_eq "$uid" "$host_id" "uidMappings hostID of spec --rootless"
jq '.process.terminal = false | .process.args = ["probe", "ids", "ns"]' "$W/b/config.json" >"$W/c" &&
  mv "$W/c" "$W/b/config.json" && chown "$user" "$W/b/config.json"

out=$(as_user "$RUNTIME --root $W/state run rl1" 2>"$T/err") || fail "rootless run failed: $(cat "$T/err")"
assert_eq "0 0 0 0" "$(probe_value "$out" uid)" "uid inside a rootless container"
[[ $(probe_value "$out" ns.user) != "$(stat -L -c %i /proc/self/ns/user)" ]] || fail "no new user namespace"

# Detached, exec, and the host sees the container's root as the user.
jq '.process.args = ["sleep", "30"]' "$W/b/config.json" >"$W/c" && mv "$W/c" "$W/b/config.json" &&
  chown "$user" "$W/b/config.json"
as_user "$RUNTIME --root $W/state run -d rl2" 2>"$T/err" || fail "rootless run -d failed: $(cat "$T/err")"
pid=$(as_user "$RUNTIME --root $W/state state rl2" | jq -r .pid)
assert_eq "$uid" "$(awk '/^Uid:/ {print $2}' /proc/"$pid"/status)" "host uid of the rootless init"
out=$(as_user "$RUNTIME --root $W/state exec rl2 id -u") || fail "rootless exec failed"
assert_eq 0 "$out" "uid of a rootless exec"
as_user "$RUNTIME --root $W/state delete --force rl2" || fail "rootless delete --force failed"
[[ ! -e /proc/$pid ]] || wait_for "[[ ! -e /proc/$pid ]]" 5 || fail "rootless init $pid survived delete"
assert_eq "" "$(ls "$W/state")" "rootless state dir after delete"
pass
