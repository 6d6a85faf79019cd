#include "manager/oci/spec.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "runtime/spec/default_spec.h"

namespace berth::manager {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kDefaultPath[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// containerd's default set (oci/spec.go defaultUnixCaps), which docker uses too.
const char* const kDefaultCaps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE"};

// Sets K=V in env, replacing an earlier entry with the same K.
void SetEnv(std::vector<std::string>& env, const std::string& kv) {
  std::string key = kv.substr(0, kv.find('='));
  for (auto& e : env) {
    if (e.substr(0, e.find('=')) == key) {
      e = kv;
      return;
    }
  }
  env.push_back(kv);
}

absl::StatusOr<std::pair<uint32_t, uint32_t>> ParseUser(const std::string& user) {
  std::vector<std::string> parts = absl::StrSplit(user, absl::MaxSplits(':', 1));
  uint32_t uid = 0, gid = 0;
  if (!absl::SimpleAtoi(parts[0], &uid) ||
      (parts.size() == 2 && !absl::SimpleAtoi(parts[1], &gid))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "user \"", user,
        "\": only a numeric uid[:gid] is supported (names are resolved by the engine)"));
  }
  return std::make_pair(uid, gid);
}

std::vector<std::string> Strings(const Json& config, const char* key) {
  std::vector<std::string> out;
  auto it = config.find(key);
  if (it == config.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::string String(const Json& config, const char* key) {
  auto it = config.find(key);
  return it != config.end() && it->is_string() ? it->get<std::string>() : "";
}

// The "config" object of an image config (empty when the image has none).
absl::StatusOr<Json> ImageConfig(const std::string& image_config_json) {
  Json image = Json::parse(image_config_json, nullptr, /*allow_exceptions=*/false);
  if (image.is_discarded() || !image.is_object()) {
    return absl::InvalidArgumentError("image config is not a JSON object");
  }
  auto it = image.find("config");
  if (it == image.end() || it->is_null()) return Json::object();
  if (!it->is_object())
    return absl::InvalidArgumentError("image config: \"config\" is not an object");
  return *it;
}

absl::Status ApplyProcess(const Json& config, const SpecOptions& opts, Json& process) {
  std::vector<std::string> args = Strings(config, "Entrypoint");
  std::vector<std::string> cmd = opts.args.empty() ? Strings(config, "Cmd") : opts.args;
  args.insert(args.end(), cmd.begin(), cmd.end());
  if (args.empty()) {
    return absl::InvalidArgumentError("no command specified: the image has no Entrypoint or Cmd");
  }
  process["args"] = args;

  std::vector<std::string> env = {kDefaultPath};
  for (const auto& kv : Strings(config, "Env")) SetEnv(env, kv);
  for (const auto& kv : opts.env) SetEnv(env, kv);
  if (opts.tty) {
    bool has_term = false;
    for (const auto& e : env) has_term |= e.rfind("TERM=", 0) == 0;
    if (!has_term) env.push_back("TERM=xterm");
  }
  process["env"] = env;
  process["terminal"] = opts.tty;

  std::string cwd = !opts.cwd.empty() ? opts.cwd : String(config, "WorkingDir");
  process["cwd"] = cwd.empty() ? "/" : cwd;

  std::string user = !opts.user.empty() ? opts.user : String(config, "User");
  if (!user.empty()) {
    ASSIGN_OR_RETURN(auto ids, ParseUser(user));
    process["user"] = Json{{"uid", ids.first}, {"gid", ids.second}};
  }
  std::vector<std::string> caps(std::begin(kDefaultCaps), std::end(kDefaultCaps));
  process["capabilities"] = Json{{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> SpecFromImage(const std::string& image_config_json,
                                          const SpecOptions& opts) {
  ASSIGN_OR_RETURN(Json config, ImageConfig(image_config_json));
  Json spec = Json::parse(runtime::DefaultSpecJson(/*rootless=*/false, 0, 0));
  RETURN_IF_ERROR(ApplyProcess(config, opts, spec["process"]));
  if (!opts.hostname.empty()) spec["hostname"] = opts.hostname;
  spec["root"] = Json{{"path", "rootfs"}, {"readonly", false}};
  return spec.dump();
}

}  // namespace berth::manager
