#include "manager/filters.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace berth::manager {
namespace {

absl::StatusOr<Condition> ParseCondition(absl::string_view text, absl::string_view filter) {
  static constexpr std::pair<absl::string_view, Condition::Op> kOps[] = {
      {"==", Condition::Op::kEqual},
      {"!=", Condition::Op::kNotEqual},
      {"~=", Condition::Op::kPrefix}};
  for (const auto& [token, op] : kOps) {
    size_t at = text.find(token);
    if (at == absl::string_view::npos || at == 0) continue;
    return Condition{std::string(text.substr(0, at)), op, std::string(text.substr(at + 2))};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("filter \"", filter, "\": expected key==value, key!=value or key~=prefix"));
}

}  // namespace

absl::StatusOr<std::vector<Filter>> ParseFilters(const std::vector<std::string>& filters) {
  std::vector<Filter> out;
  for (const std::string& f : filters) {
    Filter parsed;
    for (absl::string_view cond : absl::StrSplit(f, ',', absl::SkipWhitespace())) {
      absl::StatusOr<Condition> c = ParseCondition(cond, f);
      if (!c.ok()) return c.status();
      parsed.push_back(*std::move(c));
    }
    if (parsed.empty())
      return absl::InvalidArgumentError(absl::StrCat("filter \"", f, "\" is empty"));
    out.push_back(std::move(parsed));
  }
  return out;
}

bool MatchesAny(const std::vector<Filter>& filters, const FieldGetter& field) {
  if (filters.empty()) return true;
  for (const Filter& f : filters) {
    bool all = true;
    for (const Condition& c : f) {
      std::optional<std::string> v = field(c.key);
      bool ok = false;
      switch (c.op) {
        case Condition::Op::kEqual:
          ok = v && *v == c.value;
          break;
        case Condition::Op::kNotEqual:
          ok = !v || *v != c.value;
          break;
        case Condition::Op::kPrefix:
          ok = v && v->rfind(c.value, 0) == 0;
          break;
      }
      if (!ok) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

}  // namespace berth::manager
