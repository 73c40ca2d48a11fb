// FaultLog: the monitor's record of region faults (region_trust.h). Each discovery round reports
// the faults it found per region directory; a (directory, reason) pair is logged (one warning
// line, `msg="distrusting shared region"`) and counted when it appears, and again only after a
// round without it, so a region that keeps lying costs one line, not one per round.
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "monitor/region_trust.h"

namespace hami::monitor {

class FaultLog {
 public:
  // `containers_dir` prefixes the directory names in log lines.
  explicit FaultLog(std::string containers_dir) : containers_dir_(std::move(containers_dir)) {}

  // This round's faults by directory name; replaces the previous round's.
  void Round(const std::map<std::string, std::vector<RegionFault>>& by_dir);
  // Reason -> faults seen (appearances), cumulative.
  std::map<std::string, uint64_t> Counts() const;

 private:
  const std::string containers_dir_;
  mutable std::mutex mu_;
  std::map<std::string, std::set<std::string>> active_;  // directory -> reasons
  std::map<std::string, uint64_t> counts_;
};

}  // namespace hami::monitor
