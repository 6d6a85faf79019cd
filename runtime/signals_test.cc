#include "runtime/signals.h"

#include <signal.h>

#include <catch2/catch.hpp>

using berth::runtime::ParseSignal;

TEST_CASE("signals by name with or without SIG, and by number") {
  CHECK(*ParseSignal("KILL") == SIGKILL);
  CHECK(*ParseSignal("SIGKILL") == SIGKILL);
  CHECK(*ParseSignal("sigterm") == SIGTERM);
  CHECK(*ParseSignal("9") == 9);
  CHECK(*ParseSignal("USR1") == SIGUSR1);
  CHECK(*ParseSignal("RTMIN+2") == SIGRTMIN + 2);
  CHECK(ParseSignal("FOO").status().message() == "unknown signal \"FOO\"");
  CHECK(*ParseSignal("0") == 0);
  CHECK_FALSE(ParseSignal("99").ok());
  CHECK_FALSE(ParseSignal("").ok());
}
