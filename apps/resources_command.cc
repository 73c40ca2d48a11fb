#include "apps/resources_command.h"

#include <iostream>
#include <memory>
#include <set>

#include "apps/device_config_file.h"
#include "apps/vendor_flags.h"

namespace hami::apps {
namespace {

struct ResourcesFlags {
  std::string config;
  vendor::FlagValues vendor_flags;
  bool with_vendor = false;
};

int Run(const ResourcesFlags& flags) {
  auto config = LoadDeviceConfigFile(flags.config);
  if (!config.ok()) {
    std::cerr << "hami resources: " << config.error().message() << "\n";
    return 1;
  }
  auto registry = vendor::Registry::Create(*config, flags.vendor_flags);
  if (!registry.ok()) {
    std::cerr << "hami resources: " << registry.error().message() << "\n";
    return 1;
  }
  for (const auto& warning : registry->warnings())
    std::cerr << "hami resources: " << warning << "\n";
  std::set<std::string> printed;
  for (const auto& v : registry->vendors()) {
    for (const auto& name : v->ResourceNames()) {
      if (name.empty() || !printed.insert(name).second) continue;
      std::cout << (flags.with_vendor ? v->Name() + " " : "") << name << "\n";
    }
  }
  return 0;
}

}  // namespace

void AddResourcesCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ResourcesFlags>();
  CLI::App* cmd = app.add_subcommand(
      "resources", "List the resource names HAMi manages (kube-scheduler managedResources)");
  cmd->add_option("--config", flags->config, "HAMi device-config.yaml");
  cmd->add_flag("--with-vendor", flags->with_vendor, "prefix each name with its vendor key");
  AddVendorFlags(*cmd, &flags->vendor_flags);
  cmd->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace hami::apps
