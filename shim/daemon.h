// berth-shim's command line and start-up:
//
//   starter (manager, test, shell)      child            shim (grandchild)
//   parse flags, mkdir state dir
//   pipe(ready); fork -----------------> setsid
//   read(ready) ...                      fork ----------> PR_SET_CHILD_SUBREAPER
//                                        exit            block SIGCHLD/SIGTERM
//                                                        listen(socket), write shim.pid
//   <---------------------------------------------------- write(ready, "ok" | error)
//   print the socket path, exit 0                         epoll loop until Shutdown
//
// The shim is re-parented to init (or the nearest subreaper), in its own
// session, stdin/stdout on /dev/null and stderr appended to <state-dir>/shim.log.
#pragma once

#include <string>
#include <vector>

namespace berth::shim {

int Main(const std::vector<std::string>& args);

}  // namespace berth::shim
