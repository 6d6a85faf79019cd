#include "manager/events/broker.h"

#include "manager/metadata/store.h"

namespace berth::manager {

void EventBroker::Publish(const std::string& ns, const std::string& topic,
                          std::map<std::string, std::string> fields) {
  v1::Envelope env;
  env.set_timestamp(NowNanos());
  env.set_namespace_(ns);
  env.set_topic(topic);
  for (auto& [k, v] : fields) (*env.mutable_event())[k] = std::move(v);
  FieldGetter field = [&env](const std::string& key) -> std::optional<std::string> {
    if (key == "topic") return env.topic();
    if (key == "namespace") return env.namespace_();
    if (key.rfind("event.", 0) == 0) {
      auto it = env.event().find(key.substr(6));
      if (it != env.event().end()) return it->second;
    }
    return std::nullopt;
  };
  // Sinks run under mu_, so Unsubscribe's promise holds.
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, sub] : subscribers_) {
    if (MatchesAny(sub.filters, field)) sub.sink(env);
  }
}

uint64_t EventBroker::Subscribe(std::vector<Filter> filters, Sink sink) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = next_id_++;
  subscribers_[id] = Subscriber{std::move(filters), std::move(sink)};
  return id;
}

void EventBroker::Unsubscribe(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  subscribers_.erase(id);
}

}  // namespace berth::manager
