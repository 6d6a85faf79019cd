#include <deque>
#include <mutex>

#include "common/status.h"
#include "manager/services/common.h"
#include "manager/services/services.h"

namespace berth::manager {
namespace {

// One subscriber's stream: the broker's sink queues envelopes, one write is
// in flight at a time, and cancellation (the client went away) unsubscribes
// before the reactor finishes. No thread waits on an idle subscriber.
class SubscribeReactor final : public grpc::ServerWriteReactor<v1::Envelope> {
 public:
  SubscribeReactor(EventBroker& broker, std::vector<Filter> filters) : broker_(broker) {
    id_ = broker_.Subscribe(std::move(filters), [this](const v1::Envelope& env) { Enqueue(env); });
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) return FinishLocked(grpc::Status::OK);
    queue_.pop_front();
    WriteNextLocked();
  }
  void OnCancel() override {
    broker_.Unsubscribe(id_);
    std::lock_guard<std::mutex> lock(mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }
  void OnDone() override {
    broker_.Unsubscribe(id_);
    delete this;
  }

 private:
  void Enqueue(const v1::Envelope& env) {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    if (queue_.size() >= 10000)
      return FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                       "subscriber too slow: 10000 events queued"));
    queue_.push_back(env);
    WriteNextLocked();
  }
  void WriteNextLocked() {
    if (writing_ || finished_ || queue_.empty()) return;
    writing_ = true;
    StartWrite(&queue_.front());
  }
  void FinishLocked(const grpc::Status& s) {
    if (finished_) return;
    finished_ = true;
    Finish(s);
  }

  EventBroker& broker_;
  uint64_t id_ = 0;
  std::mutex mu_;
  std::deque<v1::Envelope> queue_;
  bool writing_ = false;
  bool finished_ = false;
};

}  // namespace

grpc::ServerUnaryReactor* EventsService::Publish(grpc::CallbackServerContext* ctx,
                                                 const v1::PublishRequest* req,
                                                 v1::PublishResponse*) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<std::string> ns = CallNamespace(ctx);
  if (!ns.ok()) {
    reactor->Finish(ToGrpc(ns.status()));
    return reactor;
  }
  if (req->topic().empty() || req->topic()[0] != '/') {
    reactor->Finish(
        ToGrpc(absl::InvalidArgumentError("topic \"" + req->topic() + "\": must start with /")));
    return reactor;
  }
  m_.events().Publish(*ns, req->topic(), {req->event().begin(), req->event().end()});
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<v1::Envelope>* EventsService::Subscribe(grpc::CallbackServerContext*,
                                                                 const v1::SubscribeRequest* req) {
  absl::StatusOr<std::vector<Filter>> filters =
      ParseFilters({req->filters().begin(), req->filters().end()});
  if (!filters.ok()) {
    return new Refused<grpc::ServerWriteReactor<v1::Envelope>>(ToGrpc(filters.status()));
  }
  return new SubscribeReactor(m_.events(), *std::move(filters));
}

}  // namespace berth::manager
