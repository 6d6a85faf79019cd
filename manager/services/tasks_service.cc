#include "common/status.h"
#include "manager/services/common.h"
#include "manager/services/services.h"

namespace berth::manager {

Status TasksService::Create(ServerContext* ctx, const v1::CreateTaskRequest* req,
                            v1::CreateTaskResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<v1::Process> p = m_.tasks().Create(ns, *req);
  if (!p.ok()) return ToGrpc(p.status());
  *resp->mutable_process() = *std::move(p);
  return Status::OK;
}

Status TasksService::Start(ServerContext* ctx, const v1::StartRequest* req,
                           v1::StartResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<uint32_t> pid = m_.tasks().Start(ns, req->container_id(), req->exec_id());
  if (!pid.ok()) return ToGrpc(pid.status());
  resp->set_pid(*pid);
  return Status::OK;
}

Status TasksService::Delete(ServerContext* ctx, const v1::DeleteTaskRequest* req,
                            v1::DeleteResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<v1::DeleteResponse> r = m_.tasks().Delete(ns, req->container_id(), req->force());
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *std::move(r);
  return Status::OK;
}

Status TasksService::DeleteProcess(ServerContext* ctx, const v1::DeleteProcessRequest* req,
                                   v1::DeleteResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<v1::DeleteResponse> r =
      m_.tasks().DeleteProcess(ns, req->container_id(), req->exec_id());
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *std::move(r);
  return Status::OK;
}

Status TasksService::Get(ServerContext* ctx, const v1::GetTaskRequest* req,
                         v1::GetTaskResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<v1::Process> p = m_.tasks().Get(ns, req->container_id(), req->exec_id());
  if (!p.ok()) return ToGrpc(p.status());
  *resp->mutable_process() = *std::move(p);
  return Status::OK;
}

Status TasksService::List(ServerContext* ctx, const v1::ListTasksRequest*,
                          v1::ListTasksResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<std::vector<v1::Process>> list = m_.tasks().List(ns);
  if (!list.ok()) return ToGrpc(list.status());
  for (v1::Process& p : *list) *resp->add_tasks() = std::move(p);
  return Status::OK;
}

Status TasksService::Kill(ServerContext* ctx, const v1::KillRequest* req, v1::KillResponse*) {
  BERTH_NS_OR_RETURN(ns, ctx);
  return ToGrpc(m_.tasks().Kill(ns, *req));
}

Status TasksService::Exec(ServerContext* ctx, const v1::ExecProcessRequest* req,
                          v1::ExecProcessResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<v1::Process> p = m_.tasks().Exec(ns, *req);
  if (!p.ok()) return ToGrpc(p.status());
  *resp->mutable_process() = *std::move(p);
  return Status::OK;
}

Status TasksService::ResizePty(ServerContext* ctx, const v1::ResizePtyRequest* req,
                               v1::ResizePtyResponse*) {
  BERTH_NS_OR_RETURN(ns, ctx);
  return ToGrpc(m_.tasks().ResizePty(ns, *req));
}

Status TasksService::CloseIO(ServerContext* ctx, const v1::CloseIORequest* req,
                             v1::CloseIOResponse*) {
  BERTH_NS_OR_RETURN(ns, ctx);
  return ToGrpc(m_.tasks().CloseIO(ns, *req));
}

Status TasksService::Pause(ServerContext* ctx, const v1::PauseTaskRequest* req,
                           v1::PauseTaskResponse*) {
  BERTH_NS_OR_RETURN(ns, ctx);
  return ToGrpc(m_.tasks().Pause(ns, req->container_id()));
}

Status TasksService::Resume(ServerContext* ctx, const v1::ResumeTaskRequest* req,
                            v1::ResumeTaskResponse*) {
  BERTH_NS_OR_RETURN(ns, ctx);
  return ToGrpc(m_.tasks().Resume(ns, req->container_id()));
}

Status TasksService::ListPids(ServerContext* ctx, const v1::ListPidsRequest* req,
                              v1::ListPidsResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<std::vector<uint32_t>> pids = m_.tasks().ListPids(ns, req->container_id());
  if (!pids.ok()) return ToGrpc(pids.status());
  for (uint32_t p : *pids) resp->add_pids(p);
  return Status::OK;
}

namespace {

// A Wait holds no thread: the task manager answers it when the process
// exits. Exactly one of the exit and the client's cancellation finishes it
// (ExitWaiters hands each waiter to one of them).
class WaitReactor final : public grpc::ServerUnaryReactor {
 public:
  explicit WaitReactor(TaskManager& tasks) : tasks_(tasks) {}
  void Begin(const std::string& ns, const v1::WaitRequest& req, v1::WaitResponse* resp) {
    token_ = tasks_.WaitAsync(ns, req.container_id(), req.exec_id(),
                              [this, resp](absl::StatusOr<v1::WaitResponse> r) {
                                if (!r.ok()) return Finish(ToGrpc(r.status()));
                                *resp = *std::move(r);
                                Finish(grpc::Status::OK);
                              });
  }
  void OnCancel() override {
    if (tasks_.CancelWait(token_)) Finish(grpc::Status::CANCELLED);
  }
  void OnDone() override { delete this; }

 private:
  TaskManager& tasks_;
  uint64_t token_ = 0;  // set before gRPC can call OnCancel
};

}  // namespace

grpc::ServerUnaryReactor* TasksService::Wait(grpc::CallbackServerContext* ctx,
                                             const v1::WaitRequest* req, v1::WaitResponse* resp) {
  absl::StatusOr<std::string> ns = CallNamespace(ctx);
  if (!ns.ok()) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(ToGrpc(ns.status()));
    return reactor;
  }
  auto* reactor = new WaitReactor(m_.tasks());
  reactor->Begin(*ns, *req, resp);
  return reactor;
}

Status TasksService::Metrics(ServerContext* ctx, const v1::MetricsRequest* req,
                             v1::MetricsResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<v1::MetricsResponse> r = m_.tasks().Metrics(ns, req->container_id());
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *std::move(r);
  return Status::OK;
}

Status TasksService::Update(ServerContext* ctx, const v1::UpdateTaskRequest* req,
                            v1::UpdateTaskResponse*) {
  BERTH_NS_OR_RETURN(ns, ctx);
  return ToGrpc(m_.tasks().Update(ns, req->container_id(), req->resources()));
}

}  // namespace berth::manager
