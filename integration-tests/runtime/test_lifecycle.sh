#!/usr/bin/env bash
# Container lifecycle as a user of the runc CLI sees it:
#   - create: state "created", pid > 0, that process exists and has not yet
#     exec'd the user's program; --pid-file holds the same pid; "created" is an
#     RFC 3339 timestamp; bundle is the absolute bundle path
#   - start: "running"; a second start fails; delete without --force fails
#     while running; kill (SIGTERM) -> "stopped"; delete -> gone
#   - list (table), list -q, list --format json (a JSON array with the id)
#   - run in the foreground propagates the exit code (probe exit 7 => 7)
#   - run --detach leaves it running; delete --force removes it
#   - ociVersion "1.2.0" and "1.3.0" configs are accepted (runc takes any 1.x)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd jq

B=$T/bundle
new_bundle "$B" sleep "30.$MARK_NUM"
ID=$(new_id lc)

# ---------------------------------------------------------------- create
rt create --bundle "$B" --pid-file "$T/pid" "$ID" </dev/null >"$T/out" 2>"$T/err" ||
  fail "create failed: $(cat "$T/err")"
st=$(rt state "$ID") || fail "state after create failed"
assert_eq created "$(jq -r .status <<<"$st")" "status after create"
assert_eq "$ID" "$(jq -r .id <<<"$st")" "state .id"
assert_eq "$B" "$(jq -r .bundle <<<"$st")" "state .bundle"
pid=$(jq -r .pid <<<"$st")
[[ $pid =~ ^[0-9]+$ && $pid -gt 0 ]] || fail "state pid after create: expected > 0, got '$pid'"
[[ -d /proc/$pid ]] || fail "process $pid of the created container does not exist"
cmd=$(tr '\0' ' ' </proc/"$pid"/cmdline)
assert_not_contains "$cmd" "probe" "cmdline of the created (not yet started) process"
assert_eq "$pid" "$(tr -d '[:space:]' <"$T/pid")" "--pid-file content vs state pid"
created=$(jq -r .created <<<"$st")
[[ $created =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$ ]] ||
  fail "state .created is not RFC 3339: '$created'"
date -d "$created" +%s >/dev/null 2>&1 || fail "state .created does not parse as a date: '$created'"
now=$(date +%s) c=$(date -d "$created" +%s)
((c <= now + 5 && c >= now - 60)) || fail "state .created $created is not about now"
jq -e '.ociVersion | type == "string"' <<<"$st" >/dev/null || fail "state has no ociVersion: $st"

# ---------------------------------------------------------------- list
out=$(rt list) || fail "list failed"
assert_contains "$(head -1 <<<"$out")" "ID" "list header"
assert_contains "$out" "$ID" "list"
assert_contains "$(grep -- "$ID" <<<"$out")" "created" "list row of $ID"
assert_eq "$ID" "$(rt list -q)" "list -q"
json=$(rt list --format json) || fail "list --format json failed"
jq -e 'type == "array"' <<<"$json" >/dev/null || fail "list --format json is not a JSON array: $json"
assert_eq "created $pid" "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | "\(.status) \(.pid)"' <<<"$json")" \
  "list --format json entry of $ID"

# ---------------------------------------------------------------- start
rt start "$ID" 2>"$T/err" || fail "start failed: $(cat "$T/err")"
wait_for '[[ $(state_status "$ID") == running ]]' 5 || fail "status after start: expected running, got $(state_status "$ID")"
wait_for 'grep -q probe /proc/$pid/cmdline' 5 || fail "pid $pid did not exec the probe after start"
assert_eq "running" "$(rt list --format json | jq -r --arg id "$ID" '.[] | select(.id == $id) | .status')" "list status after start"

rt start "$ID" 2>"$T/err" && fail "second start of a running container succeeded"
rt delete "$ID" 2>"$T/err" && fail "delete of a running container without --force succeeded"
assert_eq running "$(state_status "$ID")" "status after refused delete"

# ---------------------------------------------------------------- kill, delete
rt kill "$ID" 2>"$T/err" || fail "kill failed: $(cat "$T/err")"
wait_for '[[ $(state_status "$ID") == stopped ]]' 5 || fail "status after kill: expected stopped, got $(state_status "$ID")"
rt delete "$ID" 2>"$T/err" || fail "delete of stopped container failed: $(cat "$T/err")"
rt state "$ID" >/dev/null 2>&1 && fail "state still works after delete"
assert_eq "" "$(rt list -q)" "list -q after delete"
# runc prints `null` for an empty list; an empty array would do as well.
empty=$(rt list --format json | jq -c .)
[[ $empty == null || $empty == "[]" ]] || fail "list --format json with no containers: expected null or [], got '$empty'"
nothing_left "$ID" "probe sleep 30.$MARK_NUM"

# ---------------------------------------------------------------- run (foreground)
B2=$T/bundle-exit
new_bundle "$B2" exit 7
ID2=$(new_id lc-run)
rt run --bundle "$B2" "$ID2" </dev/null >/dev/null 2>"$T/err"
assert_eq 7 $? "exit code of foreground run (probe exit 7)"
rt state "$ID2" >/dev/null 2>&1 && fail "foreground run left state behind"
nothing_left "$ID2"

# ---------------------------------------------------------------- run --detach
ID3=$(new_id lc-det)
rt run --detach --bundle "$B" "$ID3" </dev/null >"$T/out3" 2>"$T/err3" || fail "run --detach failed: $(cat "$T/err3")"
assert_eq running "$(state_status "$ID3")" "status after run --detach"
rt start "$ID3" 2>/dev/null && fail "start of a running (detached) container succeeded"
rt delete "$ID3" 2>/dev/null && fail "delete of a running container without --force succeeded"
rt delete --force "$ID3" 2>"$T/err" || fail "delete --force failed: $(cat "$T/err")"
rt state "$ID3" >/dev/null 2>&1 && fail "state still works after delete --force"
nothing_left "$ID3" "probe sleep 30.$MARK_NUM"

# ---------------------------------------------------------------- ociVersion
for v in 1.2.0 1.3.0; do
  Bv=$T/bundle-$v
  new_bundle "$Bv" exit 0
  set_config "$Bv" '.ociVersion = $v' --arg v "$v"
  idv=$(new_id "lc-v${v//./}")
  rt run --bundle "$Bv" "$idv" </dev/null >/dev/null 2>"$T/err" || fail "ociVersion $v rejected: $(cat "$T/err")"
  nothing_left "$idv"
done

pass
