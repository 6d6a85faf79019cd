#include "shim/runtime_cli.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

namespace berth::shim {
namespace {

TEST_CASE("the runtime's last error line is the one reported") {
  std::string log = R"({"level":"error","msg":"first","time":"t"})"
                    "\n"
                    R"({"level":"warning","msg":"not this","time":"t"})"
                    "\n"
                    "not json at all\n"
                    R"({"level":"error","msg":"container \"x\" does not exist","time":"t"})"
                    "\n"
                    R"({"level":"info","msg":"later info","time":"t"})"
                    "\n";
  CHECK(LastRuntimeError(log) == "container \"x\" does not exist");
  CHECK(LastRuntimeError("").empty());
}

TEST_CASE("a runtime that fails without a log reports its stderr") {
  RuntimeCli rt(RuntimeOptions{"/bin/sh", "", ""});
  // `sh start ID` runs the script "start": it does not exist.
  auto s = rt.Start("no-such-container");
  CHECK_FALSE(s.ok());
  CHECK(std::string(s.message()).find("runtime start: ") == 0);
  CHECK(std::string(s.message()).find("start") != std::string::npos);
}

TEST_CASE("a runtime's JSON log error wins over its exit status") {
  char dir[] = "/tmp/berth-shim-test.XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string script = std::string(dir) + "/rt";
  FILE* f = fopen(script.c_str(), "w");
  REQUIRE(f != nullptr);
  // --log L --log-format json kill ID 9
  fputs("#!/bin/sh\necho '{\"level\":\"error\",\"msg\":\"no such process\"}' >>\"$2\"\nexit 1\n",
        f);
  fclose(f);
  chmod(script.c_str(), 0755);
  RuntimeCli rt(RuntimeOptions{script, "", std::string(dir) + "/log.json"});
  auto s = rt.Kill("c", 9, false);
  CHECK(s.message() == "runtime kill: no such process");
  // A second failure reports only what the second call wrote.
  auto again = rt.Kill("c", 9, true);
  CHECK(again.message() == "runtime kill: no such process");
  REQUIRE(std::system((std::string("rm -rf ") + dir).c_str()) == 0);
}

}  // namespace
}  // namespace berth::shim
