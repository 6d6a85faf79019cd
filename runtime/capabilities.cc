#include "runtime/capabilities.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"

namespace berth::runtime {

int LastCap() {
  static int last = [] {
    auto text = ReadFile("/proc/sys/kernel/cap_last_cap");
    if (text.ok()) return std::atoi(text->c_str());
    return CAP_LAST_CAP;
  }();
  return last;
}

static absl::StatusOr<uint64_t> Mask(const std::vector<std::string>& names, const char* field) {
  uint64_t mask = 0;
  for (const auto& name : names) {
    cap_value_t v;
    if (cap_from_name(name.c_str(), &v) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("process.capabilities.", field, ": unknown capability \"", name, "\""));
    }
    // A capability newer than this kernel is skipped, as runc does.
    if (v <= LastCap()) mask |= uint64_t{1} << v;
  }
  return mask;
}

absl::StatusOr<CapSets> ResolveCapabilities(const Capabilities& caps) {
  CapSets s;
  ASSIGN_OR_RETURN(s.bounding, Mask(caps.bounding, "bounding"));
  ASSIGN_OR_RETURN(s.effective, Mask(caps.effective, "effective"));
  ASSIGN_OR_RETURN(s.inheritable, Mask(caps.inheritable, "inheritable"));
  ASSIGN_OR_RETURN(s.permitted, Mask(caps.permitted, "permitted"));
  ASSIGN_OR_RETURN(s.ambient, Mask(caps.ambient, "ambient"));
  return s;
}

absl::Status ApplyBoundingSet(const CapSets& sets) {
  for (int c = 0; c <= LastCap(); ++c) {
    if (sets.bounding & (uint64_t{1} << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) {
      return ErrnoStatus("prctl(PR_CAPBSET_DROP)", cap_to_name(c));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyCapabilities(const CapSets& sets) {
  cap_t caps = cap_init();
  if (caps == nullptr) return ErrnoStatus("cap_init");
  for (int c = 0; c <= LastCap(); ++c) {
    cap_value_t v = c;
    uint64_t bit = uint64_t{1} << c;
    if (sets.effective & bit) cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
    if (sets.permitted & bit) cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
    if (sets.inheritable & bit) cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
  }
  int r = cap_set_proc(caps);
  int err = errno;
  cap_free(caps);
  if (r != 0) return ErrnoStatus(err, "capset", "(effective, permitted, inheritable)");
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (int c = 0; c <= LastCap(); ++c) {
    if (!(sets.ambient & (uint64_t{1} << c))) continue;
    // The kernel allows an ambient cap only if permitted and inheritable.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0) {
      if (errno == EPERM) continue;  // not in permitted/inheritable: as runc, skip
      return ErrnoStatus("prctl(PR_CAP_AMBIENT_RAISE)", cap_to_name(c));
    }
  }
  return absl::OkStatus();
}

}  // namespace berth::runtime
