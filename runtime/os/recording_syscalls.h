// A fake Syscalls for unit tests: records every call with its typed
// arguments and answers Lstat/Stat/Readlink from a small in-memory file table.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/os/syscalls.h"

namespace berth::runtime {

struct RecordedCall {
  std::string op;      // "mount", "umount2", "pivot_root", "mkdir", ...
  std::string source;  // mount source, symlink target
  std::string target;  // the path acted on
  std::string fstype;
  unsigned long flags = 0;
  std::string data;

  bool operator==(const RecordedCall&) const = default;
};

class RecordingSyscalls : public Syscalls {
 public:
  std::vector<RecordedCall> calls;
  std::map<std::string, FileKind> files;        // path -> kind (default: missing)
  std::map<std::string, std::string> symlinks;  // path -> link target
  std::map<std::string, absl::Status> fail;     // "op target" -> error to return

  std::vector<RecordedCall> Mounts() const;  // only the mount calls

  absl::Status Mount(const std::string& source, const std::string& target,
                     const std::string& fstype, unsigned long flags,
                     const std::string& data) override {
    return Record({"mount", source, target, fstype, flags, data});
  }
  absl::Status MoveMount(int from_fd, const std::string& target) override {
    return Record({"move_mount", absl::StrCat("fd:", from_fd), target});
  }
  absl::Status Umount2(const std::string& target, int flags) override {
    return Record({"umount2", "", target, "", static_cast<unsigned long>(flags), ""});
  }
  absl::Status PivotRoot(const std::string& new_root, const std::string& put_old) override {
    return Record({"pivot_root", put_old, new_root});
  }
  absl::Status Chroot(const std::string& path) override { return Record({"chroot", "", path}); }
  absl::Status Chdir(const std::string& path) override { return Record({"chdir", "", path}); }
  absl::Status Mkdir(const std::string& path, mode_t mode) override {
    if (!files.count(path)) files[path] = FileKind::kDirectory;
    return Record({"mkdir", "", path, "", mode});
  }
  absl::Status Mknod(const std::string& path, mode_t mode, dev_t dev) override {
    return Record({"mknod", "", path, "", mode, std::to_string(dev)});
  }
  absl::Status Symlink(const std::string& target, const std::string& linkpath) override {
    return Record({"symlink", target, linkpath});
  }
  absl::Status CreateFile(const std::string& path, mode_t mode) override {
    if (!files.count(path)) files[path] = FileKind::kRegular;
    return Record({"create", "", path, "", mode});
  }
  absl::Status Lchown(const std::string& path, uid_t uid, gid_t gid) override {
    return Record({"lchown", "", path, "", uid, std::to_string(gid)});
  }
  FileKind Lstat(const std::string& path) override {
    if (symlinks.count(path)) return FileKind::kSymlink;
    auto it = files.find(path);
    return it == files.end() ? FileKind::kMissing : it->second;
  }
  FileKind Stat(const std::string& path) override { return Lstat(path); }
  absl::StatusOr<std::string> Readlink(const std::string& path) override {
    auto it = symlinks.find(path);
    if (it == symlinks.end()) return absl::InvalidArgumentError("readlink " + path + ": EINVAL");
    return it->second;
  }
  absl::Status Sethostname(const std::string& name) override {
    return Record({"sethostname", "", name});
  }
  absl::Status Setdomainname(const std::string& name) override {
    return Record({"setdomainname", "", name});
  }
  absl::Status WriteFile(const std::string& path, const std::string& data) override {
    return Record({"write", "", path, "", 0, data});
  }
  unsigned long MountFlagsOf(const std::string&) override { return 0; }

 private:
  absl::Status Record(RecordedCall call) {
    auto it = fail.find(call.op + " " + call.target);
    calls.push_back(std::move(call));
    return it == fail.end() ? absl::OkStatus() : it->second;
  }
};

inline std::vector<RecordedCall> RecordingSyscalls::Mounts() const {
  std::vector<RecordedCall> out;
  for (const auto& c : calls) {
    if (c.op == "mount") out.push_back(c);
  }
  return out;
}

}  // namespace berth::runtime
