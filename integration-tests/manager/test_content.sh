#!/usr/bin/env bash
# The content store through its gRPC streams, with berthctl content (ctr's
# `content` group): a blob of several chunks ingested and read back byte for
# byte; an interrupted ingest resumes at its offset (the resumed run skips
# what the first one wrote, so bytes there are never read again); a digest
# mismatch is refused and leaves no ingest; a namespace sees only its own
# blobs; rm removes the blob from disk.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_cmd sha256sum

start_manager
blob=$T/blob
head -c $((3 * 1024 * 1024 + 12345)) /dev/urandom >"$blob"
size=$(stat -c %s "$blob")
digest=sha256:$(sha256sum <"$blob" | cut -d' ' -f1)

# Interrupted: the first 1.5 MiB only. Nothing is committed, the ingest stays.
out=$(head -c 1572864 "$blob" |
  ctl content ingest --expected-size "$size" --expected-digest "$digest" ref1 2>&1) &&
  fail "an ingest short of --expected-size succeeded: $out"
assert_eq "berthctl: stdin ended at byte 1572864 of $size; ingest ref1 keeps them: run again with the same input to resume" \
  "$out" "short ingest's error"
assert_eq "" "$(ctl content ls -q)" "content after a short ingest"
# Resumed: the ingest's first 1572864 bytes are not read again, so zeros
# there must not matter.
out=$({ head -c 1572864 /dev/zero; tail -c +1572865 "$blob"; } |
  ctl content ingest --expected-size "$size" --expected-digest "$digest" ref1 2>&1) ||
  fail "resumed ingest: $out"
assert_eq "$digest" "$out" "digest printed by the resumed ingest"
assert_no_ingest "a committed ingest"
assert_eq "$digest" "$(ctl content ls -q)" "content ls -q"
assert_eq "$digest 3.0 MiB" "$(ctl content ls | awk 'NR == 2 {print $1, $2, $3}')" "content ls: digest, size"
ctl content get "$digest" >"$T/got" || fail "content get failed"
cmp -s "$blob" "$T/got" || fail "content get returned other bytes ($(stat -c %s "$T/got") bytes)"

# A digest mismatch: refused with both digests named, nothing left.
bad=sha256:$(printf '0%.0s' {1..64})
out=$(ctl content ingest --expected-digest "$bad" ref2 <"$T/got" 2>&1) &&
  fail "an ingest with the wrong digest succeeded"
assert_eq "berthctl: commit ref ref2: unexpected commit digest $digest, expected $bad" "$out" "digest mismatch error"
assert_no_ingest "a refused ingest"

# Another namespace does not see the blob.
out=$(ctl -n other content get "$digest" 2>&1) && fail "namespace other read the blob"
assert_eq "berthctl: content $digest: not found" "$out" "content get from another namespace"
assert_eq "" "$(ctl -n other content ls -q)" "content ls in another namespace"

# Bad input: one line naming it.
out=$(ctl content ingest --expected-size lots ref3 </dev/null 2>&1) && fail "--expected-size lots accepted"
assert_eq 'berthctl: --expected-size "lots": not a size in bytes' "$out" "bad --expected-size"

# rm: gone from the listing and from disk.
assert_eq "$digest" "$(ctl content rm "$digest")" "content rm output"
assert_eq "" "$(ctl content ls -q)" "content after rm"
[[ ! -e $BLOBS/${digest#sha256:} ]] || fail "blob file left after content rm"
out=$(ctl content get "$digest" 2>&1) && fail "content get after rm succeeded"
assert_eq "berthctl: content $digest: not found" "$out" "content get after rm"
pass
