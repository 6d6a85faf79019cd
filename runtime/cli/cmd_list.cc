#include <algorithm>

#include "runtime/cli/cli.h"
#include "runtime/container/container.h"

namespace berth::runtime::cli {

nlohmann::ordered_json StateDocument(const StateStore& store, const ContainerState& s);

// Go's text/tabwriter as runc configures it: minwidth 12, padding 3.
static void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(12);
      width[i] = std::max(width[i], r[i].size() + 3);
    }
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size(), ' ');
    }
    printf("%s\n", line.c_str());
  }
}

static absl::StatusOr<int> RunList(Context& ctx, const ParsedFlags& f) {
  std::string format = f.GetOr("format", "table");
  if (format != "table" && format != "json") {
    return absl::InvalidArgumentError("invalid format option");
  }
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto& id : ctx.store.List()) {
    auto s = ctx.store.Load(id);
    if (s.ok()) all.push_back(StateDocument(ctx.store, *s));
  }
  if (f.Has("quiet")) {
    for (const auto& c : all) printf("%s\n", c["id"].get<std::string>().c_str());
  } else if (format == "json") {
    printf("%s\n", all.empty() ? "null" : all.dump().c_str());
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
    for (const auto& c : all) {
      rows.push_back({c["id"], std::to_string(c["pid"].get<int>()), c["status"], c["bundle"],
                      c["created"], c["owner"]});
    }
    PrintTable(rows);
  }
  return 0;
}

const Command kList = {"list",
                       "list [command options]",
                       "lists containers started by runc with the given root",
                       {{{"format", "f"}, true}, {{"quiet", "q"}, false}},
                       RunList};

}  // namespace berth::runtime::cli
