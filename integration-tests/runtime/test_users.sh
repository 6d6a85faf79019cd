#!/usr/bin/env bash
# The user and process settings the container process runs with:
#   - process.user uid/gid/additionalGids (1000/1000/[2000, 3000])
#   - process.user.umask 0027
#   - noNewPrivileges true => nnp=1, false => nnp=0
#   - process.cwd
#   - process.env exactly as configured (HOME given, so nothing is added);
#     without HOME in the config, HOME comes from the user's /etc/passwd entry
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd jq

B=$T/bundle
new_bundle "$B" ids umask seccomp cwd env
set_config "$B" '.process.user = {uid: 1000, gid: 1000, additionalGids: [3000, 2000], umask: 23}
  | .process.cwd = "/home/berth"
  | .process.env = ["PATH=/bin:/usr/bin", "HOME=/home/custom", "GREETING=hello world", "EMPTY=", "A=1=2"]'
ID=$(new_id users)
rt_run_probe "$ID" "$B"
assert_eq 0 "$RC" "exit code of run (stderr: $(cat "$T/err"))"
assert_eq "1000 1000 1000 1000" "$(probe_value "$OUT" uid)" "uid (real effective saved fs)"
assert_eq "1000 1000 1000 1000" "$(probe_value "$OUT" gid)" "gid (real effective saved fs)"
assert_eq "2000 3000" "$(probe_value "$OUT" groups)" "supplementary groups (additionalGids)"
assert_eq 0027 "$(probe_value "$OUT" umask)" "umask"
assert_eq 1 "$(probe_value "$OUT" nnp)" "no_new_privs with noNewPrivileges true"
assert_eq /home/berth "$(probe_value "$OUT" cwd)" "cwd"
env=$(grep '^env=' <<<"$OUT")
assert_eq "env=PATH=/bin:/usr/bin
env=HOME=/home/custom
env=GREETING=hello world
env=EMPTY=
env=A=1=2" "$env" "environment"
nothing_left "$ID"

# noNewPrivileges false; root; no additionalGids.
Bn=$T/bundle-nnp0
new_bundle "$Bn" ids seccomp umask env
set_config "$Bn" '.process.noNewPrivileges = false'
rt_run_probe "$(new_id users-nnp)" "$Bn"
assert_eq 0 "$RC" "exit code of run with noNewPrivileges false (stderr: $(cat "$T/err"))"
assert_eq 0 "$(probe_value "$OUT" nnp)" "no_new_privs with noNewPrivileges false"
assert_eq "0 0 0 0" "$(probe_value "$OUT" uid)" "uid of the default user"
assert_eq "" "$(probe_value "$OUT" groups)" "supplementary groups of the default user"
assert_eq 0022 "$(probe_value "$OUT" umask)" "default umask"
env=$(grep '^env=' <<<"$OUT")
assert_eq "env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
env=TERM=xterm
env=HOME=/root" "$env" "environment without HOME in the config (HOME of root from /etc/passwd)"
nothing_left "$(new_id users-nnp)"

pass
