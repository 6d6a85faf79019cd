// berthctl events [FILTER...]: every event from now on, one line each
// ("TIMESTAMP NAMESPACE TOPIC key=value..."), until interrupted.
#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "manager/berthctl/commands.h"
#include "manager/berthctl/table.h"
#include "proto/manager/v1/events.grpc.pb.h"

namespace berth::berthctl {

absl::StatusOr<int> EventsMain(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("events [FILTER...]", {}, args, 0));
  v1::SubscribeRequest req;
  for (const auto& filter : f.positional()) req.add_filters(filter);
  auto ctx = c.NewContext();
  auto stream = c.Stub<v1::Events::Stub>().Subscribe(ctx.get(), req);
  v1::Envelope e;
  while (stream->Read(&e)) {
    std::map<std::string, std::string> event(e.event().begin(), e.event().end());
    std::string line =
        absl::StrCat(FormatUnixNano(e.timestamp()), " ", e.namespace_(), " ", e.topic());
    if (!event.empty())
      absl::StrAppend(&line, " ", absl::StrJoin(event, " ", absl::PairFormatter("=")));
    printf("%s\n", line.c_str());
    fflush(stdout);
  }
  RETURN_IF_ERROR(FromGrpc(stream->Finish()));
  return 0;
}

}  // namespace berth::berthctl
