// OCI descriptors and platforms as plain structs (the proto types in
// proto/manager/v1/types.proto carry the same fields over the wire), the
// media types Berth accepts, and their JSON form.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::manager {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  bool empty() const { return os.empty() && architecture.empty(); }
  std::string ToString() const;  // "linux/arm64/v8"
};

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;  // set for the entries of an index
};

namespace media {
inline constexpr char kOciIndex[] = "application/vnd.oci.image.index.v1+json";
inline constexpr char kOciManifest[] = "application/vnd.oci.image.manifest.v1+json";
inline constexpr char kOciConfig[] = "application/vnd.oci.image.config.v1+json";
inline constexpr char kOciLayer[] = "application/vnd.oci.image.layer.v1.tar";
inline constexpr char kOciLayerGzip[] = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr char kOciLayerZstd[] = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr char kDockerManifestList[] =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr char kDockerManifest[] = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr char kDockerConfig[] = "application/vnd.docker.container.image.v1+json";
inline constexpr char kDockerLayer[] = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr char kDockerLayerGzip[] = "application/vnd.docker.image.rootfs.diff.tar.gzip";

bool IsIndex(absl::string_view media_type);
bool IsManifest(absl::string_view media_type);
bool IsConfig(absl::string_view media_type);
bool IsLayer(absl::string_view media_type);
}  // namespace media

namespace annotations {
inline constexpr char kImageName[] = "io.containerd.image.name";
inline constexpr char kRefName[] = "org.opencontainers.image.ref.name";
}  // namespace annotations

// The platform of the running host (linux/amd64 on x86-64, linux/arm64/v8 on
// aarch64, ...).
Platform HostPlatform();
// want matches have when os and architecture are equal and want's variant
// is empty or equal.
bool PlatformMatches(const Platform& want, const Platform& have);

// OCI JSON ({"mediaType", "digest", "size", "annotations"?, "platform"?}).
nlohmann::json DescriptorToJson(const Descriptor& d);
// InvalidArgument naming `where` if a field is missing or the digest is
// malformed.
absl::StatusOr<Descriptor> DescriptorFromJson(const nlohmann::json& j, absl::string_view where);

}  // namespace berth::manager
