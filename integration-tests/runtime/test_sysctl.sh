#!/usr/bin/env bash
# linux.sysctl:
#   - net.ipv4.ip_forward=1 in a new network namespace is seen inside, and the
#     host's value is unchanged
#   - a sysctl that is not namespaced (fs.file-max) is rejected with one error
#     line naming it, nothing left behind, host value unchanged
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd jq

host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
host_fm=$(cat /proc/sys/fs/file-max)

B=$T/bundle
new_bundle "$B" sysctl net.ipv4.ip_forward kernel.shmmax
set_config "$B" '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789"}'
ID=$(new_id sysctl)
rt_run_probe "$ID" "$B"
assert_eq 0 "$RC" "exit code of run (stderr: $(cat "$T/err"))"
assert_eq 1 "$(probe_value "$OUT" sysctl.net.ipv4.ip_forward)" "net.ipv4.ip_forward inside"
assert_eq 123456789 "$(probe_value "$OUT" sysctl.kernel.shmmax)" "kernel.shmmax inside (ipc namespace)"
assert_eq "$host_fwd" "$(cat /proc/sys/net/ipv4/ip_forward)" "host net.ipv4.ip_forward afterwards"
nothing_left "$ID"

Bf=$T/bundle-filemax
new_bundle "$Bf" sleep "30.$MARK_NUM"
set_config "$Bf" '.linux.sysctl = {"fs.file-max": "123456"}'
IDF=$(new_id sysctl-fm)
rt create --bundle "$Bf" "$IDF" </dev/null >/dev/null 2>"$T/err" && fail "create with sysctl fs.file-max succeeded"
one_error_line "$T/err" "create with sysctl fs.file-max" fs.file-max
assert_eq "$host_fm" "$(cat /proc/sys/fs/file-max)" "host fs.file-max afterwards"
nothing_left "$IDF" "probe sleep 30.$MARK_NUM"

pass
