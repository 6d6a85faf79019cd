// Publish/subscribe for the manager's events (proto/manager/v1/events.proto).
// Publishers never block on subscribers: each subscriber has a sink that
// must return quickly (the gRPC stream queues and writes asynchronously).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "manager/filters.h"
#include "proto/manager/v1/events.pb.h"

namespace berth::manager {

class EventBroker {
 public:
  using Sink = std::function<void(const v1::Envelope&)>;

  void Publish(const std::string& ns, const std::string& topic,
               std::map<std::string, std::string> fields = {});

  // Delivers every later event matching any of filters to sink until
  // Unsubscribe(id) returns; after that, sink is never called again.
  uint64_t Subscribe(std::vector<Filter> filters, Sink sink);
  void Unsubscribe(uint64_t id);

 private:
  struct Subscriber {
    std::vector<Filter> filters;
    Sink sink;
  };
  std::mutex mu_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Subscriber> subscribers_;
};

}  // namespace berth::manager
