#!/usr/bin/env bash
# Help and version text in runc's format, naming the program as invoked:
# installed as "runc" (a drop-in), it reads exactly as runc's tools and tests
# expect (runc's help.bats and version.bats).
source "$(dirname "$0")/../lib.sh"

ln -s "$(command -v "$RUNTIME")" "$T/runc"
runc_as() { "$T/runc" "$@"; }

mapfile -t lines < <(runc_as --version)
[[ ${lines[0]} =~ ^runc\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "version line 1: ${lines[0]}"
[[ ${lines[1]} =~ ^commit: ]] || fail "version line 2: ${lines[1]}"
[[ ${lines[2]} =~ ^spec:\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "version line 3: ${lines[2]}"

for args in "-h" "--help" "help"; do
  mapfile -t lines < <(runc_as $args)
  assert_eq "NAME:" "${lines[0]}" "runc $args line 1"
  [[ ${lines[1]} =~ runc\ -\ Open\ Container\ Initiative\ runtime ]] || fail "runc $args line 2: ${lines[1]}"
done
for cmd in checkpoint create delete events exec kill list pause ps restore resume run spec start state update; do
  mapfile -t lines < <(runc_as "$cmd" -h)
  assert_eq "NAME:" "${lines[0]}" "runc $cmd -h line 1"
  [[ ${lines[1]} =~ ^\ +runc\ $cmd\ -\  ]] || fail "runc $cmd -h line 2: ${lines[1]}"
done
out=$(runc_as foo -h 2>&1) && fail "runc foo -h succeeded"
assert_contains "$out" "No help topic for 'foo'" "unknown command"

if [[ $(basename "$RUNTIME") == berth-runtime ]]; then
  assert_contains "$("$RUNTIME" --version | head -1)" "berth-runtime version" "version under its own name"
  out=$("$RUNTIME" checkpoint x 2>&1) && fail "checkpoint succeeded"
  assert_contains "$out" "not supported" "checkpoint"
fi
pass
