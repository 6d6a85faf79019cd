#!/usr/bin/env bash
# make-busybox-bundle.sh OUTDIR [--probe PATH] [--args 'ARG...']
#
# Builds an OCI bundle from Debian's busybox-static for Berth's tests:
#   OUTDIR/rootfs       /bin/busybox + one relative symlink per applet in /bin,
#                       dev proc sys tmp(1777) etc root home/berth, /etc/passwd and
#                       /etc/group (root, nobody/nogroup 65534, berth 1000, extra
#                       2000 with member berth), /bin/probe if --probe is given
#   OUTDIR/config.json  byte-identical to `runc spec` (runc 1.1) except
#                       "terminal": false and process.args = --args words (default: sh)
# --args is split on whitespace (no quoting); edit config.json with jq for more.
# Re-running into the same OUTDIR replaces rootfs and config.json. The rootfs is
# built once into ${BERTH_BUNDLE_CACHE:-/tmp/berth-bundle-cache}, keyed on the
# identity (dev, inode, size, mtime) of busybox and the probe (entries unused for
# 2 h are pruned). Copies hard-link the applet symlinks (creating ~270 symlinks
# costs ~50 ms on ext4) and copy every regular file and directory, so editing or
# chmod/chown-ing files in a bundle never touches the cache; `chown -R`/`chown -h`
# does re-own the shared symlinks (harmless: symlink ownership is never checked).
set -euo pipefail
umask 022

prog=make-busybox-bundle.sh
BUSYBOX=/bin/busybox
die() { echo "$prog: $*" >&2; exit 1; }

out='' probe='' args=(sh)
while (($#)); do
  case $1 in
    --probe) (($# >= 2)) || die "--probe needs a path"; probe=$2; shift 2 ;;
    --args) (($# >= 2)) || die "--args needs a value"; read -r -a args <<<"$2"; shift 2 ;;
    -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [[ -z $out ]] || die "only one OUTDIR allowed (got '$out' and '$1')"; out=$1; shift ;;
  esac
done
[[ -n $out ]] || die "usage: $prog OUTDIR [--probe PATH] [--args 'ARG...']"
[[ -x $BUSYBOX ]] || die "$BUSYBOX not found: apt-get install busybox-static"
[[ -z $probe || -f $probe ]] || die "probe $probe not found (build the 'probe' target)"
((${#args[@]})) || die "--args is empty"

# populate DIR: build the rootfs from scratch into DIR (which must not exist).
populate() {
  local r=$1
  mkdir -p "$r"/{bin,dev,proc,sys,tmp,etc,root,home/berth}
  chmod 1777 "$r/tmp"
  chmod 0700 "$r/root"
  chown 1000:1000 "$r/home/berth" 2>/dev/null || true
  cp "$BUSYBOX" "$r/bin/busybox"
  [[ -z $probe ]] || cp "$probe" "$r/bin/probe"
  chmod 0755 "$r/bin/busybox" "$r/bin/probe" 2>/dev/null || true
  local applets
  mapfile -t applets < <("$BUSYBOX" --list)
  # One process for ~270 symlinks when perl (Debian: essential) is around.
  if command -v perl >/dev/null; then
    (cd "$r/bin" && perl -e 'for (@ARGV) { next if $_ eq "busybox" || -e $_ || -l $_; symlink("busybox", $_) or die "symlink $_: $!\n" }' "${applets[@]}")
  else
    local a
    for a in "${applets[@]}"; do [[ $a == busybox || -e $r/bin/$a ]] || ln -s busybox "$r/bin/$a"; done
  fi
  printf '%s\n' \
    'root:x:0:0:root:/root:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
    'berth:x:1000:1000:berth:/home/berth:/bin/sh' >"$r/etc/passwd"
  printf '%s\n' \
    'root:x:0:' \
    'nogroup:x:65534:' \
    'nobody:x:65534:' \
    'berth:x:1000:' \
    'extra:x:2000:berth' >"$r/etc/group"
}

# Find or build the cached template rootfs; fall back to building in place.
cache=${BERTH_BUNDLE_CACHE:-/tmp/berth-bundle-cache}
files=("$BUSYBOX")
[[ -z $probe ]] || files+=("$probe")
key=$(stat -L -c '%d-%i-%s-%Y' "${files[@]}")
key=${key//$'\n'/_}
[[ -n $probe ]] || key+=_noprobe
tmpl=$cache/$key
mkdir -p "$out"
out_abs=$out
[[ $out == /* ]] || out_abs=$PWD/$out
rm -rf --one-file-system "$out/rootfs"
new=''
trap '[[ -z $new ]] || rm -rf "$new"' EXIT
if [[ ! -d $tmpl/rootfs ]] && mkdir -p "$cache" 2>/dev/null && new=$(mktemp -d "$cache/.new.XXXXXX" 2>/dev/null); then
  populate "$new/rootfs"
  chmod 0755 "$new"
  (cd "$new/rootfs" && find . -type f) >"$new/regular-files"
  find "$cache" -mindepth 1 -maxdepth 1 -mmin +120 -exec rm -rf {} + 2>/dev/null || true
  # Atomic publish; if a concurrent run won the race, ours is dropped by the trap.
  mv -T "$new" "$tmpl" 2>/dev/null && new=''
fi
if [[ -d $tmpl/rootfs ]]; then
  touch "$tmpl" # keeps it from being pruned
  mapfile -t regular <"$tmpl/regular-files"
  if cp -al "$tmpl/rootfs" "$out/rootfs" 2>/dev/null; then
    # Replace the hard links to regular files by copies (dirs are already new).
    (cd "$tmpl/rootfs" && cp -a --parents --remove-destination "${regular[@]}" "$out_abs/rootfs/")
  else # e.g. OUTDIR on another filesystem
    rm -rf --one-file-system "$out/rootfs"
    cp -a "$tmpl/rootfs" "$out/rootfs"
  fi
else # cache not writable: build in place
  populate "$out/rootfs"
fi

# process.args as runc formats them: one JSON string per line.
argjson='' sep=''
for a in "${args[@]}"; do
  a=${a//\\/\\\\}
  a=${a//\"/\\\"}
  argjson+="$sep"$'\t\t\t'"\"$a\""
  sep=$',\n'
done

IFS= read -r -d '' config <<EOF || true
{
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": false,
		"user": {
			"uid": 0,
			"gid": 0
		},
		"args": [
$argjson
		],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"effective": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"permitted": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"ambient": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			}
		],
		"noNewPrivileges": true
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "runc",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": [
				"nosuid",
				"strictatime",
				"mode=755",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": [
				"nosuid",
				"noexec",
				"newinstance",
				"ptmxmode=0666",
				"mode=0620",
				"gid=5"
			]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"mode=1777",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": [
				"nosuid",
				"noexec",
				"nodev"
			]
		},
		{
			"destination": "/sys",
			"type": "sysfs",
			"source": "sysfs",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"ro"
			]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"relatime",
				"ro"
			]
		}
	],
	"linux": {
		"resources": {
			"devices": [
				{
					"allow": false,
					"access": "rwm"
				}
			]
		},
		"namespaces": [
			{
				"type": "pid"
			},
			{
				"type": "network"
			},
			{
				"type": "ipc"
			},
			{
				"type": "uts"
			},
			{
				"type": "mount"
			}
		],
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
}
EOF
printf '%s' "${config%$'\n'}" >"$out/config.json.tmp"
mv -f "$out/config.json.tmp" "$out/config.json"
