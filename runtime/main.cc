// berth-runtime: a runc-compatible OCI runtime. Everything is in the library.
#include "runtime/cli/cli.h"

int main(int argc, char** argv) {
  return berth::runtime::cli::Main(berth::runtime::cli::Args(argv + 1, argv + argc));
}
