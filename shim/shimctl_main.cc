// berth-shimctl: a command-line client of berth-shim (shim/shimctl.h).
#include "shim/shimctl.h"

int main(int argc, char** argv) {
  return berth::shim::ShimctlMain(std::vector<std::string>(argv + 1, argv + argc));
}
