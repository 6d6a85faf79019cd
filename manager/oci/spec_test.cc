#include "manager/oci/spec.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using berth::manager::SpecFromImage;
using berth::manager::SpecOptions;
using nlohmann::json;

namespace {

constexpr char kBusybox[] =
    R"({"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin:/usr/bin","A=1"],)"
    R"("Cmd":["sh"],"WorkingDir":"/srv"},"rootfs":{"type":"layers","diff_ids":[]}})";

json MustSpec(const std::string& config, const SpecOptions& opts = {}) {
  auto s = SpecFromImage(config, opts);
  INFO(s.status().message());
  REQUIRE(s.ok());
  return json::parse(*s);
}

std::string Error(const std::string& config, const SpecOptions& opts = {}) {
  auto s = SpecFromImage(config, opts);
  REQUIRE(!s.ok());
  CHECK(s.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

}  // namespace

TEST_CASE("spec from image: Cmd, Env, WorkingDir, root") {
  json s = MustSpec(kBusybox);
  CHECK(s["process"]["args"] == json{"sh"});
  CHECK(s["process"]["env"] == json{"PATH=/bin:/usr/bin", "A=1"});
  CHECK(s["process"]["cwd"] == "/srv");
  CHECK(s["process"]["terminal"] == false);
  CHECK(s["process"]["user"] == json{{"uid", 0}, {"gid", 0}});
  CHECK(s["root"] == json{{"path", "rootfs"}, {"readonly", false}});
  CHECK(s["ociVersion"].is_string());
  CHECK(s["linux"]["namespaces"].size() >= 4);
  CHECK(s["mounts"][0]["destination"] == "/proc");
}

TEST_CASE("spec from image: Entrypoint plus args override Cmd") {
  std::string config = R"({"config":{"Entrypoint":["/bin/probe","--x"],"Cmd":["default"]}})";
  CHECK(MustSpec(config)["process"]["args"] == json{"/bin/probe", "--x", "default"});
  SpecOptions opts;
  opts.args = {"echo", "hi"};
  CHECK(MustSpec(config, opts)["process"]["args"] == json{"/bin/probe", "--x", "echo", "hi"});
  CHECK(MustSpec(kBusybox, opts)["process"]["args"] == json{"echo", "hi"});
}

TEST_CASE("spec from image: env defaults and overrides, TERM with a tty") {
  SpecOptions opts;
  opts.env = {"A=2", "B=3"};
  opts.tty = true;
  json s = MustSpec(kBusybox, opts);
  CHECK(s["process"]["env"] == json{"PATH=/bin:/usr/bin", "A=2", "B=3", "TERM=xterm"});
  CHECK(s["process"]["terminal"] == true);
  // No Env in the image: the default PATH.
  json bare = MustSpec(R"({"config":{"Cmd":["true"]}})");
  CHECK(bare["process"]["env"] ==
        json{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
  CHECK(bare["process"]["cwd"] == "/");
}

TEST_CASE("spec from image: options for cwd, hostname, user") {
  SpecOptions opts;
  opts.cwd = "/tmp";
  opts.hostname = "c1";
  opts.user = "1000:1001";
  json s = MustSpec(kBusybox, opts);
  CHECK(s["process"]["cwd"] == "/tmp");
  CHECK(s["hostname"] == "c1");
  CHECK(s["process"]["user"] == json{{"uid", 1000}, {"gid", 1001}});
  json u = MustSpec(R"({"config":{"Cmd":["sh"],"User":"65534"}})");
  CHECK(u["process"]["user"] == json{{"uid", 65534}, {"gid", 0}});
}

TEST_CASE("spec from image: capabilities are containerd's default set") {
  json caps = MustSpec(kBusybox)["process"]["capabilities"];
  CHECK(caps["bounding"].size() == 14);
  CHECK(caps["effective"] == caps["bounding"]);
  CHECK(!caps.contains("ambient"));
}

TEST_CASE("spec from image: errors") {
  CHECK(Error("not json").find("not a JSON object") != std::string::npos);
  CHECK(Error(R"({"config":{}})").find("no command") != std::string::npos);
  CHECK(Error(R"({"config":{"Cmd":["sh"],"User":"nobody"}})").find("user \"nobody\"") !=
        std::string::npos);
  SpecOptions opts;
  opts.user = "1:x";
  CHECK(Error(kBusybox, opts).find("numeric") != std::string::npos);
  CHECK(Error(R"({"config":"x"})").find("not an object") != std::string::npos);
}

TEST_CASE("spec from image: no config object at all") {
  SpecOptions opts;
  opts.args = {"true"};
  CHECK(MustSpec(R"({"architecture":"amd64"})", opts)["process"]["args"] == json{"true"});
}
