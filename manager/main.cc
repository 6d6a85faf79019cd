// berth-manager: containerd's job, behind gRPC (manager/server.h).
#include "manager/server.h"

int main(int argc, char** argv) {
  return berth::manager::ServerMain(std::vector<std::string>(argv + 1, argv + argc));
}
