#include "shim/json_log.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/file_util.h"

namespace berth::shim {
namespace {

struct TempDir {
  TempDir() {
    char d[] = "/tmp/berth-jsonlog.XXXXXX";
    path = mkdtemp(d);
  }
  ~TempDir() { (void)RemoveAll(path); }
  std::string path;
};

std::vector<nlohmann::json> Entries(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(ReadFile(path).value());
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

constexpr struct timespec kT = {1767323045, 123456000};

TEST_CASE("log time is RFC3339 with trimmed nanoseconds, as Go's RFC3339Nano") {
  CHECK(FormatLogTime(kT) == "2026-01-02T03:04:05.123456Z");
  CHECK(FormatLogTime({1767323045, 1}) == "2026-01-02T03:04:05.000000001Z");
  CHECK(FormatLogTime({1767323045, 0}) == "2026-01-02T03:04:05Z");
}

TEST_CASE("strings are escaped as Docker's json-file does") {
  std::string out;
  AppendJsonString("a\"b\\c\n\t<>&\x01\xff\xe2\x80\xa8\xc3\xa9", &out);
  CHECK(out == R"("a\"b\\c\n\t\u003c\u003e\u0026\u0001\ufffd\u2028é")");
}

TEST_CASE("one entry per line; partial lines wait for their newline") {
  TempDir dir;
  std::string path = dir.path + "/c.log";
  auto w = JsonLogWriter::Open({path}).value();
  REQUIRE(w->Write(LogStream::kStdout, "hello\nwor", kT).ok());
  REQUIRE(w->Write(LogStream::kStderr, "oops\n", kT).ok());
  REQUIRE(w->Write(LogStream::kStdout, "ld\ntail", kT).ok());
  REQUIRE(w->Close(LogStream::kStdout, kT).ok());
  std::string raw = ReadFile(path).value();
  CHECK(raw.substr(0, raw.find('\n')) ==
        R"({"log":"hello\n","stream":"stdout","time":"2026-01-02T03:04:05.123456Z"})");
  auto e = Entries(path);
  REQUIRE(e.size() == 4);
  CHECK(e[1]["log"] == "oops\n");
  CHECK(e[1]["stream"] == "stderr");
  CHECK(e[2]["log"] == "world\n");
  CHECK(e[3]["log"] == "tail");  // partial: no newline
}

TEST_CASE("a line over 16 KiB is split into 16 KiB partial entries, as Docker does") {
  TempDir dir;
  std::string path = dir.path + "/c.log";
  auto w = JsonLogWriter::Open({path}).value();
  std::string line(40000, 'x');
  REQUIRE(w->Write(LogStream::kStdout, line.substr(0, 100), kT).ok());
  REQUIRE(w->Write(LogStream::kStdout, line.substr(100) + "\nnext\n", kT).ok());
  auto e = Entries(path);
  REQUIRE(e.size() == 4);
  CHECK(e[0]["log"].get<std::string>() == std::string(16384, 'x'));
  CHECK(e[1]["log"].get<std::string>() == std::string(16384, 'x'));
  CHECK(e[2]["log"].get<std::string>() == std::string(40000 - 2 * 16384, 'x') + "\n");
  CHECK(e[3]["log"] == "next\n");
  // Exactly 16 KiB plus a newline: one full entry, then the newline alone.
  REQUIRE(w->Write(LogStream::kStderr, std::string(16384, 'y') + "\n", kT).ok());
  e = Entries(path);
  REQUIRE(e.size() == 6);
  CHECK(e[4]["log"].get<std::string>().size() == 16384);
  CHECK(e[5]["log"] == "\n");
}

TEST_CASE("max-size/max-file rotation keeps max-file files under max-size") {
  TempDir dir;
  std::string path = dir.path + "/c.log";
  auto w = JsonLogWriter::Open({path, 300, 3}).value();
  for (int i = 0; i < 20; ++i) {
    REQUIRE(w->Write(LogStream::kStdout, "line " + std::to_string(i) + "\n", kT).ok());
  }
  CHECK(PathExists(path));
  CHECK(PathExists(path + ".1"));
  CHECK(PathExists(path + ".2"));
  CHECK_FALSE(PathExists(path + ".3"));
  for (const auto& p : {path, path + ".1", path + ".2"}) CHECK(ReadFile(p)->size() <= 300);
  auto last = Entries(path);
  REQUIRE_FALSE(last.empty());
  CHECK(last.back()["log"] == "line 19\n");
  // The newest rotated file continues where .2 ends and ends where the current starts.
  auto prev = Entries(path + ".1");
  int prev_last = std::stoi(prev.back()["log"].get<std::string>().substr(5));
  int cur_first = std::stoi(last.front()["log"].get<std::string>().substr(5));
  CHECK(cur_first == prev_last + 1);

  auto one = JsonLogWriter::Open({dir.path + "/one.log", 200, 1}).value();
  for (int i = 0; i < 10; ++i) REQUIRE(one->Write(LogStream::kStdout, "0123456789\n", kT).ok());
  CHECK_FALSE(PathExists(dir.path + "/one.log.1"));
  CHECK(ReadFile(dir.path + "/one.log")->size() <= 200);
}

}  // namespace
}  // namespace berth::shim
