#include "runtime/process/sync.h"

#include <catch2/catch.hpp>

using namespace berth::runtime;

TEST_CASE("sync messages keep their type, value and text; errors come back as statuses") {
  auto pair = SyncChannel::Pair();
  REQUIRE(pair.ok());
  auto& [parent, child] = *pair;
  REQUIRE(child.Send(SyncType::kInitPid, 4242).ok());
  auto m = parent.Expect(SyncType::kInitPid);
  REQUIRE(m.ok());
  CHECK(m->value == 4242);

  REQUIRE(child.Send(SyncType::kReady).ok());
  CHECK(parent.Expect(SyncType::kHooksDone).status().message() ==
        "sync: expected hooks-done, got ready");

  REQUIRE(child.SendError(absl::PermissionDeniedError("mount proc at /r/proc: EPERM")).ok());
  auto err = parent.Receive();
  CHECK(err.status().code() == absl::StatusCode::kPermissionDenied);
  CHECK(err.status().message() == "mount proc at /r/proc: EPERM");

  child.Close();
  CHECK(parent.Expect(SyncType::kReady).status().message() ==
        "waiting for ready: the container process exited during set-up");
}
