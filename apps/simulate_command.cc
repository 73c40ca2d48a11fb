#include "apps/simulate_command.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "apps/device_config_file.h"
#include "apps/vendor_flags.h"
#include "simulate/manifest.h"
#include "simulate/report.h"
#include "simulate/simulate.h"

namespace hami::apps {
namespace {

struct SimulateFlags {
  std::string nodes;
  std::string pods;
  std::string node_policy = "binpack";
  std::string gpu_policy = "spread";
  std::string config;
  std::string output = "table";
  vendor::FlagValues vendor_flags;
};

int Run(const SimulateFlags& flags) {
  simulate::Options options;
  options.defaults.node = sched::ParseNodePolicy(flags.node_policy);
  if (auto valid = sched::ValidateGpuPolicy(flags.gpu_policy); !valid.ok()) {
    std::cerr << "hami simulate: --gpu-policy: " << valid.message() << "\n";
    return 1;
  }
  options.defaults.gpu = sched::ParseGpuPolicy(flags.gpu_policy);
  options.flags = flags.vendor_flags;
  auto config = LoadDeviceConfigFile(flags.config);
  if (!config.ok()) {
    std::cerr << "hami simulate: " << config.error().message() << "\n";
    return 1;
  }
  options.devices = *config;
  std::vector<nlohmann::json> objects;
  for (const std::string& path : {flags.nodes, flags.pods}) {
    auto loaded = simulate::LoadManifests(path);
    if (!loaded.ok()) {
      std::cerr << "hami simulate: " << loaded.error().message() << "\n";
      return 1;
    }
    for (auto& obj : *loaded) objects.push_back(std::move(obj));
  }
  auto result = simulate::Run(objects, options);
  if (!result.ok()) {
    std::cerr << "hami simulate: " << result.error().message() << "\n";
    return 1;
  }
  for (const auto& warning : result->warnings) std::cerr << "hami simulate: " << warning << "\n";
  if (flags.output == "json") {
    std::cout << simulate::ReportJson(*result).dump(2) << "\n";
  } else {
    std::cout << simulate::ReportTable(*result);
  }
  return 0;
}

}  // namespace

void AddSimulateCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<SimulateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "simulate",
      "Place pods on GPU nodes offline with the scheduler's own core (capacity planning)");
  cmd->add_option("--nodes", flags->nodes, "Node manifests (YAML/JSON, multi-document or List)")
      ->required();
  cmd->add_option("--pods", flags->pods, "Pod (and ResourceQuota) manifests, placed in file order")
      ->required();
  cmd->add_option("--node-policy", flags->node_policy, "binpack or spread")
      ->check(CLI::IsMember({"binpack", "spread"}))
      ->capture_default_str();
  cmd->add_option("--gpu-policy", flags->gpu_policy,
                  "binpack, spread, topology-aware, mutex, numa, or a comma chain")
      ->capture_default_str();
  cmd->add_option("--config", flags->config, "HAMi device-config.yaml (every vendor's block)");
  cmd->add_option("--output", flags->output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  AddVendorFlags(*cmd, &flags->vendor_flags);
  cmd->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace hami::apps
