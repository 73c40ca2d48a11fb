// RegionScanner: finds, maps and reads the per-container shared regions under <hook>/containers/,
// runs the priority feedback over them, and removes directories of pods that are gone.
//
// Discovery (hami-wire §6.3): each directory <podUID>_<container>; in it the first regular file
// whose name contains ".cache" (names containing "libvgpu.so" ignored); a directory with more than
// two entries is an error; an empty one or one without a cache file is skipped quietly (libvgpu
// has not started there yet). The file must pass DetectLayout; it is mapped MAP_SHARED read-write
// (read-only, without feedback, when the file is not writable for us). Only the two feedback words
// are ever written. A file that is skipped is logged once per (directory, reason, size, mtime) and
// retried at every scan, so a file that becomes valid is picked up.
//
// Safety: regions change size under us only if someone truncates them; every read first copies
// the needed byte ranges out of the mapping under a SIGBUS guard (memcpy only), and a region whose
// file shrank or was replaced is unmapped. A reader never crashes on a bad file.
//
// Thread-safety: all public methods lock one mutex; call them from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "monitor/container_dir.h"
#include "monitor/feedback.h"
#include "monitor/snapshot.h"

namespace hami::monitor {

struct ScannerOptions {
  std::string hook_path;  // regions live in <hook_path>/containers
  std::chrono::system_clock::duration resync = std::chrono::minutes(5);  // cleanup grace
};

struct FeedbackStats {
  int regions = 0;  // regions taking part
  int writes = 0;   // fields changed
};

class RegionScanner {
 public:
  explicit RegionScanner(ScannerOptions options);
  ~RegionScanner();
  RegionScanner(const RegionScanner&) = delete;
  RegionScanner& operator=(const RegionScanner&) = delete;

  // Asked before a directory is removed: true when the pod is confirmed gone (e.g. by a fresh
  // LIST); false keeps the directory for now.
  using ConfirmGone = std::function<bool(const std::string& pod_uid)>;

  // One discovery pass: maps new regions, drops vanished/replaced/shrunk ones, removes the
  // directories ShouldRemoveDir selects and `confirm` (when set) confirms. A missing containers/
  // directory is not an error (nothing has run on this node yet).
  void Scan(const PodPresence& pods, std::chrono::system_clock::time_point now,
            const ConfirmGone& confirm = nullptr);
  // Current values of every mapped region, sorted by directory name.
  std::vector<RegionSample> Read();
  // Called once per region read by a feedback round: the values the region takes part with, or
  // nullopt when it takes no part (region_trust.h decides).
  using FeedbackFilter = std::function<std::optional<FeedbackInput>(const RegionSample&)>;
  // One priority feedback round (feedback.h) over the writable mapped regions `filter` admits;
  // writes changed fields with compare-and-swap against the values read, so a launch that set
  // recent_kernel meanwhile is not overwritten.
  FeedbackStats Feedback(const FeedbackFilter& filter);

  std::map<std::string, int> RegionsByLayout();
  uint64_t errors() const { return errors_; }
  uint64_t dirs_removed() const { return removed_; }
  std::string containers_dir() const { return containers_dir_; }

 private:
  struct Mapped;
  void MapNew(const std::string& name, const ContainerDirName& id);
  bool StillValid(const Mapped& m);
  void Skip(const std::string& name, const std::string& reason, const std::string& key);
  bool Copy(const Mapped& m);  // region bytes -> scratch_, guarded; false = region unreadable

  const ScannerOptions options_;
  const std::string containers_dir_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Mapped>> regions_;  // by directory name
  std::map<std::string, std::string> logged_;               // directory -> last skip key logged
  std::vector<char> scratch_;
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> removed_{0};
};

}  // namespace hami::monitor
