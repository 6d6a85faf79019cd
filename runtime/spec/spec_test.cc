#include "runtime/spec/spec.h"

#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "runtime/spec/default_spec.h"
#include "runtime/spec/validate.h"

using namespace berth::runtime;

namespace {

// The default spec with one field replaced by a jq-like path edit.
Spec MustParse(const std::string& text) {
  auto s = ParseSpec(text);
  INFO(s.status().message());
  REQUIRE(s.ok());
  return *s;
}

std::string WithField(const std::string& pointer, const nlohmann::json& value) {
  auto j = nlohmann::json::parse(DefaultSpecJson(false, 0, 0));
  j[nlohmann::json::json_pointer(pointer)] = value;
  return j.dump();
}

std::string ParseError(const std::string& text) {
  auto s = ParseSpec(text);
  REQUIRE_FALSE(s.ok());
  return std::string(s.status().message());
}

std::string ValidateError(const std::string& text) {
  Spec s = MustParse(text);
  s.root.path = "/";  // an existing directory: only the field under test fails
  absl::Status st = ValidateSpec(s, {"/", true});
  REQUIRE_FALSE(st.ok());
  return std::string(st.message());
}

}  // namespace

TEST_CASE("the default spec parses into the values runc's has") {
  Spec s = MustParse(DefaultSpecJson(false, 0, 0));
  CHECK(s.oci_version == "1.0.2-dev");
  REQUIRE(s.process);
  CHECK(s.process->terminal);
  CHECK(s.process->args == std::vector<std::string>{"sh"});
  CHECK(s.process->capabilities->bounding.size() == 3);
  CHECK(s.process->rlimits.at(0).resource == RLIMIT_NOFILE);
  CHECK(s.process->rlimits.at(0).hard == 1024);
  CHECK(s.root.path == "rootfs");
  CHECK(s.root.readonly);
  CHECK(s.hostname == "runc");
  CHECK(s.mounts.size() == 7);
  CHECK(s.mounts[2].options.back() == "gid=5");
  CHECK(s.linux.namespaces.size() == 5);
  CHECK(s.HasNamespace(NsType::kNetwork));
  CHECK_FALSE(s.HasNamespace(NsType::kUser));
  CHECK(s.linux.masked_paths.size() == 10);
  CHECK(s.linux.readonly_paths.back() == "/proc/sysrq-trigger");
}

TEST_CASE("the rootless spec has a user namespace mapped to the caller") {
  Spec s = MustParse(DefaultSpecJson(true, 1000, 1001));
  CHECK(s.HasNamespace(NsType::kUser));
  CHECK_FALSE(s.HasNamespace(NsType::kNetwork));
  CHECK(s.linux.uid_mappings.at(0).host_id == 1000);
  CHECK(s.linux.gid_mappings.at(0).host_id == 1001);
  CHECK(s.mounts[5].type == "none");
}

TEST_CASE("type errors name the field and the value") {
  CHECK(ParseError(WithField("/process/user/uid", "abc")) ==
        "process.user.uid: expected an unsigned integer, got \"abc\"");
  CHECK(ParseError(WithField("/process/args", "sh")) ==
        "process.args: expected an array, got \"sh\"");
  CHECK(ParseError(WithField("/mounts/1/options/0", 7)) ==
        "mounts[1].options[0]: expected a string, got 7");
  CHECK(ParseError(WithField("/linux/namespaces/0/type", "pidd")) ==
        "linux.namespaces[0].type: unknown namespace type \"pidd\"");
  CHECK(ParseError(WithField("/process/rlimits/0/type", "RLIMIT_BOGUS")) ==
        "process.rlimits[0].type: unknown rlimit \"RLIMIT_BOGUS\"");
  CHECK(ParseError("{\"ociVersion\": ").find("invalid JSON at byte") == 0);
  CHECK(ParseError("[]") == "config.json: expected a JSON object, got []");
}

TEST_CASE("validators reject what runc rejects, naming field and value") {
  CHECK(ValidateError(WithField("/ociVersion", "2.0.0")) ==
        "ociVersion: unsupported version \"2.0.0\" (want 1.x)");
  CHECK(ValidateError(WithField("/process/cwd", "tmp")) ==
        "process.cwd: must be an absolute path, got \"tmp\"");
  CHECK(ValidateError(WithField("/process/args", nlohmann::json::array())) ==
        "process.args: must not be empty");
  CHECK(ValidateError(WithField("/process/capabilities/bounding/0", "CAP_BOGUS")) ==
        "process.capabilities.bounding: unknown capability \"CAP_BOGUS\"");
  CHECK(ValidateError(WithField("/linux/namespaces/1/type", "pid")) ==
        "linux.namespaces: duplicate namespace \"pid\"");
  CHECK(ValidateError(WithField("/linux/namespaces/3/type", "cgroup")) ==
        "hostname: unable to set hostname without a private UTS namespace");
  CHECK(ValidateError(WithField("/linux/sysctl", {{"kernel.msgmax", "1"}, {"fs.file-max", "1"}})) ==
        "linux.sysctl: \"fs.file-max\" is not namespaced and cannot be set in a container");
  CHECK(ValidateError(
            WithField("/linux/namespaces/1", {{"type", "network"}, {"path", "/no/such/netns"}})) ==
        "linux.namespaces: network path \"/no/such/netns\" does not exist");
  CHECK(ValidateError(WithField("/mounts/0/destination", "proc")) ==
        "mounts[0].destination: \"proc\" is not an absolute path");
  CHECK(
      ValidateError(WithField("/linux/cgroupsPath", "system.slice:berth:abc")) ==
      "linux.cgroupsPath: \"system.slice:berth:abc\" is a systemd slice:prefix:name path; systemd "
      "cgroups are not supported");
  CHECK(ValidateError(WithField("/hooks", {{"prestart", {{{"path", "rel/hook"}}}}})) ==
        "hooks.prestart: path \"rel/hook\" is not absolute");
}

TEST_CASE("any 1.x ociVersion is accepted, as runc does") {
  for (const char* v : {"1.0.0", "1.1.0", "1.2.0", "1.3.0-rc.1"}) {
    Spec s = MustParse(WithField("/ociVersion", v));
    s.root.path = "/";
    CHECK(ValidateSpec(s, {"/", true}).ok());
  }
}

TEST_CASE("a missing rootfs is named with its path") {
  Spec s = MustParse(DefaultSpecJson(false, 0, 0));
  absl::Status st = ValidateSpec(s, {"/nonexistent-bundle", true});
  CHECK(st.code() == absl::StatusCode::kNotFound);
  CHECK(st.message() == "root.path: rootfs (/nonexistent-bundle/rootfs) does not exist");
}
