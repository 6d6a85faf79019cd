// The gRPC adapters: each speaks its proto/manager/v1 service and nothing
// else; the logic lives in Manager's parts. Errors are converted once, by
// ToGrpc.
//
// Unary handlers are grpc++'s synchronous API, except Tasks.Wait; every
// stream uses the callback API, so an idle call (a waiter, an events
// subscriber, a slow client of Content.Read) holds no thread. Content streams run on gRPC's threads
// (each step is one bounded file read or write); Transfer streams hand the
// blocking import/export to threads of their own (awaited.h).
#pragma once

#include "manager/manager.h"
#include "proto/manager/v1/containers.grpc.pb.h"
#include "proto/manager/v1/content.grpc.pb.h"
#include "proto/manager/v1/events.grpc.pb.h"
#include "proto/manager/v1/images.grpc.pb.h"
#include "proto/manager/v1/namespaces.grpc.pb.h"
#include "proto/manager/v1/snapshots.grpc.pb.h"
#include "proto/manager/v1/tasks.grpc.pb.h"
#include "proto/manager/v1/transfer.grpc.pb.h"

namespace berth::manager {

using grpc::ServerContext;
using grpc::Status;

class NamespacesService final : public v1::Namespaces::Service {
 public:
  explicit NamespacesService(Manager& m) : m_(m) {}
  Status List(ServerContext*, const v1::ListNamespacesRequest*,
              v1::ListNamespacesResponse*) override;
  Status Create(ServerContext*, const v1::CreateNamespaceRequest*,
                v1::CreateNamespaceResponse*) override;
  Status Delete(ServerContext*, const v1::DeleteNamespaceRequest*,
                v1::DeleteNamespaceResponse*) override;

 private:
  Manager& m_;
};

class ContentService final : public v1::Content::WithCallbackMethod_Read<
                                 v1::Content::WithCallbackMethod_Write<v1::Content::Service>> {
 public:
  explicit ContentService(Manager& m) : m_(m) {}
  grpc::Status Info(ServerContext*, const v1::ContentInfoRequest*, v1::ContentInfo*) override;
  grpc::Status List(ServerContext*, const v1::ListContentRequest*,
                    v1::ListContentResponse*) override;
  grpc::Status Delete(ServerContext*, const v1::DeleteContentRequest*,
                      v1::DeleteContentResponse*) override;
  grpc::ServerWriteReactor<v1::ReadContentResponse>* Read(grpc::CallbackServerContext*,
                                                          const v1::ReadContentRequest*) override;
  grpc::ServerBidiReactor<v1::WriteContentRequest, v1::WriteContentResponse>* Write(
      grpc::CallbackServerContext*) override;
  grpc::Status Status(ServerContext*, const v1::ContentStatusRequest*, v1::ContentStatus*) override;
  grpc::Status Abort(ServerContext*, const v1::AbortContentRequest*,
                     v1::AbortContentResponse*) override;

 private:
  Manager& m_;
};

class ImagesService final : public v1::Images::Service {
 public:
  explicit ImagesService(Manager& m) : m_(m) {}
  Status Get(ServerContext*, const v1::GetImageRequest*, v1::GetImageResponse*) override;
  Status List(ServerContext*, const v1::ListImagesRequest*, v1::ListImagesResponse*) override;
  Status Create(ServerContext*, const v1::CreateImageRequest*, v1::CreateImageResponse*) override;
  Status Update(ServerContext*, const v1::UpdateImageRequest*, v1::UpdateImageResponse*) override;
  Status Delete(ServerContext*, const v1::DeleteImageRequest*, v1::DeleteImageResponse*) override;
  Status Resolve(ServerContext*, const v1::ResolveImageRequest*,
                 v1::ResolveImageResponse*) override;

 private:
  Manager& m_;
};

class TransferService final : public v1::Transfer::CallbackService {
 public:
  explicit TransferService(Manager& m) : m_(m) {}
  grpc::ServerBidiReactor<v1::ImportRequest, v1::ImportProgress>* Import(
      grpc::CallbackServerContext*) override;
  grpc::ServerWriteReactor<v1::ExportChunk>* Export(grpc::CallbackServerContext*,
                                                    const v1::ExportRequest*) override;

 private:
  Manager& m_;
};

class SnapshotsService final : public v1::Snapshots::Service {
 public:
  explicit SnapshotsService(Manager& m) : m_(m) {}
  Status Prepare(ServerContext*, const v1::PrepareSnapshotRequest*, v1::MountsResponse*) override;
  Status View(ServerContext*, const v1::ViewSnapshotRequest*, v1::MountsResponse*) override;
  Status Mounts(ServerContext*, const v1::MountsRequest*, v1::MountsResponse*) override;
  Status Commit(ServerContext*, const v1::CommitSnapshotRequest*,
                v1::CommitSnapshotResponse*) override;
  Status Remove(ServerContext*, const v1::RemoveSnapshotRequest*,
                v1::RemoveSnapshotResponse*) override;
  Status Stat(ServerContext*, const v1::StatSnapshotRequest*, v1::SnapshotInfo*) override;
  Status List(ServerContext*, const v1::ListSnapshotsRequest*, v1::ListSnapshotsResponse*) override;
  Status Usage(ServerContext*, const v1::UsageRequest*, v1::UsageResponse*) override;
  Status Diff(ServerContext*, const v1::DiffRequest*, v1::DiffResponse*) override;

 private:
  Manager& m_;
};

class ContainersService final : public v1::Containers::Service {
 public:
  explicit ContainersService(Manager& m) : m_(m) {}
  Status Get(ServerContext*, const v1::GetContainerRequest*, v1::GetContainerResponse*) override;
  Status List(ServerContext*, const v1::ListContainersRequest*,
              v1::ListContainersResponse*) override;
  Status Create(ServerContext*, const v1::CreateContainerRequest*,
                v1::CreateContainerResponse*) override;
  Status Update(ServerContext*, const v1::UpdateContainerRequest*,
                v1::UpdateContainerResponse*) override;
  Status Delete(ServerContext*, const v1::DeleteContainerRequest*,
                v1::DeleteContainerResponse*) override;

 private:
  Manager& m_;
};

class TasksService final : public v1::Tasks::WithCallbackMethod_Wait<v1::Tasks::Service> {
 public:
  explicit TasksService(Manager& m) : m_(m) {}
  Status Create(ServerContext*, const v1::CreateTaskRequest*, v1::CreateTaskResponse*) override;
  Status Start(ServerContext*, const v1::StartRequest*, v1::StartResponse*) override;
  Status Delete(ServerContext*, const v1::DeleteTaskRequest*, v1::DeleteResponse*) override;
  Status DeleteProcess(ServerContext*, const v1::DeleteProcessRequest*,
                       v1::DeleteResponse*) override;
  Status Get(ServerContext*, const v1::GetTaskRequest*, v1::GetTaskResponse*) override;
  Status List(ServerContext*, const v1::ListTasksRequest*, v1::ListTasksResponse*) override;
  Status Kill(ServerContext*, const v1::KillRequest*, v1::KillResponse*) override;
  Status Exec(ServerContext*, const v1::ExecProcessRequest*, v1::ExecProcessResponse*) override;
  Status ResizePty(ServerContext*, const v1::ResizePtyRequest*, v1::ResizePtyResponse*) override;
  Status CloseIO(ServerContext*, const v1::CloseIORequest*, v1::CloseIOResponse*) override;
  Status Pause(ServerContext*, const v1::PauseTaskRequest*, v1::PauseTaskResponse*) override;
  Status Resume(ServerContext*, const v1::ResumeTaskRequest*, v1::ResumeTaskResponse*) override;
  Status ListPids(ServerContext*, const v1::ListPidsRequest*, v1::ListPidsResponse*) override;
  grpc::ServerUnaryReactor* Wait(grpc::CallbackServerContext*, const v1::WaitRequest*,
                                 v1::WaitResponse*) override;
  Status Metrics(ServerContext*, const v1::MetricsRequest*, v1::MetricsResponse*) override;
  Status Update(ServerContext*, const v1::UpdateTaskRequest*, v1::UpdateTaskResponse*) override;

 private:
  Manager& m_;
};

class EventsService final : public v1::Events::CallbackService {
 public:
  explicit EventsService(Manager& m) : m_(m) {}
  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext*, const v1::PublishRequest*,
                                    v1::PublishResponse*) override;
  grpc::ServerWriteReactor<v1::Envelope>* Subscribe(grpc::CallbackServerContext*,
                                                    const v1::SubscribeRequest*) override;

 private:
  Manager& m_;
};

}  // namespace berth::manager
