#!/usr/bin/env bash
# Global logging options:
#   - --log FILE --log-format json: an error is written to FILE as one JSON
#     object per line {"level":"error","msg":...,"time":RFC3339}; the file is
#     appended to (a second error adds a line)
#   - --log FILE (text, the default): time="..." level=error msg="..."
#   - without --log: the error is one logrus text line on stderr
#   - --debug adds level=debug lines (json and text); without it, none
#   - --debug also carries the container processes' own lines (runc's log
#     pipe): "nsexec container setup" (namespaces joined), "child process in
#     init()" and "init: closing the pipe to signal completion" for run, and
#     "setns_init: about to exec" for exec; to --log, not stderr
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd jq

NOID=$(new_id no-such)
RFC3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$'

# ---------------------------------------------------------------- json
L=$T/log.json
rt --log "$L" --log-format json state "$NOID" >/dev/null 2>"$T/err" && fail "state of an unknown id succeeded"
[[ -s $L ]] || fail "--log-format json: nothing written to the log file (stderr: $(cat "$T/err"))"
while IFS= read -r line; do
  jq -e 'type == "object"' >/dev/null 2>&1 <<<"$line" || fail "--log-format json: a line is not a JSON object: $line"
done <"$L"
err=$(jq -c 'select(.level == "error")' "$L")
[[ $(grep -c . <<<"$err") -eq 1 ]] || fail "--log-format json: expected one error object, got: $(cat "$L")"
assert_contains "$(jq -r .msg <<<"$err")" "does not exist" "json error msg"
[[ $(jq -r .time <<<"$err") =~ $RFC3339 ]] || fail "json error time is not RFC 3339: $err"
assert_eq "level msg time" "$(jq -r 'keys_unsorted | sort | join(" ")' <<<"$err")" "keys of the json error object"
rt --log "$L" --log-format json kill "$NOID" >/dev/null 2>&1 && fail "kill of an unknown id succeeded"
assert_eq 2 "$(jq -c 'select(.level == "error")' "$L" | grep -c .)" "error objects after a second failing command (file appended)"

# ---------------------------------------------------------------- text
L2=$T/log.txt
rt --log "$L2" state "$NOID" >/dev/null 2>"$T/err" && fail "state of an unknown id succeeded"
line=$(grep 'level=error' "$L2") || fail "--log (text): no level=error line in the log file: $(cat "$L2")"
[[ $line =~ ^time=\"[^\"]+\"\ level=error\ msg=\".*does\ not\ exist.*\"$ ]] ||
  fail "--log (text): error line not 'time=\"...\" level=error msg=\"...\"': $line"
t=$(sed -E 's/^time="([^"]+)".*/\1/' <<<"$line")
[[ $t =~ $RFC3339 ]] || fail "text log time is not RFC 3339: $line"
L2b=$T/log-explicit.txt
rt --log "$L2b" --log-format text state "$NOID" >/dev/null 2>&1
grep -q 'level=error msg=' "$L2b" || fail "--log-format text: no level=error line: $(cat "$L2b")"

# ---------------------------------------------------------------- stderr
rt state "$NOID" >/dev/null 2>"$T/err" && fail "state of an unknown id succeeded"
one_error_line "$T/err" "state of an unknown id (no --log)" 'level=error msg="' "does not exist"
[[ $(cat "$T/err") =~ ^time=\" ]] || fail "stderr error line does not start with time=: $(cat "$T/err")"

# ---------------------------------------------------------------- --debug
B=$T/bundle
new_bundle "$B" exit 0
D=$T/debug.json
rt --debug --log "$D" --log-format json run --bundle "$B" "$(new_id log-dbg)" </dev/null >/dev/null 2>"$T/err" ||
  fail "run with --debug failed: $(cat "$T/err")"
[[ $(jq -c 'select(.level == "debug")' "$D" | grep -c .) -ge 1 ]] || fail "--debug --log-format json: no debug objects: $(head -5 "$D")"
D2=$T/debug.txt
rt --debug --log "$D2" run --bundle "$B" "$(new_id log-dbg2)" </dev/null >/dev/null 2>"$T/err" ||
  fail "run with --debug failed: $(cat "$T/err")"
grep -q 'level=debug msg=' "$D2" || fail "--debug (text): no level=debug lines: $(head -5 "$D2")"
N=$T/nodebug.json
rt --log "$N" --log-format json run --bundle "$B" "$(new_id log-nodbg)" </dev/null >/dev/null 2>"$T/err" ||
  fail "run failed: $(cat "$T/err")"
[[ ! -s $N ]] || [[ $(jq -c 'select(.level == "debug")' "$N" | grep -c .) -eq 0 ]] || fail "debug lines without --debug: $(head -3 "$N")"
for needle in "nsexec container setup" "child process in init()" "init: closing the pipe to signal completion"; do
  grep -qF "$needle" "$D2" || fail "--debug run: no '$needle' line from the container's set-up: $(cat "$D2")"
  grep -qF "$needle" <<<"$(jq -r .msg "$D")" || fail "--debug json run: no '$needle' object: $(cat "$D")"
done

# exec: the exec'd process's own set-up lines
B2=$T/bundle-sleep
new_bundle "$B2" sleep "30.$MARK_NUM"
EID=$(new_id log-dbg-exec)
rt run -d --bundle "$B2" "$EID" </dev/null >/dev/null 2>"$T/err" || fail "run -d failed: $(cat "$T/err")"
on_exit rt delete -f "$EID"
E=$T/debug-exec.txt
rt --debug --log "$E" exec "$EID" probe exit 0 </dev/null >/dev/null 2>"$T/err" || fail "exec with --debug failed: $(cat "$T/err")"
assert_not_contains "$(cat "$T/err")" "level=debug" "stderr of exec with --debug --log"
for needle in "nsexec container setup" "child process in init()" "setns_init: about to exec"; do
  grep -qF "$needle" "$E" || fail "--debug exec: no '$needle' line: $(cat "$E")"
done
rt delete -f "$EID" >/dev/null 2>&1

for id in log-dbg log-dbg2 log-nodbg log-dbg-exec; do nothing_left "$(new_id $id)"; done

pass
