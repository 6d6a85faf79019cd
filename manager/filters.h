// List and event filters, a small subset of containerd's filter language:
//
//   filter     := condition ("," condition)*     all must hold
//   condition  := key ("==" | "!=" | "~=") value  ~= is a prefix match
//   key        := name ("." name)*               e.g. topic, labels.app, event.container_id
//
// A request's filters are alternatives: an object matches if any filter
// does (no filters: everything matches).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::manager {

struct Condition {
  enum class Op { kEqual, kNotEqual, kPrefix };
  std::string key;
  Op op = Op::kEqual;
  std::string value;
};

using Filter = std::vector<Condition>;

// InvalidArgument naming the filter that does not parse.
absl::StatusOr<std::vector<Filter>> ParseFilters(const std::vector<std::string>& filters);

// field(key) returns the object's value for key, or nullopt if it has none.
using FieldGetter = std::function<std::optional<std::string>(const std::string& key)>;
bool MatchesAny(const std::vector<Filter>& filters, const FieldGetter& field);

}  // namespace berth::manager
