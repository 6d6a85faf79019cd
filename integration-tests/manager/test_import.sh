#!/usr/bin/env bash
# Image archives in and out through the manager (Transfer.Import/Export):
# docker-archive and OCI layout busybox, idempotent re-import, OCI layouts
# written by skopeo and umoci, byte-identical export round trips, and bad
# archives refused with a clear message and nothing left behind.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

# bad_layout MODE OUT.tar ARCH: a one-layer OCI layout named
# docker.io/library/bad-MODE:latest whose layer is unique to MODE.
#   good       valid (proves the crafted layout itself imports)
#   corrupt    the layer blob's bytes differ from its digest
#   dotdot     a layer entry "../escape"
#   symlink    a layer symlink to / and a file written through it
#   mediatype  the layer has an unknown media type
bad_layout() {
  python3 - "$@" <<'PY'
import hashlib, io, json, sys, tarfile
mode, out, arch = sys.argv[1:4]

def tar_bytes(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, kind, data in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 0
            if kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, data
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()

def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()

entries = [("hello.txt", "file", ("hello from " + mode + "\n").encode())]
if mode == "dotdot":
    entries.append(("../escape", "file", b"out\n"))
if mode == "symlink":
    entries += [("up", "sym", "/"), ("up/tmp/berth-escape-" + mode, "file", b"out\n")]
layer = tar_bytes(entries)
layer_digest = digest(layer)
layer_type = "application/vnd.oci.image.layer.v1.tar"
if mode == "mediatype":
    layer_type = "application/vnd.example.unknown.v1"
config = json.dumps({"architecture": arch, "os": "linux",
                     "config": {"Cmd": ["/bin/true"]},
                     "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}).encode()
manifest = json.dumps({"schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": digest(config), "size": len(config)},
    "layers": [{"mediaType": layer_type, "digest": layer_digest, "size": len(layer)}]}).encode()
index = json.dumps({"schemaVersion": 2, "manifests": [{
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": digest(manifest), "size": len(manifest),
    "annotations": {"io.containerd.image.name": "docker.io/library/bad-%s:latest" % mode}}]}).encode()
stored_layer = layer
if mode == "corrupt":
    stored_layer = layer.replace(b"hello from", b"HELLO FROM")
files = [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index),
         ("blobs/sha256/" + digest(config)[7:], config),
         ("blobs/sha256/" + digest(manifest)[7:], manifest),
         ("blobs/sha256/" + layer_digest[7:], stored_layer)]
with open(out, "wb") as f:
    f.write(tar_bytes([(n, "file", d) for n, d in files]))
print(layer_digest)
PY
}

start_manager
docker_tar=$(image_tar docker bb:docker)
oci_tar=$(image_tar oci bb:oci)
arch=$(tar -xOf "$oci_tar" index.json | jq -r '.manifests[0].platform.architecture')

# docker-archive by path; ctr's progress line.
out=$(ctl images import "$docker_tar" 2>&1) || fail "import docker-archive: $out"
assert_contains "$out" "unpacking docker.io/library/bb:docker (sha256:" "import output"
assert_contains "$out" ")...done" "import output"
# OCI layout streamed on stdin.
out=$(ctl images import - <"$oci_tar" 2>&1) || fail "import OCI layout from stdin: $out"
assert_contains "$out" "unpacking docker.io/library/bb:oci (sha256:" "import output"

ls_out=$(ctl images ls) || fail "images ls failed"
assert_eq "REF TYPE DIGEST SIZE PLATFORMS LABELS" "$(head -1 <<<"$ls_out" | xargs)" "images ls header"
assert_contains "$ls_out" "docker.io/library/bb:docker" "images ls"
line=$(grep '^docker.io/library/bb:oci ' <<<"$ls_out") || fail "bb:oci not listed: $ls_out"
oci_manifest=$(tar -xOf "$oci_tar" index.json | jq -r '.manifests[0].digest')
read -r _ type digest size unit platform labels <<<"$line"
assert_eq "application/vnd.oci.image.manifest.v1+json $oci_manifest" "$type $digest" "bb:oci type, digest"
[[ $size =~ ^[0-9.]+$ && $unit == MiB ]] || fail "bb:oci size: '$size $unit'"
assert_eq "linux/$arch -" "$platform $labels" "bb:oci platform, labels"
assert_eq "docker.io/library/bb:docker
docker.io/library/bb:oci" "$(ctl images ls -q | sort)" "images ls -q"

# Same layer in both archives: one committed snapshot.
snaps=$(ctl snapshots ls | grep -c Committed)
assert_eq 1 "$snaps" "committed snapshots after two imports of one layer"

# Re-import: same names, same targets, no new blobs or snapshots.
before_ls=$(ctl images ls)
before_blobs=$(ls "$BLOBS" | sort)
out=$(ctl images import "$docker_tar" 2>&1) || fail "re-import docker-archive: $out"
out=$(ctl images import "$oci_tar" 2>&1) || fail "re-import OCI layout: $out"
assert_eq "$before_ls" "$(ctl images ls)" "images ls after re-import"
assert_eq "$before_blobs" "$(ls "$BLOBS" | sort)" "blobs after re-import"
assert_eq 1 "$(ctl snapshots ls | grep -c Committed)" "committed snapshots after re-import"
assert_no_ingest "ingest after imports"

# An OCI layout written by skopeo (from the docker archive), tarred with ./ names.
if command -v skopeo >/dev/null; then
  skopeo --insecure-policy copy -q "docker-archive:$docker_tar" "oci:$T/sk:v1" >"$T/skopeo.log" 2>&1 ||
    fail "skopeo copy failed: $(cat "$T/skopeo.log")"
  tar -C "$T/sk" -cf "$T/sk.tar" .
  out=$(ctl images import --base-name skopeo "$T/sk.tar" 2>&1) || fail "import skopeo layout: $out"
  assert_contains "$(ctl images ls -q)" "docker.io/library/skopeo:v1" "images after skopeo import"
  assert_eq 1 "$(ctl snapshots ls | grep -c Committed)" "committed snapshots after the skopeo import"
  # umoci: unpack, add a file, repack as a new tag (a second, gzip'd layer).
  if command -v umoci >/dev/null; then
    umoci unpack --image "$T/sk:v1" "$T/umoci-bundle" >"$T/umoci.log" 2>&1 ||
      fail "umoci unpack failed: $(cat "$T/umoci.log")"
    echo umoci >"$T/umoci-bundle/rootfs/etc/umoci-was-here"
    umoci repack --image "$T/sk:v2" "$T/umoci-bundle" >>"$T/umoci.log" 2>&1 ||
      fail "umoci repack failed: $(cat "$T/umoci.log")"
    tar -C "$T/sk" -cf "$T/umoci.tar" .
    out=$(ctl images import --base-name umoci "$T/umoci.tar" 2>&1) || fail "import umoci layout: $out"
    assert_contains "$(ctl images ls -q)" "docker.io/library/umoci:v2" "images after umoci import"
    assert_contains "$(ctl images ls -q)" "docker.io/library/umoci:v1" "images after umoci import"
    assert_eq 2 "$(ctl snapshots ls | grep -c Committed)" "committed snapshots after the umoci import"
  else
    echo "note: umoci not installed, its layout is not tested"
  fi
else
  echo "note: skopeo not installed, skopeo/umoci layouts are not tested"
fi
assert_no_ingest "ingest after skopeo/umoci imports"

# Export (OCI) then re-import: the same blobs, byte for byte.
ctl images export "$T/export.tar" docker.io/library/bb:oci || fail "images export failed"
mkdir -p "$T/export" && tar -C "$T/export" -xf "$T/export.tar" || fail "export is not a tar"
[[ -f $T/export/oci-layout && -f $T/export/index.json ]] || fail "export lacks oci-layout/index.json"
mkdir -p "$T/orig" && tar -C "$T/orig" -xf "$oci_tar"
assert_eq "$(cd "$T/orig/blobs/sha256" && sha256sum * | sort)" \
  "$(cd "$T/export/blobs/sha256" && sha256sum * | sort)" "exported blobs vs the imported archive"
(cd "$T/export/blobs/sha256" && for f in *; do
  [[ $(sha256sum <"$f" | cut -d' ' -f1) == "$f" ]] || fail "exported blob $f does not match its name"
done) || exit 1
ctl images rm docker.io/library/bb:oci >/dev/null || fail "images rm bb:oci failed"
out=$(ctl images import "$T/export.tar" 2>&1) || fail "re-import of the export: $out"
assert_contains "$out" "docker.io/library/bb:oci" "re-import of the export"
(cd "$T/export/blobs/sha256" && for f in *; do
  [[ $(sha256sum <"$BLOBS/$f" | cut -d' ' -f1) == "$f" ]] || fail "content blob $f differs after re-import"
done) || exit 1
assert_eq "$before_ls" "$(ctl images ls | grep -v -e skopeo -e umoci)" "images ls after export + re-import"

# Docker format export to stdout, re-imported under the same name.
ctl images export --format docker - docker.io/library/bb:docker >"$T/export-docker.tar" ||
  fail "images export --format docker failed"
grep -qx manifest.json <<<"$(tar -tf "$T/export-docker.tar")" || fail "docker export has no manifest.json"
out=$(ctl images import "$T/export-docker.tar" 2>&1) || fail "re-import of the docker export: $out"
assert_contains "$(ctl images ls -q)" "docker.io/library/bb:docker" "images after docker round trip"

# Bad archives: each refused with a clear message; nothing listed or left.
good_ls=$(ctl images ls)
bad_layout good "$T/good.tar" "$arch" >/dev/null || fail "python3 could not craft a layout"
out=$(ctl images import "$T/good.tar" 2>&1) || fail "the crafted valid layout was refused: $out"
ctl images rm docker.io/library/bad-good:latest >/dev/null || fail "images rm bad-good failed"
good_ls=$(ctl images ls)

check_refused() { # check_refused WHAT EXPECTED-IN-MESSAGE IMPORT-ARGS...
  local what=$1 expect=$2 out rc
  shift 2
  out=$(ctl images import "$@" 2>&1)
  rc=$?
  [[ $rc -ne 0 ]] || fail "$what was imported: $out"
  [[ $(wc -l <<<"$out") -eq 1 && $out == "berthctl: "* ]] || fail "$what: not one 'berthctl:' line: $out"
  assert_contains "$out" "$expect" "$what error"
  assert_eq "$good_ls" "$(ctl images ls)" "images ls after $what"
  assert_no_ingest "ingest after $what"
  [[ $(ctl snapshots ls) != *Active* ]] || fail "active snapshot left after $what: $(ctl snapshots ls)"
}
layer=$(bad_layout corrupt "$T/corrupt.tar" "$arch")
check_refused "a corrupted blob" "${layer#sha256:}" "$T/corrupt.tar" </dev/null
[[ ! -e $BLOBS/${layer#sha256:} ]] || fail "the corrupted blob was stored"
head -c $(($(stat -c %s "$docker_tar") / 2)) "$docker_tar" >"$T/truncated.tar"
check_refused "a truncated tar" "" "$T/truncated.tar"
check_refused "a truncated tar on stdin" "" - <"$T/truncated.tar"
bad_layout dotdot "$T/dotdot.tar" "$arch" >/dev/null
check_refused "a layer entry with ../" "escape" "$T/dotdot.tar"
[[ ! -e $MROOT/snapshots/escape && ! -e $T/escape ]] || fail "../escape was written"
bad_layout symlink "$T/symlink.tar" "$arch" >/dev/null
check_refused "a layer symlink escape" "up/tmp" "$T/symlink.tar"
[[ ! -e /tmp/berth-escape-symlink ]] || { rm -f /tmp/berth-escape-symlink; fail "the symlink escape wrote /tmp"; }
bad_layout mediatype "$T/mediatype.tar" "$arch" >/dev/null
check_refused "an unknown media type" "application/vnd.example.unknown.v1" "$T/mediatype.tar"
out=$(ctl images import "$T/does-not-exist.tar" 2>&1) && fail "a missing file was imported"
assert_contains "$out" "does-not-exist.tar" "missing file error"

pass
