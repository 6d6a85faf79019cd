#include "common/status.h"
#include "manager/services/common.h"
#include "manager/services/services.h"

namespace berth::manager {

Status NamespacesService::List(ServerContext*, const v1::ListNamespacesRequest*,
                               v1::ListNamespacesResponse* resp) {
  absl::StatusOr<std::vector<v1::Namespace>> list = m_.meta().ListNamespaces();
  if (!list.ok()) return ToGrpc(list.status());
  for (v1::Namespace& n : *list) *resp->add_namespaces() = std::move(n);
  return Status::OK;
}

Status NamespacesService::Create(ServerContext*, const v1::CreateNamespaceRequest* req,
                                 v1::CreateNamespaceResponse* resp) {
  if (absl::Status s = ValidateNamespace(req->namespace_().name()); !s.ok()) return ToGrpc(s);
  if (absl::Status s = m_.meta().CreateNamespace(req->namespace_()); !s.ok()) return ToGrpc(s);
  m_.events().Publish(req->namespace_().name(), "/namespaces/create",
                      {{"name", req->namespace_().name()}});
  *resp->mutable_namespace_() = req->namespace_();
  return Status::OK;
}

Status NamespacesService::Delete(ServerContext*, const v1::DeleteNamespaceRequest* req,
                                 v1::DeleteNamespaceResponse*) {
  if (absl::Status s = m_.meta().DeleteNamespace(req->name()); !s.ok()) return ToGrpc(s);
  m_.events().Publish(req->name(), "/namespaces/delete", {{"name", req->name()}});
  return Status::OK;
}

}  // namespace berth::manager
