// For a forked child just before execve.
#pragma once

#include <signal.h>

namespace berth {

// Every signal back to its default disposition and none blocked: ignored
// signals survive execve, and a daemon's own settings (SIGPIPE ignored,
// SIGTERM blocked for signalfd or sigwait) must not reach the process it
// starts, nor through it the container. Async-signal-safe.
inline void ResetSignalsForExec() {
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace berth
