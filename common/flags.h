// A small command-line parser with urfave/cli's rules (runc's CLI library):
// `--name value`, `--name=value`, `-name value`, boolean flags without a
// value, repeated flags collected in order; parsing stops at the first
// positional argument or `--`, so `exec ID sh -c x` keeps `-c` for the command.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth {

struct FlagSpec {
  std::vector<std::string> names;  // e.g. {"bundle", "b"}
  bool takes_value = true;
};

class ParsedFlags {
 public:
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // The last value given for the flag (by its first name), if any.
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  const std::vector<std::string>& GetAll(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<FlagSpec>&,
                                                const std::vector<std::string>&, bool);
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

// Parses args against specs. With stop_at_positional false, flags may follow
// positionals (not used by runc's subcommands, but by global flags).
absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<FlagSpec>& specs,
                                       const std::vector<std::string>& args,
                                       bool stop_at_positional = true);

}  // namespace berth
