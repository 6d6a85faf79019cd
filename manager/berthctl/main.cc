// berthctl: berth-manager's client, shaped like containerd's ctr
// (manager/berthctl/berthctl.cc).
#include "manager/berthctl/commands.h"

int main(int argc, char** argv) {
  return berth::berthctl::BerthctlMain(std::vector<std::string>(argv + 1, argv + argc));
}
