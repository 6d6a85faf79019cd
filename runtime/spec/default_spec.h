// The config.json that `spec` writes: the same document as `runc spec`
// (field order and tab indentation included), or its rootless variant.
#pragma once

#include <sys/types.h>

#include <string>

namespace berth::runtime {

std::string DefaultSpecJson(bool rootless, uid_t uid, gid_t gid);

}  // namespace berth::runtime
