// berth-shimctl: the shim API from a shell, one method per subcommand.
//
//   berth-shimctl --socket S connect|create [--tty] [--stdin]|start [--exec ID]
//     |state [--exec ID]|pids|kill [--exec ID] [--all] SIGNAL
//     |exec --exec ID --process FILE [--tty] [--stdin]|resize [--exec ID] W H
//     |close-io [--exec ID]|wait [--exec ID]|pause|resume|update FILE|-
//     |stats|delete [--exec ID]|shutdown [--now]|events [N]|attach [--exec ID]
//
// Replies are printed as one JSON object per line; wait prints the exit
// status. An error prints "berth-shimctl: <message>" and exits 1.
#pragma once

#include <string>
#include <vector>

namespace berth::shim {

int ShimctlMain(const std::vector<std::string>& args);

}  // namespace berth::shim
