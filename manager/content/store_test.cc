#include "manager/content/store.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <thread>

#include "common/file_util.h"

namespace berth::manager {
namespace {

// A private store under /tmp, removed at the end of the test.
struct TempStore {
  TempStore() {
    char tmpl[] = "/tmp/berth-content-XXXXXX";
    dir = ::mkdtemp(tmpl);
    auto s = ContentStore::Open(dir + "/content");
    REQUIRE(s.ok());
    store = std::move(*s);
  }
  ~TempStore() { (void)RemoveAll(dir); }
  std::string dir;
  std::unique_ptr<ContentStore> store;
};

// sha256("hello world")
constexpr char kHello[] = "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";

TEST_CASE("digest: sha256 and validation", "[content]") {
  CHECK(Sha256Digest("hello world") == kHello);
  Sha256 h;
  h.Update("hello ");
  h.Update("world");
  CHECK(h.Digest() == kHello);
  CHECK(h.Size() == 11);
  CHECK(ValidateDigest(kHello).ok());
  auto st = ValidateDigest("sha256:XYZ");
  CHECK(absl::IsInvalidArgument(st));
  CHECK(st.message().find("sha256:XYZ") != std::string::npos);
  CHECK(absl::IsInvalidArgument(ValidateDigest("md5:abc")));
}

TEST_CASE("content: WriteBlob, Info, ReadAll, List, Delete", "[content]") {
  TempStore t;
  auto d = t.store->WriteBlob("hello world");
  REQUIRE(d.ok());
  CHECK(*d == kHello);
  CHECK(PathExists(t.store->BlobPath(kHello)));
  auto info = t.store->Info(kHello);
  REQUIRE(info.ok());
  CHECK(info->size == 11);
  CHECK(info->created_at_ns > 0);
  CHECK(*t.store->ReadAll(kHello) == "hello world");
  CHECK(t.store->WriteBlob("hello world", kHello).ok());  // again: fine
  auto list = t.store->List();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].digest == kHello);

  auto bad = t.store->WriteBlob("hello world!", kHello);
  CHECK(absl::IsFailedPrecondition(bad.status()));
  CHECK(bad.status().message().find("expected " + std::string(kHello)) != std::string::npos);

  CHECK(t.store->Delete(kHello).ok());
  auto gone = t.store->Info(kHello);
  CHECK(absl::IsNotFound(gone.status()));
  CHECK(gone.status().message() == std::string("content ") + kHello + ": not found");
  CHECK(absl::IsNotFound(t.store->Delete(kHello)));
  CHECK(t.store->List()->empty());
}

TEST_CASE("content: ReadAll verifies the bytes on disk", "[content]") {
  TempStore t;
  REQUIRE(t.store->WriteBlob("hello world").ok());
  std::string path = t.store->BlobPath(kHello);
  ::chmod(path.c_str(), 0644);
  REQUIRE(WriteFile(path, "hello w0rld").ok());
  auto r = t.store->ReadAll(kHello);
  CHECK(absl::IsDataLoss(r.status()));
  CHECK(r.status().message().find(kHello) != std::string::npos);
  CHECK(absl::IsFailedPrecondition(t.store->ReadAll(kHello, 4).status()));
}

TEST_CASE("content: an ingest resumes at its offset and commits verified", "[content]") {
  TempStore t;
  {
    auto w = t.store->Writer("ref-1", kHello, 11);
    REQUIRE(w.ok());
    CHECK((*w)->Offset() == 0);
    REQUIRE((*w)->Write("hello ").ok());
  }  // dropped without commit: the ingest stays
  auto st = t.store->Status("ref-1");
  REQUIRE(st.ok());
  CHECK(st->ref == "ref-1");
  CHECK(st->offset == 6);
  CHECK(st->total == 11);
  CHECK(st->expected == kHello);
  CHECK(t.store->ListIngests()->size() == 1);

  auto w = t.store->Writer("ref-1", "", 0);
  REQUIRE(w.ok());
  CHECK((*w)->Offset() == 6);
  REQUIRE((*w)->Write("world").ok());
  auto d = (*w)->Commit(0, "");  // expected digest and size from the first writer
  REQUIRE(d.ok());
  CHECK(*d == kHello);
  CHECK(*t.store->ReadAll(kHello) == "hello world");
  CHECK(absl::IsNotFound(t.store->Status("ref-1").status()));
  CHECK(t.store->ListIngests()->empty());
}

TEST_CASE("content: a commit mismatch is refused and removes the ingest", "[content]") {
  TempStore t;
  auto w = t.store->Writer("ref-bad", "", 0);
  REQUIRE(w.ok());
  REQUIRE((*w)->Write("hello there").ok());
  auto d = (*w)->Commit(11, kHello);
  REQUIRE(absl::IsFailedPrecondition(d.status()));
  CHECK(d.status().message().find("unexpected commit digest sha256:") != std::string::npos);
  CHECK(d.status().message().find(std::string("expected ") + kHello) != std::string::npos);
  CHECK(absl::IsNotFound(t.store->Status("ref-bad").status()));
  CHECK(t.store->List()->empty());

  auto w2 = t.store->Writer("ref-size", "", 0);
  REQUIRE((*w2)->Write("hello world").ok());
  auto d2 = (*w2)->Commit(12, "");
  CHECK(d2.status().message().find("unexpected commit size 11, expected 12") != std::string::npos);
  CHECK(t.store->List()->empty());
}

TEST_CASE("content: committing an existing blob is OK", "[content]") {
  TempStore t;
  REQUIRE(t.store->WriteBlob("hello world").ok());
  auto w = t.store->Writer("again", "", 0);
  REQUIRE((*w)->Write("hello world").ok());
  auto d = (*w)->Commit(11, kHello);
  REQUIRE(d.ok());
  CHECK(t.store->ListIngests()->empty());
}

TEST_CASE("content: one writer per ref; Abort", "[content]") {
  TempStore t;
  auto w1 = t.store->Writer("busy", "", 0);
  REQUIRE(w1.ok());
  absl::Status second;
  std::thread([&] { second = t.store->Writer("busy", "", 0).status(); }).join();
  CHECK(absl::IsFailedPrecondition(second));
  CHECK(second.message() == "ref busy locked");
  CHECK(absl::IsFailedPrecondition(t.store->Abort("busy")));
  w1->reset();
  CHECK(t.store->Abort("busy").ok());
  CHECK(absl::IsNotFound(t.store->Abort("busy")));
  CHECK(absl::IsNotFound(t.store->Status("busy").status()));
  CHECK(t.store->Writer("busy", "", 0).ok());  // free again
}

TEST_CASE("content: concurrent writers of distinct refs", "[content]") {
  TempStore t;
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::vector<absl::StatusOr<std::string>> results(8, absl::UnknownError(""));
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto w = t.store->Writer("r" + std::to_string(i), "", 0);
      if (!w.ok()) {
        results[i] = w.status();
        return;
      }
      for (int k = 0; k < 100; ++k) (void)(*w)->Write(std::string(100, 'a' + i % 3));
      results[i] = (*w)->Commit(10000, "");
    });
  }
  for (auto& th : threads) th.join();
  for (auto& r : results) CHECK(r.ok());
  CHECK(t.store->List()->size() == 3);
}

}  // namespace
}  // namespace berth::manager
