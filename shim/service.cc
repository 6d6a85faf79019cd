#include "shim/service.h"

#include <sys/socket.h>

#include "absl/strings/str_cat.h"

namespace berth::shim {
namespace {

// Parses the payload as Req, calls fn, serializes its reply.
template <typename Req, typename Resp>
absl::StatusOr<std::string> Call(Shim* shim, absl::StatusOr<Resp> (Shim::*fn)(const Req&),
                                 const std::string& payload) {
  Req req;
  if (!req.ParseFromString(payload)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed ", req.GetTypeName(), " (", payload.size(), " bytes)"));
  }
  absl::StatusOr<Resp> resp = (shim->*fn)(req);
  if (!resp.ok()) return resp.status();
  return resp->SerializeAsString();
}

using Unary = absl::StatusOr<std::string> (*)(Shim*, const std::string&);

template <auto Fn>
absl::StatusOr<std::string> Bind(Shim* shim, const std::string& payload) {
  return Call(shim, Fn, payload);
}

const std::pair<absl::string_view, Unary> kMethods[] = {
    {"Create", &Bind<&Shim::Create>},       {"Start", &Bind<&Shim::Start>},
    {"State", &Bind<&Shim::State>},         {"Pids", &Bind<&Shim::Pids>},
    {"Kill", &Bind<&Shim::Kill>},           {"Exec", &Bind<&Shim::Exec>},
    {"ResizePty", &Bind<&Shim::ResizePty>}, {"CloseIO", &Bind<&Shim::CloseIO>},
    {"Pause", &Bind<&Shim::Pause>},         {"Resume", &Bind<&Shim::Resume>},
    {"Update", &Bind<&Shim::Update>},       {"Stats", &Bind<&Shim::Stats>},
    {"Delete", &Bind<&Shim::Delete>},       {"Shutdown", &Bind<&Shim::Shutdown>},
    {"Connect", &Bind<&Shim::Connect>},
};

}  // namespace

ShimService::~ShimService() {
  clients_.clear();
  if (listener_) loop_->Remove(listener_.get());
}

absl::Status ShimService::Serve(UniqueFd listener) {
  listener_ = std::move(listener);
  shim_->set_event_sink(
      [this](absl::string_view topic, const std::string& payload) { Broadcast(topic, payload); });
  return loop_->Add(listener_.get(), EPOLLIN, [this](uint32_t) { OnAccept(); });
}

void ShimService::OnAccept() {
  for (;;) {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) return;
    auto client = std::make_shared<Client>();
    std::weak_ptr<Client> weak = client;
    auto it = clients_.insert(clients_.end(), client);
    client->conn =
        std::make_unique<Connection>(loop_, std::move(fd),
                                     Connection::Callbacks{[this, weak](absl::string_view data) {
                                                             if (auto c = weak.lock())
                                                               OnData(c, data);
                                                           },
                                                           [this, it] { clients_.erase(it); }});
    if (!client->conn->Register().ok()) clients_.erase(it);
  }
}

void ShimService::OnData(const std::shared_ptr<Client>& client, absl::string_view data) {
  client->decoder.Feed(data);
  while (!client->conn->closed()) {
    auto next = client->decoder.Next();
    if (!next) return;
    if (next->error) {
      Reply(client, next->error->id, next->error->status);
    } else {
      Handle(client, *next->frame);
    }
  }
}

void ShimService::Handle(const std::shared_ptr<Client>& client, const Frame& frame) {
  if (frame.type != FrameType::kRequest) {
    return Reply(client, frame.id,
                 absl::InvalidArgumentError("only request frames are accepted by the shim"));
  }
  v1::Request req;
  if (!req.ParseFromString(frame.payload)) {
    return Reply(client, frame.id, absl::InvalidArgumentError("malformed request envelope"));
  }
  if (req.service() != kServiceName) {
    return Reply(client, frame.id,
                 absl::UnimplementedError(absl::StrCat("unknown service '", req.service(), "'")));
  }
  if (req.method() == "Wait") {
    v1::WaitRequest wait;
    if (!wait.ParseFromString(req.payload())) {
      return Reply(client, frame.id, absl::InvalidArgumentError("malformed WaitRequest"));
    }
    std::weak_ptr<Client> weak = client;
    uint32_t id = frame.id;
    shim_->Wait(wait, [weak, id](absl::StatusOr<v1::WaitResponse> resp) {
      Reply(weak, id, resp.status(), resp.ok() ? resp->SerializeAsString() : "");
    });
    return;
  }
  for (const auto& [name, fn] : kMethods) {
    if (name != req.method()) continue;
    absl::StatusOr<std::string> resp = fn(shim_, req.payload());
    return Reply(client, frame.id, resp.status(), resp.ok() ? *resp : "");
  }
  Reply(client, frame.id,
        absl::UnimplementedError(absl::StrCat("unknown method '", req.method(), "'")));
}

void ShimService::Reply(const std::weak_ptr<Client>& weak, uint32_t id, const absl::Status& status,
                        const std::string& payload) {
  auto client = weak.lock();
  if (!client || client->conn->closed()) return;
  v1::Response resp;
  resp.set_code(static_cast<int32_t>(status.code()));
  resp.set_message(std::string(status.message()));
  resp.set_payload(payload);
  std::string out;
  if (!EncodeFrame(Frame{id, FrameType::kResponse, 0, resp.SerializeAsString()}, &out).ok()) {
    return Reply(weak, id, absl::ResourceExhaustedError("response too large"));
  }
  client->conn->Send(out);
}

void ShimService::Broadcast(absl::string_view topic, const std::string& payload) {
  v1::Event ev;
  ev.set_topic(std::string(topic));
  ev.set_payload(payload);
  std::string out;
  if (!EncodeFrame(Frame{0, FrameType::kEvent, 0, ev.SerializeAsString()}, &out).ok()) return;
  for (auto it = clients_.begin(); it != clients_.end();) {
    auto next = std::next(it);  // Send may drop a client that stopped reading
    auto keep = *it;
    keep->conn->Send(out);
    it = next;
  }
}

}  // namespace berth::shim
