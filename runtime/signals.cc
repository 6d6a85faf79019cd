#include "runtime/signals.h"

#include <signal.h>

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace berth::runtime {

absl::StatusOr<int> ParseSignal(const std::string& text) {
  static const std::map<std::string, int> kNames = {
      {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},       {"CHLD", SIGCHLD},
      {"CLD", SIGCHLD},  {"CONT", SIGCONT}, {"FPE", SIGFPE},       {"HUP", SIGHUP},
      {"ILL", SIGILL},   {"INT", SIGINT},   {"IO", SIGIO},         {"IOT", SIGIOT},
      {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},     {"PROF", SIGPROF},
      {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},     {"STKFLT", SIGSTKFLT},
      {"STOP", SIGSTOP}, {"SYS", SIGSYS},   {"TERM", SIGTERM},     {"TRAP", SIGTRAP},
      {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
      {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
      {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
  };
  int num;
  if (absl::SimpleAtoi(text, &num)) {
    if (num >= 0 && num <= SIGRTMAX) return num;  // 0: existence check, as kill(2)
    return absl::InvalidArgumentError(absl::StrCat("unknown signal \"", text, "\""));
  }
  std::string name = absl::AsciiStrToUpper(text);
  if (absl::StartsWith(name, "SIG")) name = name.substr(3);
  if (auto it = kNames.find(name); it != kNames.end()) return it->second;
  // RTMIN, RTMIN+n, RTMAX-n
  if (absl::StartsWith(name, "RTMIN") || absl::StartsWith(name, "RTMAX")) {
    int base = absl::StartsWith(name, "RTMIN") ? SIGRTMIN : SIGRTMAX;
    std::string rest = name.substr(5);
    int off = 0;
    if (rest.empty() ||
        ((rest[0] == '+' || rest[0] == '-') && absl::SimpleAtoi(rest.substr(1), &off))) {
      int sig = base + (rest.empty() ? 0 : rest[0] == '+' ? off : -off);
      if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown signal \"", text, "\""));
}

}  // namespace berth::runtime
