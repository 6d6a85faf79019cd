#!/usr/bin/env bash
# process.rlimits:
#   - RLIMIT_NOFILE 1024/1024 (the default config) is what the process gets
#   - RLIMIT_CORE can be lowered (soft 1024, hard 2048)
#   - a hard limit above the runtime's own hard limit cannot be granted
#     (CAP_SYS_RESOURCE is not in the bounding set here): create fails with an
#     error naming the rlimit, and nothing is left behind
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd jq

B=$T/bundle
new_bundle "$B" rlimits
set_config "$B" '.process.rlimits += [{type: "RLIMIT_CORE", soft: 1024, hard: 2048}]'
ID=$(new_id rl)
rt_run_probe "$ID" "$B"
assert_eq 0 "$RC" "exit code of run (stderr: $(cat "$T/err"))"
assert_eq "1024 1024" "$(probe_value "$OUT" rlimit.nofile)" "RLIMIT_NOFILE soft hard"
assert_eq "1024 2048" "$(probe_value "$OUT" rlimit.core)" "RLIMIT_CORE soft hard"
nothing_left "$ID"

# ---------------------------------------------------------------- raise hard
hard=$(ulimit -Hn)
[[ $hard =~ ^[0-9]+$ ]] || skip "hard RLIMIT_NOFILE is '$hard' (cannot raise it)"
bnd=$((16#$(awk '/^CapBnd:/ {print $2}' /proc/self/status)))
(((bnd >> 24) & 1)) && skip "CAP_SYS_RESOURCE is in the bounding set: raising a hard limit would succeed"
Br=$T/bundle-raise
new_bundle "$Br" sleep "30.$MARK_NUM"
set_config "$Br" '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 1024, hard: $h}]' --argjson h $((hard * 2))
IDR=$(new_id rl-raise)
rt create --bundle "$Br" "$IDR" </dev/null >/dev/null 2>"$T/err" && fail "create with RLIMIT_NOFILE hard $((hard * 2)) > $hard succeeded"
if is_runc; then
  # runc 1.1 says "error setting rlimit type 7: operation not permitted"
  # (the number, not the name); Berth must name RLIMIT_NOFILE.
  :
else
  one_error_line "$T/err" "create with a raised hard RLIMIT_NOFILE" RLIMIT_NOFILE
fi
nothing_left "$IDR" "probe sleep 30.$MARK_NUM"

pass
