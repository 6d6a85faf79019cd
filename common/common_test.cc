#define CATCH_CONFIG_MAIN
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/status.h"

using namespace berth;

TEST_CASE("flags follow urfave/cli's rules") {
  std::vector<FlagSpec> specs = {
      {{"bundle", "b"}, true}, {{"detach", "d"}, false}, {{"env", "e"}, true}};
  auto f = ParseFlags(specs, {"--bundle", "/x", "-d", "--env=A=1", "-e", "B=2", "id", "-c", "x"});
  REQUIRE(f.ok());
  CHECK(f->GetOr("bundle", "") == "/x");
  CHECK(f->Has("detach"));
  CHECK(f->GetAll("env") == std::vector<std::string>{"A=1", "B=2"});
  // Parsing stops at the first positional: "-c" belongs to the command.
  CHECK(f->positional() == std::vector<std::string>{"id", "-c", "x"});

  auto bad = ParseFlags(specs, {"--nope"});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "flag provided but not defined: -nope");
  auto missing = ParseFlags(specs, {"--bundle"});
  CHECK(missing.status().message() == "flag needs an argument: -bundle");
  auto falsy = ParseFlags(specs, {"--detach=false", "x"});
  CHECK_FALSE(falsy->Has("detach"));
}

TEST_CASE("errno statuses name the operation, path and errno") {
  absl::Status st = ErrnoStatus(EPERM, "mount proc at", "/rootfs/proc");
  CHECK(st.code() == absl::StatusCode::kPermissionDenied);
  CHECK(st.message() == "mount proc at /rootfs/proc: EPERM (Operation not permitted)");
  CHECK(ErrnoStatus(ENOENT, "open", "/x").code() == absl::StatusCode::kNotFound);
  CHECK(Annotate(st, "create container abc").message().substr(0, 33) ==
        "create container abc: mount proc ");
}

TEST_CASE("atomic writes replace the file and leave no temp file") {
  char dir[] = "/tmp/berth-common-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string path = std::string(dir) + "/state.json";
  REQUIRE(WriteFileAtomic(path, "one").ok());
  REQUIRE(WriteFileAtomic(path, "two").ok());
  CHECK(*ReadFile(path) == "two");
  CHECK_FALSE(PathExists(path + ".tmp"));
  CHECK(ReadFile(std::string(dir) + "/missing").status().code() == absl::StatusCode::kNotFound);
  REQUIRE(RemoveAll(dir).ok());
}

TEST_CASE("JSON quoting escapes control characters") {
  CHECK(JsonQuote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
}
