#!/usr/bin/env bash
# Bad input is refused cleanly: non-zero exit, exactly one error line on
# stderr naming what was wrong, and for a failed create nothing left behind
# (no state dir, no cgroup dir named like the id, no process):
#   - config.json that is not JSON
#   - a field of the wrong type (process.user.uid "abc")
#   - a missing rootfs (the message names the path)
#   - a duplicate id (the first container is untouched)
#   - an unknown id for state, start, kill, delete
#   - an invalid signal name for kill
#   - start of a running container, delete of a running container
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd jq

MARK="probe sleep 30.$MARK_NUM"
B=$T/bundle
new_bundle "$B" sleep "30.$MARK_NUM"

# bad_create WHAT ID BUNDLE NEEDLE...: create must fail cleanly.
bad_create() {
  local what=$1 id=$2 bundle=$3
  shift 3
  rt create --bundle "$bundle" "$id" </dev/null >/dev/null 2>"$T/err" && fail "$what: create succeeded"
  one_error_line "$T/err" "$what" "$@"
  nothing_left "$id" "$MARK"
}

# ---------------------------------------------------------------- malformed JSON
Bj=$T/bundle-json
new_bundle "$Bj" sleep "30.$MARK_NUM"
printf '{ "ociVersion": "1.0.2", "process": { "args": ["probe"' >"$Bj/config.json"
if is_runc; then
  # runc 1.1 says only "invalid character ... / unexpected end of JSON input";
  # Berth must name the file.
  bad_create "malformed config.json" "$(new_id bad-json)" "$Bj"
else
  bad_create "malformed config.json" "$(new_id bad-json)" "$Bj" config.json
fi

# ---------------------------------------------------------------- wrong type
Bt=$T/bundle-type
new_bundle "$Bt" sleep "30.$MARK_NUM"
set_config "$Bt" '.process.user.uid = "abc"'
bad_create 'process.user.uid "abc"' "$(new_id bad-type)" "$Bt" process.user.uid

# ---------------------------------------------------------------- missing rootfs
Br=$T/bundle-rootfs
new_bundle "$Br" sleep "30.$MARK_NUM"
set_config "$Br" '.root.path = "no-such-rootfs"'
bad_create "missing rootfs" "$(new_id bad-rootfs)" "$Br" "$Br/no-such-rootfs"

# ---------------------------------------------------------------- duplicate id
ID=$(new_id bad-dup)
rt create --bundle "$B" "$ID" </dev/null >/dev/null 2>"$T/err" || fail "create failed: $(cat "$T/err")"
pid=$(rt state "$ID" | jq -r .pid)
rt create --bundle "$B" "$ID" </dev/null >/dev/null 2>"$T/err" && fail "create with a duplicate id succeeded"
one_error_line "$T/err" "create with a duplicate id" "exists"
assert_eq "created $pid" "$(rt state "$ID" | jq -r '"\(.status) \(.pid)"')" "first container after a duplicate create"
[[ -d /proc/$pid ]] || fail "process of the first container died after a duplicate create"

# ---------------------------------------------------------------- unknown id
NOID=$(new_id no-such)
for cmd in state start kill delete; do
  rt "$cmd" "$NOID" </dev/null >/dev/null 2>"$T/err" && fail "$cmd of an unknown id succeeded"
  one_error_line "$T/err" "$cmd of an unknown id" "does not exist"
done

# ---------------------------------------------------------------- invalid signal
rt kill "$ID" SIGFOO 2>"$T/err" && fail "kill with signal SIGFOO succeeded"
one_error_line "$T/err" "kill with signal SIGFOO" SIGFOO
rt kill "$ID" 12345 2>"$T/err" && fail "kill with signal 12345 succeeded"
grep -q . "$T/err" || fail "kill with signal 12345 printed no error"
assert_eq created "$(state_status "$ID")" "status after invalid kills"

# ---------------------------------------------------------------- running container
rt start "$ID" 2>"$T/err" || fail "start failed: $(cat "$T/err")"
wait_for '[[ $(state_status "$ID") == running ]]' 5 || fail "container did not start"
rt start "$ID" 2>"$T/err" && fail "start of a running container succeeded"
one_error_line "$T/err" "start of a running container" running
rt delete "$ID" 2>"$T/err" && fail "delete of a running container succeeded"
one_error_line "$T/err" "delete of a running container" running
assert_eq running "$(state_status "$ID")" "status after refused start/delete"
rt delete --force "$ID" 2>"$T/err" || fail "delete --force failed: $(cat "$T/err")"
nothing_left "$ID" "$MARK"

pass
