#include "manager/archive/descriptor.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/content/digest.h"

namespace berth::manager {

std::string Platform::ToString() const {
  return absl::StrCat(os, "/", architecture, variant.empty() ? "" : "/", variant);
}

namespace media {
bool IsIndex(absl::string_view t) { return t == kOciIndex || t == kDockerManifestList; }
bool IsManifest(absl::string_view t) { return t == kOciManifest || t == kDockerManifest; }
bool IsConfig(absl::string_view t) { return t == kOciConfig || t == kDockerConfig; }
bool IsLayer(absl::string_view t) {
  return t == kOciLayer || t == kOciLayerGzip || t == kOciLayerZstd || t == kDockerLayer ||
         t == kDockerLayerGzip;
}
}  // namespace media

Platform HostPlatform() {
#if defined(__x86_64__)
  return {"linux", "amd64", ""};
#elif defined(__aarch64__)
  return {"linux", "arm64", "v8"};
#elif defined(__arm__)
  return {"linux", "arm", "v7"};
#elif defined(__i386__)
  return {"linux", "386", ""};
#elif defined(__s390x__)
  return {"linux", "s390x", ""};
#elif defined(__powerpc64__)
  return {"linux", "ppc64le", ""};
#elif defined(__riscv)
  return {"linux", "riscv64", ""};
#else
  return {"linux", "unknown", ""};
#endif
}

bool PlatformMatches(const Platform& want, const Platform& have) {
  return want.os == have.os && want.architecture == have.architecture &&
         (want.variant.empty() || want.variant == have.variant);
}

nlohmann::json DescriptorToJson(const Descriptor& d) {
  nlohmann::json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform) {
    j["platform"] = {{"os", d.platform->os}, {"architecture", d.platform->architecture}};
    if (!d.platform->variant.empty()) j["platform"]["variant"] = d.platform->variant;
  }
  return j;
}

absl::StatusOr<Descriptor> DescriptorFromJson(const nlohmann::json& j, absl::string_view where) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": bad descriptor: ", why));
  };
  if (!j.is_object()) return bad("not an object");
  Descriptor d;
  try {
    d.media_type = j.value("mediaType", "");
    d.digest = j.at("digest").get<std::string>();
    d.size = j.at("size").get<int64_t>();
    if (j.contains("annotations")) {
      d.annotations = j["annotations"].get<std::map<std::string, std::string>>();
    }
    if (j.contains("platform")) {
      const auto& p = j["platform"];
      d.platform = Platform{p.value("os", ""), p.value("architecture", ""), p.value("variant", "")};
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  if (d.size < 0) return bad("negative size");
  RETURN_IF_ERROR(Annotate(ValidateDigest(d.digest), where));
  return d;
}

}  // namespace berth::manager
