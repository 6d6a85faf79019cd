// probe: prints what the kernel shows a process inside a container, one fact
// per line as key=value, for Berth's integration tests. Built static so it runs
// in any rootfs.
//
//   probe                      all sections below (not sysctl)
//   probe SECTION...           only these: ids caps ns pid mounts cgroup seccomp
//                              rlimits uts env cwd umask fds tty oom
//   probe sysctl NAME...       sysctl.NAME=value from /proc/sys
//   probe try ACTION...        try.ACTION=ok or try.ACTION=<errno name>; actions:
//                              write:/p read:/p mount-proc sethostname mknod:/p chown:/p
//   probe exit N               exit with code N (after printing what came before)
//   probe sleep SECONDS        sleep (fractions allowed); on TERM/INT/HUP/QUIT/USR1/USR2
//                              prints signal=N and dies (pid 1: exits 128+N)
// Arguments combine left to right: `probe ids try write:/x exit 3`.
// A value that cannot be read is `missing` (ENOENT) or the errno name; list
// sections (mounts, cgroup) print no lines when /proc is absent.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

// Symbolic errno name (strerrorname_np is glibc-only, so keep our own table).
static const char *errname(int e) {
  static const struct { int n; const char *s; } t[] = {
      {EPERM, "EPERM"},   {ENOENT, "ENOENT"},   {ESRCH, "ESRCH"},     {EINTR, "EINTR"},
      {EIO, "EIO"},       {ENXIO, "ENXIO"},     {E2BIG, "E2BIG"},     {ENOEXEC, "ENOEXEC"},
      {EBADF, "EBADF"},   {ECHILD, "ECHILD"},   {EAGAIN, "EAGAIN"},   {ENOMEM, "ENOMEM"},
      {EACCES, "EACCES"}, {EFAULT, "EFAULT"},   {EBUSY, "EBUSY"},     {EEXIST, "EEXIST"},
      {EXDEV, "EXDEV"},   {ENODEV, "ENODEV"},   {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},
      {EINVAL, "EINVAL"}, {ENFILE, "ENFILE"},   {EMFILE, "EMFILE"},   {ENOTTY, "ENOTTY"},
      {ETXTBSY, "ETXTBSY"}, {EFBIG, "EFBIG"},   {ENOSPC, "ENOSPC"},   {ESPIPE, "ESPIPE"},
      {EROFS, "EROFS"},   {EMLINK, "EMLINK"},   {EPIPE, "EPIPE"},     {ERANGE, "ERANGE"},
      {ENAMETOOLONG, "ENAMETOOLONG"}, {ENOSYS, "ENOSYS"}, {ENOTEMPTY, "ENOTEMPTY"},
      {ELOOP, "ELOOP"},   {EOVERFLOW, "EOVERFLOW"}, {EOPNOTSUPP, "EOPNOTSUPP"},
      {EDQUOT, "EDQUOT"}, {ESTALE, "ESTALE"},
  };
  static char buf[16];
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (t[i].n == e) return t[i].s;
  snprintf(buf, sizeof buf, "E%d", e);
  return buf;
}

static const char *unreadable(int e) { return e == ENOENT ? "missing" : errname(e); }

// Print "key=value" with any newline in value shown as a space (one line per fact).
static void kv(const char *key, const char *val) {
  printf("%s=", key);
  for (const char *p = val; *p; p++) putchar(*p == '\n' ? ' ' : *p);
  putchar('\n');
}

// Read a small file into buf (NUL-terminated, trailing newlines stripped).
// Returns 0 or an errno.
static int read_small(const char *path, char *buf, size_t n) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t len = 0, r;
  while ((size_t)len < n - 1 && (r = read(fd, buf + len, n - 1 - len)) != 0) {
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return e;
    }
    len += r;
  }
  close(fd);
  while (len > 0 && buf[len - 1] == '\n') len--;
  buf[len] = '\0';
  return 0;
}

// Value of "Key:" in /proc/self/status, whitespace-trimmed; 0 or an errno.
static int status_field(const char *key, char *out, size_t n) {
  FILE *f = fopen("/proc/self/status", "re");
  if (!f) return errno;
  char line[512];
  size_t kl = strlen(key);
  int rc = ENOENT;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, kl) != 0 || line[kl] != ':') continue;
    char *v = line + kl + 1;
    v += strspn(v, " \t");
    v[strcspn(v, "\n")] = '\0';
    snprintf(out, n, "%s", v);
    rc = 0;
    break;
  }
  fclose(f);
  return rc;
}

static void sec_ids(void) {
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  getresuid(&ru, &eu, &su);
  getresgid(&rg, &eg, &sg);
  // setfs[ug]id with an invalid id changes nothing and returns the current one.
  printf("uid=%u %u %u %u\n", ru, eu, su, (unsigned)setfsuid(-1));
  printf("gid=%u %u %u %u\n", rg, eg, sg, (unsigned)setfsgid(-1));
  static gid_t g[65536];
  int n = getgroups(65536, g);
  printf("groups=");
  for (int i = 0; i < n; i++) printf(i ? " %u" : "%u", g[i]);
  putchar('\n');
}

static void sec_caps(void) {
  static const char *names[][2] = {{"CapInh", "cap.inh"}, {"CapPrm", "cap.prm"},
                                   {"CapEff", "cap.eff"}, {"CapBnd", "cap.bnd"},
                                   {"CapAmb", "cap.amb"}};
  char v[64];
  if (status_field("CapInh", v, sizeof v) == 0) {
    for (int i = 0; i < 5; i++)
      kv(names[i][1], status_field(names[i][0], v, sizeof v) == 0 ? v : "missing");
    return;
  }
  // No /proc: ask the kernel directly.
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2] = {{0}};
  unsigned long long inh = 0, prm = 0, eff = 0, bnd = 0, amb = 0;
  if (syscall(SYS_capget, &h, d) == 0) {
    inh = d[0].inheritable | (unsigned long long)d[1].inheritable << 32;
    prm = d[0].permitted | (unsigned long long)d[1].permitted << 32;
    eff = d[0].effective | (unsigned long long)d[1].effective << 32;
  }
  for (int c = 0; c < 64; c++) {
    int b = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
    if (b < 0) break;  // EINVAL past the last capability
    if (b) bnd |= 1ULL << c;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1) amb |= 1ULL << c;
  }
  printf("cap.inh=%016llx\ncap.prm=%016llx\ncap.eff=%016llx\ncap.bnd=%016llx\ncap.amb=%016llx\n",
         inh, prm, eff, bnd, amb);
}

static void sec_ns(void) {
  static const char *ns[] = {"cgroup", "ipc",  "mnt",               "net",  "pid", "pid_for_children",
                             "time",   "time_for_children", "user", "uts"};
  for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/self/ns/%s", ns[i]);
    if (stat(path, &st) == 0)
      printf("ns.%s=%llu\n", ns[i], (unsigned long long)st.st_ino);
    else
      printf("ns.%s=missing\n", ns[i]);
  }
}

static void sec_pid(void) { printf("pid=%d\nppid=%d\n", getpid(), getppid()); }

// Append the comma-separated options of src to dst, skipping ro/rw and duplicates.
static void merge_opts(char *dst, size_t n, char *src) {
  char *save, *o;
  for (o = strtok_r(src, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    if (!strcmp(o, "ro") || !strcmp(o, "rw")) continue;
    size_t ol = strlen(o);
    int dup = 0;
    for (char *p = dst; (p = strstr(p, o)); p += ol)
      if ((p == dst || p[-1] == ',') && (p[ol] == ',' || p[ol] == '\0')) dup = 1;
    if (!dup && strlen(dst) + ol + 2 < n) strcat(strcat(dst, ","), o);
  }
}

// mountinfo: id parent maj:min root mountpoint mountopts [optional...] - fstype source superopts
static void sec_mounts(void) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) return;
  char line[8192];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    char *fld[32], *save;
    int n = 0;
    for (char *t = strtok_r(line, " ", &save); t && n < 32; t = strtok_r(NULL, " ", &save)) fld[n++] = t;
    int sep = 6;
    while (sep < n && strcmp(fld[sep], "-") != 0) sep++;
    if (n < 6 || sep + 3 >= n) continue;
    char opts[4096];
    snprintf(opts, sizeof opts, "%s", fld[5]);
    merge_opts(opts, sizeof opts, fld[sep + 3]);
    printf("mount=%s %s %s\n", fld[4], fld[sep + 1], opts);
  }
  fclose(f);
}

static void sec_cgroup(void) {
  FILE *f = fopen("/proc/self/cgroup", "re");
  if (!f) return;
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    kv("cgroup", line);
  }
  fclose(f);
}

static void sec_seccomp(void) {
  char v[64];
  if (status_field("Seccomp", v, sizeof v) == 0)
    kv("seccomp", v);
  else
    printf("seccomp=%d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));  // 2 in filter mode
  if (status_field("NoNewPrivs", v, sizeof v) == 0)
    kv("nnp", v);
  else
    printf("nnp=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
}

static void sec_rlimits(void) {
  static const struct { int r; const char *name; } rl[] = {
      {RLIMIT_AS, "as"},           {RLIMIT_CORE, "core"},       {RLIMIT_CPU, "cpu"},
      {RLIMIT_DATA, "data"},       {RLIMIT_FSIZE, "fsize"},     {RLIMIT_LOCKS, "locks"},
      {RLIMIT_MEMLOCK, "memlock"}, {RLIMIT_MSGQUEUE, "msgqueue"}, {RLIMIT_NICE, "nice"},
      {RLIMIT_NOFILE, "nofile"},   {RLIMIT_NPROC, "nproc"},     {RLIMIT_RSS, "rss"},
      {RLIMIT_RTPRIO, "rtprio"},   {RLIMIT_RTTIME, "rttime"},   {RLIMIT_SIGPENDING, "sigpending"},
      {RLIMIT_STACK, "stack"},
  };
  for (size_t i = 0; i < sizeof rl / sizeof rl[0]; i++) {
    struct rlimit r;
    if (getrlimit(rl[i].r, &r) != 0) {
      printf("rlimit.%s=%s\n", rl[i].name, errname(errno));
      continue;
    }
    char s[32], h[32];
    snprintf(s, sizeof s, r.rlim_cur == RLIM_INFINITY ? "unlimited" : "%llu", (unsigned long long)r.rlim_cur);
    snprintf(h, sizeof h, r.rlim_max == RLIM_INFINITY ? "unlimited" : "%llu", (unsigned long long)r.rlim_max);
    printf("rlimit.%s=%s %s\n", rl[i].name, s, h);
  }
}

static void sec_uts(void) {
  struct utsname u;
  if (uname(&u) != 0) return;
  kv("hostname", u.nodename);
  kv("domainname", u.domainname);
}

static void sec_env(void) {
  for (char **e = environ; e && *e; e++) kv("env", *e);
}

static void sec_cwd(void) {
  char buf[4096];
  kv("cwd", getcwd(buf, sizeof buf) ? buf : errname(errno));
}

static void sec_umask(void) {
  char v[16];
  if (status_field("Umask", v, sizeof v) == 0) {
    kv("umask", v);
  } else {
    mode_t m = umask(0);
    umask(m);
    printf("umask=%04o\n", (unsigned)m);
  }
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void sec_fds(void) {
  static int fds[65536];
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (d) {
    struct dirent *de;
    while ((de = readdir(d)) && n < 65536) {
      if (de->d_name[0] == '.') continue;
      int fd = atoi(de->d_name);
      if (fd != dirfd(d)) fds[n++] = fd;
    }
    closedir(d);
    qsort(fds, n, sizeof fds[0], cmp_int);
  } else {  // No /proc: probe each descriptor number.
    struct rlimit r = {1024, 1024};
    getrlimit(RLIMIT_NOFILE, &r);
    for (int fd = 0; fd < (int)r.rlim_cur && fd < 65536; fd++)
      if (fcntl(fd, F_GETFD) >= 0) fds[n++] = fd;
  }
  printf("fds=");
  for (int i = 0; i < n; i++) printf(i ? " %d" : "%d", fds[i]);
  putchar('\n');
  for (int i = 0; i < n; i++) {
    char path[64], target[4096], key[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fds[i]);
    ssize_t len = readlink(path, target, sizeof target - 1);
    if (len < 0) snprintf(target, sizeof target, "%s", unreadable(errno));
    else target[len] = '\0';
    snprintf(key, sizeof key, "fd.%d", fds[i]);
    kv(key, target);
  }
}

static void sec_tty(void) {
  printf("tty.stdin=%d\ntty.stdout=%d\n", isatty(0), isatty(1));
  const char *name = ttyname(0);
  kv("tty.name", name ? name : "none");
  struct winsize ws;
  if (ioctl(1, TIOCGWINSZ, &ws) == 0)
    printf("tty.size=%ux%u\n", ws.ws_row, ws.ws_col);
  else
    printf("tty.size=none\n");
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  printf("tty.ctty=%d\n", fd >= 0);
  if (fd >= 0) close(fd);
}

static void sec_oom(void) {
  char v[64];
  int e = read_small("/proc/self/oom_score_adj", v, sizeof v);
  kv("oom_score_adj", e ? unreadable(e) : v);
}

static void do_sysctl(const char *name) {
  char path[512], v[8192], key[512];
  snprintf(path, sizeof path, "/proc/sys/%s", name);
  for (char *p = path + 10; *p; p++)
    if (*p == '.') *p = '/';
  snprintf(key, sizeof key, "sysctl.%s", name);
  int e = read_small(path, v, sizeof v);
  kv(key, e ? unreadable(e) : v);
}

// Perform one test action; returns 0 or an errno.
static int try_action(const char *a) {
  if (!strncmp(a, "write:", 6)) {
    int fd = open(a + 6, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    int e = write(fd, "x", 1) == 1 ? 0 : errno;
    if (close(fd) != 0 && !e) e = errno;
    return e;
  }
  if (!strncmp(a, "read:", 5)) {
    char c;
    int fd = open(a + 5, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    int e = read(fd, &c, 1) >= 0 ? 0 : errno;
    close(fd);
    return e;
  }
  if (!strcmp(a, "mount-proc")) {
    if (mkdir("/tmp/x", 0755) != 0 && errno != EEXIST) return errno;
    if (mount("proc", "/tmp/x", "proc", 0, NULL) != 0) return errno;
    umount2("/tmp/x", MNT_DETACH);
    return 0;
  }
  if (!strcmp(a, "sethostname")) {  // set it to its current value: no side effect
    struct utsname u;
    if (uname(&u) != 0) return errno;
    return sethostname(u.nodename, strlen(u.nodename)) == 0 ? 0 : errno;
  }
  if (!strncmp(a, "mknod:", 6))  // a char device like /dev/null (1:3)
    return mknod(a + 6, S_IFCHR | 0666, makedev(1, 3)) == 0 ? 0 : errno;
  if (!strncmp(a, "chown:", 6))  // to nobody, which needs CAP_CHOWN
    return chown(a + 6, 65534, 65534) == 0 ? 0 : errno;
  return -1;
}

static void on_signal(int sig) {
  char msg[32];
  int n = snprintf(msg, sizeof msg, "signal=%d\n", sig);
  if (write(1, msg, n) < 0) {}
  // pid 1 of a pid namespace cannot be killed by its own signal: exit instead.
  if (getpid() == 1) _exit(128 + sig);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  signal(sig, SIG_DFL);
  sigprocmask(SIG_UNBLOCK, &set, NULL);  // the handler runs with sig blocked
  raise(sig);
  _exit(128 + sig);
}

static void do_sleep(const char *arg) {
  static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], on_signal);
  fflush(stdout);
  double s = strtod(arg, NULL);
  struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static const struct { const char *name; void (*fn)(void); } sections[] = {
    {"ids", sec_ids},       {"caps", sec_caps},       {"ns", sec_ns},     {"pid", sec_pid},
    {"mounts", sec_mounts}, {"cgroup", sec_cgroup},   {"seccomp", sec_seccomp},
    {"rlimits", sec_rlimits}, {"uts", sec_uts},       {"env", sec_env},   {"cwd", sec_cwd},
    {"umask", sec_umask},   {"fds", sec_fds},         {"tty", sec_tty},   {"oom", sec_oom},
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

// Is arg a section or command word (ends a `try`/`sysctl` argument list)?
static int is_word(const char *arg) {
  static const char *cmds[] = {"exit", "sleep", "try", "sysctl"};
  for (size_t i = 0; i < NSECTIONS; i++)
    if (!strcmp(arg, sections[i].name)) return 1;
  for (size_t i = 0; i < 4; i++)
    if (!strcmp(arg, cmds[i])) return 1;
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 1) {
    for (size_t i = 0; i < NSECTIONS; i++) sections[i].fn();
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "exit") || !strcmp(a, "sleep")) {
      if (i + 1 >= argc) {
        fprintf(stderr, "probe: %s needs an argument\n", a);
        return 2;
      }
      if (a[0] == 'e') {
        fflush(stdout);
        return atoi(argv[i + 1]);
      }
      do_sleep(argv[++i]);
    } else if (!strcmp(a, "try") || !strcmp(a, "sysctl")) {
      for (; i + 1 < argc && !is_word(argv[i + 1]); i++) {
        if (a[0] == 's') {
          do_sysctl(argv[i + 1]);
          continue;
        }
        int e = try_action(argv[i + 1]);
        if (e < 0) {
          fprintf(stderr, "probe: unknown try action '%s'\n", argv[i + 1]);
          return 2;
        }
        printf("try.%s=%s\n", argv[i + 1], e ? errname(e) : "ok");
      }
    } else {
      size_t s = 0;
      while (s < NSECTIONS && strcmp(a, sections[s].name) != 0) s++;
      if (s == NSECTIONS) {
        fprintf(stderr, "probe: unknown section '%s'\n", a);
        return 2;
      }
      sections[s].fn();
    }
  }
  return 0;
}
