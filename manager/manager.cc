#include "manager/manager.h"

#include "common/file_util.h"
#include "common/status.h"

namespace berth::manager {

absl::StatusOr<std::unique_ptr<Manager>> Manager::Open(const ManagerConfig& config) {
  std::unique_ptr<Manager> m(new Manager(config));
  RETURN_IF_ERROR(MkdirAll(config.root, 0711));
  RETURN_IF_ERROR(MkdirAll(config.state, 0711));
  ASSIGN_OR_RETURN(m->content_, ContentStore::Open(config.root + "/content"));
  ASSIGN_OR_RETURN(m->meta_, MetadataStore::Open(config.root + "/metadata.db"));
  ASSIGN_OR_RETURN(m->snapshots_, OverlaySnapshotter::Open(config.root + "/snapshots"));
  m->gc_ = std::make_unique<Collector>(*m->content_, *m->meta_, *m->snapshots_, m->leases_);
  m->images_ = std::make_unique<ImageService>(*m->content_, *m->meta_, *m->snapshots_, m->events_,
                                              m->leases_, *m->gc_);
  m->tasks_ = std::make_unique<TaskManager>(
      TaskConfig{config.state, config.shim_binary, config.runtime_binary, config.cgroup_parent},
      *m->meta_, *m->snapshots_, m->events_);
  RETURN_IF_ERROR(m->tasks_->Recover());
  // Ingests nobody is writing any more (a crash mid-import), then garbage.
  RETURN_IF_ERROR(m->gc_->AbortIngests());
  RETURN_IF_ERROR(m->gc_->Collect().status());
  return m;
}

}  // namespace berth::manager
