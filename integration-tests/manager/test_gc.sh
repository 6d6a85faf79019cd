#!/usr/bin/env bash
# Garbage collection: an image's blobs and snapshots stay while a name or a
# container needs them, and go once nothing does (Images.Delete and
# Containers.Delete collect).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"

start_manager
oci_tar=$(image_tar oci gc:oci)
docker_tar=$(image_tar docker gc:docker)
ctl images import "$oci_tar" >/dev/null || fail "import gc:oci"
ctl images import "$docker_tar" >/dev/null || fail "import gc:docker"
A=docker.io/library/gc:oci
B=docker.io/library/gc:docker
[[ $(count_files "$BLOBS") -gt 0 ]] || fail "no blobs in $BLOBS after import"

ctl run -d $A c1 sleep 1000 || fail "run -d c1"
ctl run --rm $B c2 true || fail "run --rm c2"
ctl containers create $B c3 true || fail "containers create c3"

# A name removed while a container still uses the image: its layers stay.
ctl images rm $A >/dev/null || fail "images rm $A"
ctl images rm $B >/dev/null || fail "images rm $B"
assert_eq "" "$(ctl images ls -q)" "images after rm"
assert_contains "$(ctl snapshots ls)" Committed "committed layer while containers use it"
assert_eq RUNNING "$(task_field c1 STATUS)" "c1 after its image was removed"

ctl tasks kill -s KILL c1 || fail "tasks kill c1"
wait_for "[[ \$(task_field c1 STATUS) == STOPPED ]]" 10 || fail "c1 not STOPPED"
ctl tasks delete c1 || fail "tasks delete c1"
ctl containers rm c1 c3 || fail "containers rm c1 c3"

assert_eq "" "$(ctl containers ls -q)" "containers after rm"
assert_eq "KEY PARENT KIND" "$(ctl snapshots ls | xargs)" "snapshots after everything was removed"
assert_eq 0 "$(count_files "$BLOBS")" "blobs left in $BLOBS"
left=$(find "$MROOT/snapshots/snapshots" -mindepth 1 -maxdepth 1 2>/dev/null | head -3)
[[ -z $left ]] || fail "snapshot directories left: $left"
assert_no_ingest "ingest after gc"

# And the store still works afterwards.
ctl images import "$oci_tar" >/dev/null || fail "import after gc"
out=$(ctl run --rm $A c4 echo again 2>&1) || fail "run after gc: $out"
assert_eq again "$out" "run after gc"

pass
