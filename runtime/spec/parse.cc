// config.json -> Spec. Type errors name the JSON path and the offending value;
// semantic checks live in validate.cc.
#include <sched.h>
#include <sys/resource.h>

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "runtime/spec/spec.h"

namespace berth::runtime {
namespace {

using nlohmann::json;

// Thrown inside this file only; ParseSpec turns it into a status.
struct FieldError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string Show(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

[[noreturn]] void Bad(const std::string& path, const char* expected, const json& v) {
  throw FieldError(absl::StrCat(path, ": expected ", expected, ", got ", Show(v)));
}

// A view of one JSON value with its path ("process.user.uid").
class Node {
 public:
  Node(const json& v, std::string path) : v_(v), path_(std::move(path)) {}

  const json& value() const { return v_; }
  const std::string& path() const { return path_; }
  bool is_null() const { return v_.is_null(); }

  Node operator[](const char* key) const {
    static const json kNull;
    if (v_.is_null()) return Node(kNull, path_.empty() ? key : absl::StrCat(path_, ".", key));
    if (!v_.is_object()) Bad(path_, "an object", v_);
    auto it = v_.find(key);
    std::string p = path_.empty() ? key : absl::StrCat(path_, ".", key);
    return Node(it == v_.end() ? kNull : *it, p);
  }
  bool has(const char* key) const {
    return v_.is_object() && v_.contains(key) && !v_[key].is_null();
  }

  std::string str(const std::string& def = "") const {
    if (v_.is_null()) return def;
    if (!v_.is_string()) Bad(path_, "a string", v_);
    return v_.get<std::string>();
  }
  bool boolean(bool def = false) const {
    if (v_.is_null()) return def;
    if (!v_.is_boolean()) Bad(path_, "a boolean", v_);
    return v_.get<bool>();
  }
  int64_t i64(int64_t def = 0) const {
    if (v_.is_null()) return def;
    if (!v_.is_number_integer()) Bad(path_, "an integer", v_);
    return v_.get<int64_t>();
  }
  uint64_t u64(uint64_t def = 0) const {
    if (v_.is_null()) return def;
    if (!v_.is_number_unsigned()) Bad(path_, "an unsigned integer", v_);
    return v_.get<uint64_t>();
  }
  uint32_t u32(uint32_t def = 0) const {
    uint64_t v = u64(def);
    if (v > UINT32_MAX) Bad(path_, "a 32-bit unsigned integer", v_);
    return static_cast<uint32_t>(v);
  }
  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    for (const Node& n : items()) out.push_back(n.str());
    return out;
  }
  std::vector<Node> items() const {
    std::vector<Node> out;
    if (v_.is_null()) return out;
    if (!v_.is_array()) Bad(path_, "an array", v_);
    for (size_t i = 0; i < v_.size(); ++i)
      out.emplace_back(v_[i], absl::StrCat(path_, "[", i, "]"));
    return out;
  }
  std::map<std::string, std::string> string_map() const {
    std::map<std::string, std::string> out;
    if (v_.is_null()) return out;
    if (!v_.is_object()) Bad(path_, "an object", v_);
    for (auto& [k, v] : v_.items()) out[k] = Node(v, absl::StrCat(path_, ".", k)).str();
    return out;
  }

 private:
  const json& v_;
  std::string path_;
};

User ParseUser(const Node& n) {
  User u;
  u.uid = n["uid"].u32();
  u.gid = n["gid"].u32();
  if (n.has("umask")) u.umask = n["umask"].u32();
  for (const Node& g : n["additionalGids"].items()) u.additional_gids.push_back(g.u32());
  return u;
}

Process ParseProcessNode(const Node& n) {
  if (!n.value().is_object()) Bad(n.path(), "an object", n.value());
  Process p;
  p.terminal = n["terminal"].boolean();
  if (n.has("consoleSize")) {
    p.console_size = ConsoleSize{n["consoleSize"]["height"].u32(), n["consoleSize"]["width"].u32()};
  }
  if (n.has("user")) p.user = ParseUser(n["user"]);
  p.args = n["args"].strings();
  p.env = n["env"].strings();
  p.cwd = n["cwd"].str("");
  if (n.has("capabilities")) {
    Node c = n["capabilities"];
    p.capabilities =
        Capabilities{c["bounding"].strings(), c["effective"].strings(), c["inheritable"].strings(),
                     c["permitted"].strings(), c["ambient"].strings()};
  }
  for (const Node& r : n["rlimits"].items()) {
    Rlimit rl;
    rl.type = r["type"].str();
    rl.resource = RlimitFromName(rl.type);
    if (rl.resource < 0)
      throw FieldError(
          absl::StrCat(r["type"].path(), ": unknown rlimit ", Show(r["type"].value())));
    rl.soft = r["soft"].u64();
    rl.hard = r["hard"].u64();
    p.rlimits.push_back(rl);
  }
  p.no_new_privileges = n["noNewPrivileges"].boolean();
  if (n.has("oomScoreAdj")) p.oom_score_adj = static_cast<int>(n["oomScoreAdj"].i64());
  p.apparmor_profile = n["apparmorProfile"].str();
  p.selinux_label = n["selinuxLabel"].str();
  return p;
}

Hook ParseHook(const Node& n) {
  Hook h;
  h.path = n["path"].str();
  h.args = n["args"].strings();
  h.env = n["env"].strings();
  if (n.has("timeout")) h.timeout = static_cast<int>(n["timeout"].i64());
  return h;
}

std::vector<Hook> ParseHookList(const Node& n) {
  std::vector<Hook> out;
  for (const Node& h : n.items()) out.push_back(ParseHook(h));
  return out;
}

std::vector<IdMapping> ParseIdMappings(const Node& n) {
  std::vector<IdMapping> out;
  for (const Node& m : n.items()) {
    out.push_back({m["containerID"].u32(), m["hostID"].u32(), m["size"].u32()});
  }
  return out;
}

Linux ParseLinux(const Node& n) {
  Linux l;
  for (const Node& ns : n["namespaces"].items()) {
    std::string type = ns["type"].str();
    auto t = NsTypeFromName(type);
    if (!t)
      throw FieldError(
          absl::StrCat(ns["type"].path(), ": unknown namespace type ", Show(ns["type"].value())));
    l.namespaces.push_back({*t, ns["path"].str()});
  }
  l.uid_mappings = ParseIdMappings(n["uidMappings"]);
  l.gid_mappings = ParseIdMappings(n["gidMappings"]);
  l.sysctl = n["sysctl"].string_map();
  l.cgroups_path = n["cgroupsPath"].str();
  l.resources = n["resources"].value();
  for (const Node& d : n["devices"].items()) {
    Device dev;
    dev.path = d["path"].str();
    std::string type = d["type"].str();
    if (type.size() != 1 || std::string("cbup").find(type[0]) == std::string::npos) {
      throw FieldError(absl::StrCat(d["type"].path(), ": unknown device type ",
                                    Show(d["type"].value()), " (want c, b, u or p)"));
    }
    dev.type = type[0];
    dev.major = d["major"].i64();
    dev.minor = d["minor"].i64();
    if (d.has("fileMode")) dev.file_mode = d["fileMode"].u32();
    if (d.has("uid")) dev.uid = d["uid"].u32();
    if (d.has("gid")) dev.gid = d["gid"].u32();
    l.devices.push_back(dev);
  }
  l.masked_paths = n["maskedPaths"].strings();
  l.readonly_paths = n["readonlyPaths"].strings();
  l.rootfs_propagation = n["rootfsPropagation"].str();
  l.mount_label = n["mountLabel"].str();
  l.seccomp = n["seccomp"].value();
  if (n.has("timeOffsets")) {
    for (auto& [k, v] : n["timeOffsets"].value().items()) {
      Node off(v, absl::StrCat(n.path(), ".timeOffsets.", k));
      l.time_offsets_secs[k] = off["secs"].i64();
    }
  }
  return l;
}

Spec ParseSpecNode(const Node& n) {
  if (!n.value().is_object()) Bad("config.json", "a JSON object", n.value());
  Spec s;
  s.oci_version = n["ociVersion"].str();
  if (n.has("process")) s.process = ParseProcessNode(n["process"]);
  s.root.path = n["root"]["path"].str();
  s.root.readonly = n["root"]["readonly"].boolean();
  s.hostname = n["hostname"].str();
  s.domainname = n["domainname"].str();
  for (const Node& m : n["mounts"].items()) {
    s.mounts.push_back(
        {m["destination"].str(), m["type"].str(), m["source"].str(), m["options"].strings()});
  }
  Node h = n["hooks"];
  s.hooks.prestart = ParseHookList(h["prestart"]);
  s.hooks.create_runtime = ParseHookList(h["createRuntime"]);
  s.hooks.create_container = ParseHookList(h["createContainer"]);
  s.hooks.start_container = ParseHookList(h["startContainer"]);
  s.hooks.poststart = ParseHookList(h["poststart"]);
  s.hooks.poststop = ParseHookList(h["poststop"]);
  s.annotations = n["annotations"].string_map();
  if (n.has("linux")) s.linux = ParseLinux(n["linux"]);
  return s;
}

template <typename T, typename F>
absl::StatusOr<T> ParseWith(const std::string& text, F&& f) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    // Re-parse with exceptions for the byte offset of the error.
    try {
      json again = json::parse(text);
      (void)again;
    } catch (const json::parse_error& e) {
      return absl::InvalidArgumentError(absl::StrCat("invalid JSON at byte ", e.byte));
    }
    return absl::InvalidArgumentError("invalid JSON");
  }
  try {
    return f(Node(doc, ""));
  } catch (const FieldError& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

}  // namespace

const Namespace* Spec::FindNamespace(NsType type) const {
  for (const auto& ns : linux.namespaces) {
    if (ns.type == type) return &ns;
  }
  return nullptr;
}

struct NsInfo {
  NsType type;
  const char* name;
  const char* proc;
  int flag;
};
static constexpr NsInfo kNsTable[] = {
    {NsType::kPid, "pid", "pid", CLONE_NEWPID},
    {NsType::kNetwork, "network", "net", CLONE_NEWNET},
    {NsType::kMount, "mount", "mnt", CLONE_NEWNS},
    {NsType::kIpc, "ipc", "ipc", CLONE_NEWIPC},
    {NsType::kUts, "uts", "uts", CLONE_NEWUTS},
    {NsType::kUser, "user", "user", CLONE_NEWUSER},
    {NsType::kCgroup, "cgroup", "cgroup", CLONE_NEWCGROUP},
    {NsType::kTime, "time", "time", 0x00000080 /* CLONE_NEWTIME */},
};

const char* NsTypeName(NsType type) { return kNsTable[static_cast<int>(type)].name; }
const char* NsProcName(NsType type) { return kNsTable[static_cast<int>(type)].proc; }
int NsCloneFlag(NsType type) { return kNsTable[static_cast<int>(type)].flag; }
std::optional<NsType> NsTypeFromName(const std::string& name) {
  for (const auto& e : kNsTable) {
    if (name == e.name) return e.type;
  }
  return std::nullopt;
}

int RlimitFromName(const std::string& name) {
  static const std::map<std::string, int> kTable = {
      {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK},
  };
  auto it = kTable.find(name);
  return it == kTable.end() ? -1 : it->second;
}

absl::StatusOr<Spec> ParseSpec(const std::string& json_text) {
  return ParseWith<Spec>(json_text, [](const Node& n) { return ParseSpecNode(n); });
}

absl::StatusOr<Process> ParseProcess(const std::string& json_text) {
  return ParseWith<Process>(
      json_text, [](const Node& n) { return ParseProcessNode(Node(n.value(), "process")); });
}

nlohmann::json ProcessToJson(const Process& p) {
  json j;
  j["terminal"] = p.terminal;
  j["user"] = {{"uid", p.user.uid}, {"gid", p.user.gid}};
  if (!p.user.additional_gids.empty()) j["user"]["additionalGids"] = p.user.additional_gids;
  if (p.user.umask) j["user"]["umask"] = *p.user.umask;
  j["args"] = p.args;
  j["env"] = p.env;
  j["cwd"] = p.cwd;
  if (p.capabilities) {
    j["capabilities"] = {{"bounding", p.capabilities->bounding},
                         {"effective", p.capabilities->effective},
                         {"inheritable", p.capabilities->inheritable},
                         {"permitted", p.capabilities->permitted},
                         {"ambient", p.capabilities->ambient}};
  }
  j["noNewPrivileges"] = p.no_new_privileges;
  return j;
}

}  // namespace berth::runtime
