#include "common/status.h"
#include "manager/filters.h"
#include "manager/services/common.h"
#include "manager/services/services.h"

namespace berth::manager {
namespace {

FieldGetter ContainerFields(const v1::Container& c) {
  return [&c](const std::string& key) -> std::optional<std::string> {
    if (key == "id") return c.id();
    if (key == "image") return c.image();
    if (key == "runtime.name") return c.runtime().name();
    if (key.rfind("labels.", 0) == 0) {
      auto it = c.labels().find(key.substr(7));
      if (it != c.labels().end()) return it->second;
    }
    return std::nullopt;
  };
}

}  // namespace

Status ContainersService::Get(ServerContext* ctx, const v1::GetContainerRequest* req,
                              v1::GetContainerResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<v1::Container> c = m_.meta().GetContainer(ns, req->id());
  if (!c.ok()) return ToGrpc(c.status());
  *resp->mutable_container() = *std::move(c);
  return Status::OK;
}

Status ContainersService::List(ServerContext* ctx, const v1::ListContainersRequest* req,
                               v1::ListContainersResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<std::vector<Filter>> filters =
      ParseFilters({req->filters().begin(), req->filters().end()});
  if (!filters.ok()) return ToGrpc(filters.status());
  absl::StatusOr<std::vector<v1::Container>> list = m_.meta().ListContainers(ns);
  if (!list.ok()) return ToGrpc(list.status());
  for (v1::Container& c : *list) {
    if (MatchesAny(*filters, ContainerFields(c))) *resp->add_containers() = std::move(c);
  }
  return Status::OK;
}

Status ContainersService::Create(ServerContext* ctx, const v1::CreateContainerRequest* req,
                                 v1::CreateContainerResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  const v1::Container& c = req->container();
  if (absl::Status s = ValidateName("container id", c.id()); !s.ok()) return ToGrpc(s);
  if (c.spec().empty())
    return ToGrpc(absl::InvalidArgumentError("container " + c.id() + ": spec is empty"));
  if (!c.snapshot_key().empty()) {
    absl::Status s = m_.snapshots().Stat(SnapshotKey(ns, c.snapshot_key())).status();
    if (!s.ok())
      return ToGrpc(absl::NotFoundError("container " + c.id() + ": snapshot " + c.snapshot_key() +
                                        " not found"));
  }
  absl::StatusOr<v1::Container> created = m_.meta().CreateContainer(ns, c);
  if (!created.ok()) return ToGrpc(created.status());
  m_.events().Publish(ns, "/containers/create", {{"id", c.id()}, {"image", c.image()}});
  *resp->mutable_container() = *std::move(created);
  return Status::OK;
}

Status ContainersService::Update(ServerContext* ctx, const v1::UpdateContainerRequest* req,
                                 v1::UpdateContainerResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<v1::Container> current = m_.meta().GetContainer(ns, req->container().id());
  if (!current.ok()) return ToGrpc(current.status());
  v1::Container next = *current;
  const v1::Container& in = req->container();
  bool all = req->update_mask().empty();
  auto wants = [&](const std::string& f) {
    return all || std::find(req->update_mask().begin(), req->update_mask().end(), f) !=
                      req->update_mask().end();
  };
  if (wants("labels")) *next.mutable_labels() = in.labels();
  if (wants("spec")) next.set_spec(in.spec());
  if (wants("image")) next.set_image(in.image());
  if (wants("extensions")) *next.mutable_extensions() = in.extensions();
  if (wants("runtime")) *next.mutable_runtime() = in.runtime();
  absl::StatusOr<v1::Container> updated = m_.meta().UpdateContainer(ns, next);
  if (!updated.ok()) return ToGrpc(updated.status());
  m_.events().Publish(ns, "/containers/update", {{"id", in.id()}});
  *resp->mutable_container() = *std::move(updated);
  return Status::OK;
}

Status ContainersService::Delete(ServerContext* ctx, const v1::DeleteContainerRequest* req,
                                 v1::DeleteContainerResponse*) {
  BERTH_NS_OR_RETURN(ns, ctx);
  if (m_.tasks().Exists(ns, req->id())) {
    return ToGrpc(absl::FailedPreconditionError("cannot delete container " + req->id() +
                                                ": it has a task (delete the task first)"));
  }
  absl::StatusOr<v1::Container> c = m_.meta().GetContainer(ns, req->id());
  if (!c.ok()) return ToGrpc(c.status());
  if (absl::Status s = m_.meta().DeleteContainer(ns, req->id()); !s.ok()) return ToGrpc(s);
  if (!c->snapshot_key().empty()) {
    absl::Status s = m_.snapshots().Remove(SnapshotKey(ns, c->snapshot_key()));
    if (!s.ok() && !absl::IsNotFound(s)) return ToGrpc(s);
  }
  m_.events().Publish(ns, "/containers/delete", {{"id", req->id()}});
  return ToGrpc(m_.gc().Collect().status());
}

}  // namespace berth::manager
