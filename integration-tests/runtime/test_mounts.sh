#!/usr/bin/env bash
# Mounts as the container process sees them:
#   - read-only bind of a host directory: host file visible, writes EROFS
#   - tmpfs with size= and nosuid,nodev,noexec (visible in the probe's mount= line)
#   - rbind brings a host submount along, plain bind does not
#   - bind mount of a single file
#   - "rslave" on a bind mount: a mount made on the host later propagates in
#     ("rprivate" on another one: it does not)
#   - root.readonly: write to / fails EROFS; readonly false: it succeeds
#   - maskedPaths: masked files read empty, a masked directory is an empty
#     read-only tmpfs; readonlyPaths: /proc/sys writes fail EROFS
#   - /dev has null zero full random urandom tty ptmx, /dev/fd -> /proc/self/fd
#   - run --no-pivot works (no pivot_root; same rootfs view)
#   - a /dev tmpfs with "ro": devices are still made, /dev ends read-only
#   - /proc or /sys a symlink in the rootfs: run fails, "must be mounted on
#     ordinary directory" (never mount through a symlink)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

need_root
need_cmd jq

# Host side: a directory with a file, a single file, a directory with a
# tmpfs submount (for rbind vs bind).
mkdir -p "$T/hostdir" "$T/rb/sub"
echo host-data >"$T/hostdir/file"
echo single-file >"$T/single.txt"
mount -t tmpfs -o size=1m tmpfs "$T/rb/sub" || fail "cannot mount a tmpfs on the host"
on_exit "umount -l '$T/rb/sub'"
echo sub-data >"$T/rb/sub/marker"

B=$T/bundle
make_bundle "$B"
mkdir -p "$B/rootfs/etc/secretdir"
echo secret >"$B/rootfs/etc/secretdir/inner"
echo secret >"$B/rootfs/etc/secret.txt"
script='
echo "data.file=$(cat /data/file)"
echo "single=$(cat /etc/single.txt)"
echo "rb.sub=$(cat /rb/sub/marker 2>/dev/null)"
echo "nb.sub=$(ls -A /nb/sub | wc -l)"
echo "timer_list.bytes=$(cat /proc/timer_list 2>/dev/null | wc -c)"
echo "secret.bytes=$(cat /etc/secret.txt 2>/dev/null | wc -c)"
echo "secretdir.entries=$(ls -A /etc/secretdir | wc -l)"
echo "firmware.entries=$(ls -A /sys/firmware | wc -l)"
if [ -e /proc/kcore ]; then echo "kcore.bytes=$(head -c 16 /proc/kcore 2>/dev/null | wc -c)"; fi
for d in null zero full random urandom tty ptmx; do
  if [ -c /dev/$d ]; then echo "dev.$d=chr"; else echo "dev.$d=missing"; fi
done
echo "dev.fd=$(readlink /dev/fd)"
echo "zero.bytes=$(head -c 4 /dev/zero | wc -c)"
echo "urandom.bytes=$(head -c 4 /dev/urandom | wc -c)"
echo x >/dev/null && echo "null.write=ok"
probe mounts try write:/data/new write:/scratch/f write:/x write:/etc/secretdir/new write:/proc/sys/kernel/domainname write:/dev/full
'
set_config "$B" '.process.args = ["sh", "-c", $s]
  | .mounts += [
      {destination: "/data", type: "bind", source: $hostdir, options: ["bind", "ro"]},
      {destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "noexec", "size=1m"]},
      {destination: "/rb", type: "bind", source: $rb, options: ["rbind"]},
      {destination: "/nb", type: "bind", source: $rb, options: ["bind"]},
      {destination: "/etc/single.txt", type: "bind", source: $single, options: ["bind", "ro"]}
    ]
  | .linux.maskedPaths += ["/etc/secret.txt", "/etc/secretdir"]' \
  --arg s "$script" --arg hostdir "$T/hostdir" --arg rb "$T/rb" --arg single "$T/single.txt"
ID=$(new_id mnt)
rt_run_probe "$ID" "$B"
assert_eq 0 "$RC" "exit code of run (stderr: $(cat "$T/err"); stdout: $OUT)"

# Read-only bind of a host directory.
assert_eq host-data "$(probe_value "$OUT" data.file)" "host file seen through the ro bind mount"
assert_eq EROFS "$(probe_value "$OUT" try.write:/data/new)" "write into the ro bind mount"
[[ ! -e $T/hostdir/new ]] || fail "a file appeared in the host dir through the ro bind mount"
assert_contains "$(grep '^mount=/data ' <<<"$OUT")" " ro" "mount line of /data"

# tmpfs with size and flags.
line=$(grep '^mount=/scratch ' <<<"$OUT") || fail "no mount line for /scratch: $OUT"
for o in nosuid nodev noexec size=1024k; do
  [[ ,${line##* }, == *",$o,"* ]] || fail "tmpfs /scratch lacks option $o: $line"
done
assert_contains "$line" "tmpfs" "mount line of /scratch"
assert_eq ok "$(probe_value "$OUT" try.write:/scratch/f)" "write into the tmpfs"

# rbind vs bind.
assert_eq sub-data "$(probe_value "$OUT" rb.sub)" "host submount seen through rbind"
grep -q '^mount=/rb/sub ' <<<"$OUT" || fail "rbind did not bring the submount /rb/sub along"
assert_eq 0 "$(probe_value "$OUT" nb.sub)" "entries of /nb/sub (plain bind: no submount)"
! grep -q '^mount=/nb/sub ' <<<"$OUT" || fail "plain bind brought the submount /nb/sub along"

# Single file.
assert_eq single-file "$(probe_value "$OUT" single)" "bind-mounted single file"

# Read-only root.
assert_eq EROFS "$(probe_value "$OUT" try.write:/x)" "write to / with root.readonly true"

# maskedPaths / readonlyPaths.
[[ $(wc -c </proc/timer_list) -gt 0 ]] || fail "host /proc/timer_list is empty (cannot check masking)"
assert_eq 0 "$(probe_value "$OUT" timer_list.bytes)" "bytes read from masked /proc/timer_list"
assert_eq 0 "$(probe_value "$OUT" secret.bytes)" "bytes read from masked file /etc/secret.txt"
assert_eq 0 "$(probe_value "$OUT" secretdir.entries)" "entries of masked directory /etc/secretdir"
assert_eq 0 "$(probe_value "$OUT" firmware.entries)" "entries of masked directory /sys/firmware"
grep -q '^mount=/etc/secretdir tmpfs ro' <<<"$OUT" || fail "masked dir /etc/secretdir is not a read-only tmpfs: $(grep secretdir <<<"$OUT")"
assert_eq EROFS "$(probe_value "$OUT" try.write:/etc/secretdir/new)" "write into masked directory"
if v=$(probe_value "$OUT" kcore.bytes); then
  assert_eq 0 "$v" "bytes read from masked /proc/kcore"
fi
assert_eq EROFS "$(probe_value "$OUT" try.write:/proc/sys/kernel/domainname)" "write under readonly /proc/sys"

# /dev.
for d in null zero full random urandom tty ptmx; do
  assert_eq chr "$(probe_value "$OUT" "dev.$d")" "/dev/$d is a character device"
done
assert_eq /proc/self/fd "$(probe_value "$OUT" dev.fd)" "/dev/fd symlink target"
assert_eq 4 "$(probe_value "$OUT" zero.bytes)" "bytes read from /dev/zero"
assert_eq 4 "$(probe_value "$OUT" urandom.bytes)" "bytes read from /dev/urandom"
assert_eq ok "$(probe_value "$OUT" null.write)" "write to /dev/null"
assert_eq ENOSPC "$(probe_value "$OUT" try.write:/dev/full)" "write to /dev/full"

# ---------------------------------------------------------------- writable root
Bw=$T/bundle-rw
new_bundle "$Bw" try write:/x
set_config "$Bw" '.root.readonly = false'
rt_run_probe "$(new_id mnt-rw)" "$Bw"
assert_eq 0 "$RC" "exit code of run with a writable root (stderr: $(cat "$T/err"))"
assert_eq ok "$(probe_value "$OUT" try.write:/x)" "write to / with root.readonly false"
[[ -f $Bw/rootfs/x ]] || fail "file written to / is not in the bundle's rootfs"

# ---------------------------------------------------------------- --no-pivot
Bp=$T/bundle-nopivot
new_bundle "$Bp" mounts try write:/x
rt_run_probe "$(new_id mnt-np)" "$Bp" --no-pivot
assert_eq 0 "$RC" "exit code of run --no-pivot (stderr: $(cat "$T/err"))"
grep -q '^mount=/ ' <<<"$OUT" || fail "run --no-pivot: no root mount line: $OUT"
grep -q '^mount=/proc proc' <<<"$OUT" || fail "run --no-pivot: no /proc mount: $OUT"
assert_eq EROFS "$(probe_value "$OUT" try.write:/x)" "write to read-only / with --no-pivot"

# ---------------------------------------------------------------- read-only /dev
Bd=$T/bundle-rodev
new_bundle "$Bd" mounts try write:/dev/x
set_config "$Bd" '.mounts |= map(if .destination == "/dev" then .options += ["ro"] else . end)'
rt_run_probe "$(new_id mnt-rodev)" "$Bd"
assert_eq 0 "$RC" "exit code of run with a read-only /dev (stderr: $(cat "$T/err"))"
grep -q '^mount=/dev tmpfs ro,' <<<"$OUT" || fail "/dev with \"ro\" is not a read-only tmpfs: $(grep '^mount=/dev' <<<"$OUT")"
assert_eq EROFS "$(probe_value "$OUT" try.write:/dev/x)" "write into a read-only /dev"

# ---------------------------------------------------------------- symlinked /proc, /sys
for d in proc sys; do
  Bl=$T/bundle-link-$d
  new_bundle "$Bl" exit 0
  rm -rf "${Bl:?}/rootfs/$d" && ln -s /elsewhere "$Bl/rootfs/$d"
  rt_run_probe "$(new_id mnt-link-$d)" "$Bl"
  [[ $RC -ne 0 ]] || fail "run with /$d a symlink in the rootfs succeeded"
  assert_contains "$(cat "$T/err")" "must be mounted on ordinary directory" "run with /$d a symlink"
done

# ---------------------------------------------------------------- propagation
# $T/prop is a shared mount on the host; the container binds it twice, with
# rslave and with rprivate. A tmpfs mounted on the host after the container
# started shows up in the rslave one only.
mkdir -p "$T/prop"
mount --bind "$T/prop" "$T/prop" && mount --make-shared "$T/prop" || fail "cannot make $T/prop a shared mount"
on_exit "umount -R -l '$T/prop'"
mkdir -p "$T/prop/late"
Bs=$T/bundle-prop
new_bundle "$Bs" sleep "10.$MARK_NUM"
set_config "$Bs" '.mounts += [
    {destination: "/slave", type: "bind", source: $p, options: ["rbind", "rslave"]},
    {destination: "/private", type: "bind", source: $p, options: ["rbind", "rprivate"]}
  ]' --arg p "$T/prop"
IDS=$(new_id mnt-prop)
rt run -d --bundle "$Bs" "$IDS" </dev/null >/dev/null 2>"$T/err" || fail "run -d with an rslave mount failed: $(cat "$T/err")"
pid=$(rt state "$IDS" | jq -r .pid)
mount -t tmpfs -o size=1m tmpfs "$T/prop/late" || fail "cannot mount on the host"
wait_for "grep -q ' /slave/late ' /proc/$pid/mountinfo" 2 ||
  fail "host mount under an rslave bind did not propagate into the container: $(grep -E 'slave|private' /proc/$pid/mountinfo)"
grep -q ' /private ' /proc/"$pid"/mountinfo || fail "rprivate bind /private is not mounted"
! grep -q ' /private/late ' /proc/"$pid"/mountinfo || fail "host mount propagated into an rprivate bind"
[[ $(grep ' /slave ' /proc/"$pid"/mountinfo) == *master:* ]] || fail "/slave is not a slave mount: $(grep ' /slave ' /proc/"$pid"/mountinfo)"
rt delete --force "$IDS" 2>"$T/err" || fail "delete --force failed: $(cat "$T/err")"
umount -R -l "$T/prop"
umount -l "$T/rb/sub"
# Only now (the host mounts of this test are gone) can "no mounts under $T" be checked.
nothing_left "$IDS" "probe sleep 10.$MARK_NUM"
for id in "$ID" "$(new_id mnt-rw)" "$(new_id mnt-np)" "$(new_id mnt-rodev)" "$(new_id mnt-link-proc)" \
  "$(new_id mnt-link-sys)"; do nothing_left "$id"; done

pass
