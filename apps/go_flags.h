// Flags that upstream HAMi's Go components accept and that its chart passes (klog's -v=N).
// CLI11 reads "-v=4" as the short option "v" with the value "=4", so GoArgs rewrites "-v=N" to
// "--v=N" before parsing; AddVerbosityFlag declares "-v,--v".
// Not thread-safe; use in main only.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace hami::apps {

class GoArgs {
 public:
  GoArgs(int argc, char** argv);
  int argc() const { return static_cast<int>(pointers_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<char*> pointers_;
};

// klog verbosity: accepted for compatibility; the caller maps >= 4 to debug logging.
void AddVerbosityFlag(CLI::App& app, int* verbosity);

}  // namespace hami::apps
