// The manager's parts, wired together once (containerd's "services" plugins
// without the plugin system): every gRPC adapter in services/ holds a
// reference to this and calls the logic in-process.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "manager/content/store.h"
#include "manager/events/broker.h"
#include "manager/gc/gc.h"
#include "manager/images/images.h"
#include "manager/metadata/store.h"
#include "manager/snapshots/overlay.h"
#include "manager/tasks/tasks.h"

namespace berth::manager {

struct ManagerConfig {
  std::string root = "/var/lib/berth/manager";  // persistent: content, metadata, snapshots
  std::string state = "/run/berth/manager";     // runtime: tasks, shim sockets
  std::string address = "/run/berth/manager.sock";
  std::string shim_binary;     // default: berth-shim next to the executable
  std::string runtime_binary;  // default: berth-runtime next to the executable
  std::string log_level = "info";
  std::string cgroup_parent = "/berth";
};

class Manager {
 public:
  // Opens (creating) root and state, recovers the tasks of an earlier run and
  // collects garbage an interrupted run left.
  static absl::StatusOr<std::unique_ptr<Manager>> Open(const ManagerConfig& config);

  const ManagerConfig& config() const { return config_; }
  ContentStore& content() { return *content_; }
  MetadataStore& meta() { return *meta_; }
  OverlaySnapshotter& snapshots() { return *snapshots_; }
  EventBroker& events() { return events_; }
  Leases& leases() { return leases_; }
  Collector& gc() { return *gc_; }
  ImageService& images() { return *images_; }
  TaskManager& tasks() { return *tasks_; }

 private:
  explicit Manager(ManagerConfig config) : config_(std::move(config)) {}
  ManagerConfig config_;
  std::unique_ptr<ContentStore> content_;
  std::unique_ptr<MetadataStore> meta_;
  std::unique_ptr<OverlaySnapshotter> snapshots_;
  EventBroker events_;
  Leases leases_;
  std::unique_ptr<Collector> gc_;
  std::unique_ptr<ImageService> images_;
  std::unique_ptr<TaskManager> tasks_;
};

}  // namespace berth::manager
