// berth-shim: one supervisor per container (shim/daemon.h). All in the library.
#include "shim/daemon.h"

int main(int argc, char** argv) {
  return berth::shim::Main(std::vector<std::string>(argv + 1, argv + argc));
}
