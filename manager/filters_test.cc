#include "manager/filters.h"

#include <catch2/catch.hpp>
#include <map>

#include "manager/events/broker.h"

namespace berth::manager {
namespace {

FieldGetter From(const std::map<std::string, std::string>& m) {
  return [m](const std::string& k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

TEST_CASE("filters: conditions, alternatives and errors", "[filters]") {
  auto f = ParseFilters({"topic~=/tasks/,event.container_id==web", "topic==/images/delete"});
  REQUIRE(f.ok());
  CHECK(MatchesAny(*f, From({{"topic", "/tasks/exit"}, {"event.container_id", "web"}})));
  CHECK_FALSE(MatchesAny(*f, From({{"topic", "/tasks/exit"}, {"event.container_id", "db"}})));
  CHECK(MatchesAny(*f, From({{"topic", "/images/delete"}})));
  CHECK_FALSE(MatchesAny(*f, From({{"topic", "/images/create"}})));
  auto ne = ParseFilters({"name!=a"});
  REQUIRE(ne.ok());
  CHECK(MatchesAny(*ne, From({})));
  CHECK_FALSE(MatchesAny(*ne, From({{"name", "a"}})));
  CHECK(MatchesAny({}, From({})));
  auto bad = ParseFilters({"topic"});
  CHECK(absl::IsInvalidArgument(bad.status()));
  CHECK(bad.status().message().find("\"topic\"") != absl::string_view::npos);
}

TEST_CASE("events: subscribers get what matches, nothing after unsubscribing", "[events]") {
  EventBroker broker;
  std::vector<std::string> got;
  auto filters = ParseFilters({"namespace==a,topic~=/tasks/"});
  REQUIRE(filters.ok());
  uint64_t id = broker.Subscribe(*filters, [&](const v1::Envelope& e) {
    got.push_back(e.topic() + ":" + e.event().at("container_id"));
  });
  broker.Publish("a", "/tasks/start", {{"container_id", "web"}});
  broker.Publish("b", "/tasks/start", {{"container_id", "other"}});
  broker.Publish("a", "/images/create", {{"container_id", "-"}});
  broker.Unsubscribe(id);
  broker.Publish("a", "/tasks/exit", {{"container_id", "web"}});
  REQUIRE(got == std::vector<std::string>{"/tasks/start:web"});
}

}  // namespace
}  // namespace berth::manager
