#include "apps/go_flags.h"

namespace hami::apps {

GoArgs::GoArgs(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i > 0 && arg.rfind("-v=", 0) == 0) arg = "-" + arg;
    args_.push_back(std::move(arg));
  }
  for (auto& arg : args_) pointers_.push_back(arg.data());
}

void AddVerbosityFlag(CLI::App& app, int* verbosity) {
  app.add_option("-v,--v", *verbosity, "klog verbosity (upstream compatibility; >= 4: debug)");
}

}  // namespace hami::apps
