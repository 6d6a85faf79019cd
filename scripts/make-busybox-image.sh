#!/usr/bin/env bash
# make-busybox-image.sh OUT.tar [--format oci|docker] [--tag NAME] [--probe PATH]
#
# Builds a one-layer busybox container image locally, without any registry or
# network: the layer is a rootfs made from Debian's busybox-static (every
# applet as a symlink to /bin/busybox, a minimal /etc/passwd and /etc/group),
# the config has Env PATH=... and Cmd ["sh"].
#
#   --format oci     (default) an OCI image layout in a tar: oci-layout,
#                    index.json, blobs/sha256/*. The index entry carries both
#                    io.containerd.image.name (full name, used by
#                    `ctr images import`) and org.opencontainers.image.ref.name
#                    (the tag).
#   --format docker  a `docker save` archive: manifest.json, <sha>.json,
#                    <diffid>/layer.tar (+ VERSION, json, repositories), which
#                    `docker load` (20.10) and `ctr images import` both accept.
#   --tag NAME       image name, default busybox:latest (a short name is
#                    normalised to docker.io/library/NAME for containerd).
#   --probe PATH     also put the static binary PATH at /bin/probe.
#
# The output is reproducible: fixed mtimes, owners 0:0, sorted entries, so the
# same busybox gives the same digests. Prints the image's config digest.
set -euo pipefail

usage() { echo "usage: $0 OUT.tar [--format oci|docker] [--tag NAME] [--probe PATH]" >&2; exit 2; }

out="" format=oci tag=busybox:latest probe=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --format) format=${2:-}; shift 2 ;;
    --format=*) format=${1#*=}; shift ;;
    --tag) tag=${2:-}; shift 2 ;;
    --tag=*) tag=${1#*=}; shift ;;
    --probe) probe=${2:-}; shift 2 ;;
    --probe=*) probe=${1#*=}; shift ;;
    -h|--help) usage ;;
    -*) echo "$0: unknown option $1" >&2; usage ;;
    *) [[ -z $out ]] || usage; out=$1; shift ;;
  esac
done
[[ -n $out ]] || usage
[[ $format == oci || $format == docker ]] || { echo "$0: --format must be oci or docker" >&2; exit 2; }
for c in jq sha256sum tar; do
  command -v "$c" >/dev/null || { echo "$0: needs $c" >&2; exit 1; }
done

busybox=${BUSYBOX:-}
if [[ -z $busybox ]]; then
  for b in /bin/busybox /usr/bin/busybox; do [[ -x $b ]] && { busybox=$b; break; }; done
fi
[[ -n $busybox && -x $busybox ]] || { echo "$0: busybox not found (apt-get install busybox-static)" >&2; exit 1; }
if command -v file >/dev/null && ! file -L "$busybox" | grep -q 'statically linked'; then
  echo "$0: $busybox is not statically linked (install busybox-static)" >&2
  exit 1
fi
[[ -z $probe || -x $probe ]] || { echo "$0: probe $probe is not an executable file" >&2; exit 1; }

# Normalise the name the way docker does for containerd (docker.io/library/x).
name=$tag
[[ $name == *:* && ${name##*/} == *:* ]] || name=$name:latest
first=${name%%/*}
if [[ $name != */* ]]; then
  fullname=docker.io/library/$name
elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then
  fullname=docker.io/$name
else
  fullname=$name
fi
reftag=${name##*:}

case $(dpkg --print-architecture 2>/dev/null || uname -m) in
  amd64|x86_64) arch=amd64 ;;
  arm64|aarch64) arch=arm64 ;;
  armhf|armel|arm*) arch=arm ;;
  i386|i686) arch=386 ;;
  ppc64el|ppc64le) arch=ppc64le ;;
  s390x) arch=s390x ;;
  riscv64) arch=riscv64 ;;
  *) arch=$(uname -m) ;;
esac

umask 022
work=$(mktemp -d "${TMPDIR:-/tmp}/berth-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,root,home,var/tmp,tmp}
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
chmod 700 "$rootfs/root"
cp "$busybox" "$rootfs/bin/busybox"
chmod 755 "$rootfs/bin/busybox"
"$busybox" --list-full | while read -r applet; do
  [[ -n $applet && ! -e $rootfs/$applet && ! -L $rootfs/$applet ]] || continue
  mkdir -p "$rootfs/$(dirname "$applet")"
  ln -s /bin/busybox "$rootfs/$applet"
done
[[ -L $rootfs/bin/sh ]] || ln -s /bin/busybox "$rootfs/bin/sh"
if [[ -n $probe ]]; then
  cp "$probe" "$rootfs/bin/probe"
  chmod 755 "$rootfs/bin/probe"
fi
cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
: >"$rootfs/etc/hosts"
: >"$rootfs/etc/resolv.conf"
echo busybox >"$rootfs/etc/hostname"

# repro_tar DIR OUT: DIR's contents (names without a "./" prefix, sorted)
# with fixed mtimes and owners.
repro_tar() {
  (cd "$1" && find . -mindepth 1 | sed 's,^\./,,' | LC_ALL=C sort) |
    tar --create --file "$2" --directory "$1" --no-recursion --files-from - \
      --format=gnu --mtime=@0 --owner=0 --group=0 --numeric-owner
}

# Reproducible layer tar.
layer=$work/layer.tar
repro_tar "$rootfs" "$layer"
layer_sha=$(sha256sum "$layer" | cut -d' ' -f1)
layer_size=$(stat -c %s "$layer")

created=1970-01-01T00:00:00Z
config=$work/config.json
jq -cn --arg arch "$arch" --arg created "$created" --arg diff "sha256:$layer_sha" '{
  architecture: $arch, os: "linux", created: $created,
  config: {
    Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    Cmd: ["sh"], WorkingDir: "/"
  },
  rootfs: {type: "layers", diff_ids: [$diff]},
  history: [{created: $created, created_by: "scripts/make-busybox-image.sh (busybox-static)"}]
}' | tr -d '\n' >"$config"
config_sha=$(sha256sum "$config" | cut -d' ' -f1)
config_size=$(stat -c %s "$config")

img=$work/image
mkdir -p "$img"
if [[ $format == oci ]]; then
  mkdir -p "$img/blobs/sha256"
  mv "$layer" "$img/blobs/sha256/$layer_sha"
  mv "$config" "$img/blobs/sha256/$config_sha"
  manifest=$work/manifest.json
  jq -cn --arg c "sha256:$config_sha" --argjson cs "$config_size" \
    --arg l "sha256:$layer_sha" --argjson ls "$layer_size" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
    layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]
  }' | tr -d '\n' >"$manifest"
  manifest_sha=$(sha256sum "$manifest" | cut -d' ' -f1)
  manifest_size=$(stat -c %s "$manifest")
  mv "$manifest" "$img/blobs/sha256/$manifest_sha"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$img/oci-layout"
  jq -cn --arg m "sha256:$manifest_sha" --argjson ms "$manifest_size" \
    --arg arch "$arch" --arg full "$fullname" --arg tag "$reftag" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{
      mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
      platform: {architecture: $arch, os: "linux"},
      annotations: {"io.containerd.image.name": $full, "org.opencontainers.image.ref.name": $tag}
    }]
  }' | tr -d '\n' >"$img/index.json"
else
  # docker save layout; the layer directory is named after the layer's
  # (v1) id, which for a single-layer image we take as the diff id.
  mkdir -p "$img/$layer_sha"
  mv "$layer" "$img/$layer_sha/layer.tar"
  printf '1.0' >"$img/$layer_sha/VERSION"
  jq -cn --arg id "$layer_sha" --arg arch "$arch" --arg created "$created" \
    '{id: $id, created: $created, os: "linux", architecture: $arch,
      config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"]}}' |
    tr -d '\n' >"$img/$layer_sha/json"
  mv "$config" "$img/$config_sha.json"
  jq -cn --arg c "$config_sha.json" --arg tag "$name" --arg l "$layer_sha/layer.tar" \
    '[{Config: $c, RepoTags: [$tag], Layers: [$l]}]' | tr -d '\n' >"$img/manifest.json"
  jq -cn --arg repo "${name%:*}" --arg tag "$reftag" --arg id "$layer_sha" \
    '{($repo): {($tag): $id}}' | tr -d '\n' >"$img/repositories"
fi

mkdir -p "$(dirname "$out")"
repro_tar "$img" "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
echo "sha256:$config_sha"
