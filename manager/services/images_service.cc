#include "common/status.h"
#include "manager/services/common.h"
#include "manager/services/services.h"

namespace berth::manager {

Status ImagesService::Get(ServerContext* ctx, const v1::GetImageRequest* req,
                          v1::GetImageResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<v1::Image> img = m_.images().Get(ns, req->name());
  if (!img.ok()) return ToGrpc(img.status());
  *resp->mutable_image() = *std::move(img);
  return Status::OK;
}

Status ImagesService::List(ServerContext* ctx, const v1::ListImagesRequest* req,
                           v1::ListImagesResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<std::vector<v1::Image>> list =
      m_.images().List(ns, {req->filters().begin(), req->filters().end()});
  if (!list.ok()) return ToGrpc(list.status());
  for (v1::Image& img : *list) *resp->add_images() = std::move(img);
  return Status::OK;
}

Status ImagesService::Create(ServerContext* ctx, const v1::CreateImageRequest* req,
                             v1::CreateImageResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<v1::Image> img = m_.images().Create(ns, req->image());
  if (!img.ok()) return ToGrpc(img.status());
  *resp->mutable_image() = *std::move(img);
  return Status::OK;
}

Status ImagesService::Update(ServerContext* ctx, const v1::UpdateImageRequest* req,
                             v1::UpdateImageResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<v1::Image> img = m_.images().Update(ns, req->image());
  if (!img.ok()) return ToGrpc(img.status());
  *resp->mutable_image() = *std::move(img);
  return Status::OK;
}

Status ImagesService::Delete(ServerContext* ctx, const v1::DeleteImageRequest* req,
                             v1::DeleteImageResponse*) {
  BERTH_NS_OR_RETURN(ns, ctx);
  return ToGrpc(m_.images().Delete(ns, req->name()));
}

Status ImagesService::Resolve(ServerContext* ctx, const v1::ResolveImageRequest* req,
                              v1::ResolveImageResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<v1::ResolveImageResponse> r =
      m_.images().Resolve(ns, req->name(), req->platform());
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *std::move(r);
  return Status::OK;
}

}  // namespace berth::manager
