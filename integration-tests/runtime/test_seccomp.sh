#!/usr/bin/env bash
# linux.seccomp: the filter is in force for the container's process and for
# exec'd ones (Seccomp: 2), an ERRNO action returns its errnoRet, a
# KILL_PROCESS action kills with SIGSYS (exit 159), argument conditions
# select, and it loads with and without noNewPrivileges. startContainer
# hooks run under the filter (as runc): a hook making a KILLed syscall fails
# the run with "error running hook" and "bad system call". With a
# non-permissive defaultAction, a syscall newer than every one the profile
# names (nr 1000) gets -ENOSYS, not the default errno (runc's stub), while a
# known unlisted one (getpriority here) gets the default action's EPERM.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/helpers.sh"
need_root

B=$T/bundle
make_bundle "$B"
profile='{
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
    {"names": ["sethostname"], "action": "SCMP_ACT_KILL_PROCESS"},
    {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
     "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]}
  ]}'
set_config "$B" '.linux.seccomp = ($p | fromjson) | .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]' --arg p "$profile"
set_config "$B" '.root.readonly = false'

for nnp in true false; do
  set_config "$B" '.process.noNewPrivileges = ($n == "true")' --arg n "$nnp"
  set_config "$B" '.process.args = ["sh", "-c", "probe seccomp; mkdir /tmp/blocked; echo mkdir=$?"]'
  out=$(cd "$B" && rt run "sc-$nnp-$TAG" 2>&1)
  assert_eq 2 "$(probe_value "$out" seccomp)" "Seccomp mode with noNewPrivileges=$nnp"
  assert_contains "$out" "Function not implemented" "mkdir under an ERRNO(38) rule (nnp=$nnp)"
  assert_contains "$out" "mkdir=1" "mkdir exit status"

  # KILL_PROCESS: sethostname dies with SIGSYS; the foreground run reports 128+31.
  set_config "$B" '.process.args = ["hostname", "x"]'
  (cd "$B" && rt run "sk-$nnp-$TAG" >/dev/null 2>&1)
  assert_eq 159 "$?" "exit code of a process killed by SCMP_ACT_KILL_PROCESS (nnp=$nnp)"
done

# Exec'd processes are filtered too.
set_config "$B" '.process.args = ["sleep", "30"]'
id=sx-$TAG
(cd "$B" && rt run -d "$id") || fail "run -d failed"
out=$(rt exec "$id" sh -c 'probe seccomp; mkdir /tmp/x 2>&1; true')
assert_eq 2 "$(probe_value "$out" seccomp)" "Seccomp mode of an exec'd process"
assert_contains "$out" "Function not implemented" "mkdir in an exec'd process"
rt delete --force "$id"

# An invalid profile fails create, naming the field, and leaves nothing.
set_config "$B" '.linux.seccomp.defaultAction = "SCMP_ACT_BOGUS"'
err=$(cd "$B" && rt create "sbad-$TAG" 2>&1) && fail "create with a bad seccomp action succeeded"
if [[ $RUNTIME == *berth-runtime ]]; then
  assert_contains "$err" "linux.seccomp.defaultAction" "error for a bad defaultAction"
fi
nothing_left "sbad-$TAG"

# -ENOSYS for syscalls newer than the profile (needs gcc -static for a raw syscall).
cat >"$T/nosys.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void) {
  long r = syscall(1000, 0, 0, 0);
  printf("nr1000=%s\n", r == -1 && errno == ENOSYS ? "ENOSYS" : r == -1 && errno == EPERM ? "EPERM" : "other");
  r = syscall(SYS_getpriority, 0, 0);
  printf("getpriority=%s\n", r == -1 && errno == EPERM ? "EPERM" : r == -1 && errno == ENOSYS ? "ENOSYS" : "other");
  return 0;
}
C
if gcc -static -O -o "$B/rootfs/nosys" "$T/nosys.c" 2>"$T/gcc.err"; then
  set_config "$B" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO",
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      "syscalls": [{"names": ["execve", "execveat", "brk", "arch_prctl", "set_tid_address",
        "set_robust_list", "rseq", "prlimit64", "mprotect", "readlinkat", "readlink", "newfstatat",
        "fstat", "statx", "stat", "lstat", "write", "read", "pread64", "lseek", "exit", "exit_group",
        "getrandom", "uname", "mmap", "munmap", "madvise", "close", "close_range", "open", "openat",
        "openat2", "fcntl", "getdents64", "futex", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
        "sigaltstack", "getpid", "getppid", "gettid", "tgkill", "ioctl", "access", "faccessat",
        "faccessat2", "capget", "capset", "prctl", "setgroups", "setresuid", "setresgid", "setuid",
        "setgid", "getuid", "getgid", "geteuid", "getegid", "chdir", "fchdir", "dup", "dup2", "dup3",
        "nanosleep", "clock_gettime", "sched_getaffinity", "sched_yield", "epoll_pwait", "epoll_ctl",
        "epoll_create1", "pipe2", "wait4", "clone", "clone3", "keyctl", "write", "writev",
        "mknodat", "umask", "fstatfs", "statfs", "getcwd"], "action": "SCMP_ACT_ALLOW"}]}
    | .process.args = ["/nosys"] | .hooks = {}'
  out=$(cd "$B" && rt run "snosys-$TAG" </dev/null 2>"$T/err")
  assert_eq ENOSYS "$(probe_value "$out" nr1000)" "syscall 1000 under defaultAction ERRNO (stderr: $(cat "$T/err"))"
  assert_eq EPERM "$(probe_value "$out" getpriority)" "unlisted getpriority under defaultAction ERRNO"
  nothing_left "snosys-$TAG"
  rm -f "$B/rootfs/nosys"
else
  echo "SKIP (part): -ENOSYS check needs gcc -static: $(head -c 200 "$T/gcc.err")"
fi

# startContainer hook under the filter (noNewPrivileges true and false).
for nnp in true false; do
  set_config "$B" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]}
    | .process.noNewPrivileges = ($nnp == "true")
    | .hooks = {startContainer: [{path: "/bin/sh", args: ["sh", "-c", "mkdir /tmp/hook-dir"]}]}
    | .process.args = ["true"]' --arg nnp "$nnp"
  out=$(cd "$B" && rt run "shook-$TAG" </dev/null 2>&1) && fail "run with a startContainer hook killed by seccomp succeeded (nnp $nnp)"
  assert_contains "$out" "error running hook" "run with a startContainer hook under seccomp (nnp $nnp)"
  assert_contains "$out" "bad system call" "run with a startContainer hook under seccomp (nnp $nnp)"
  rt delete -f "shook-$TAG" >/dev/null 2>&1
  nothing_left "shook-$TAG"
done
pass
