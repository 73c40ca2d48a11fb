// The vendor registry: one explicit line per vendor folder (registry.cc), each building its
// backends from its own block of device-config.yaml and its own scheduler flags. Also the glue
// that turns a pod into the scheduling core's PodInput across all vendors.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/pod.h"
#include "sched/pod_input.h"
#include "sched/policy.h"
#include "vendor/vendor.h"

namespace hami::vendor {

// One command-line flag a vendor adds to hami-scheduler and `hami simulate` (upstream's
// GlobalFlagSet), e.g. --enable-ascend or --cambricon-mlu-name.
struct FlagSpec {
  std::string name;           // without leading dashes
  std::string default_value;  // as upstream's default
  std::string help;
  bool boolean = false;  // a bare `--name` means true
};
// Flag name -> value as given (absent or empty: the FlagSpec default applies).
using FlagValues = std::map<std::string, std::string>;

// The value of flag `name` when given and not empty, else `fallback`.
std::string FlagOr(const FlagValues& flags, const std::string& name, const std::string& fallback);
// FlagOr read as a boolean (true/false, 1/0, as base::ParseBool); anything else is
// InvalidArgument naming the flag and the value.
base::Result<bool> BoolFlagOr(const FlagValues& flags, const std::string& name, bool fallback);

// HAMi's device-config.yaml (converted to JSON), one block per vendor folder; each folder reads
// its own. A null root means the defaults.
struct DeviceConfig {
  nlohmann::json root;
};

// What one vendor folder builds its backends from.
struct ModuleInput {
  const nlohmann::json& block;         // its device-config block (null when absent)
  const FlagValues& flags;             // every vendor flag, defaults applied
  std::vector<std::string>* warnings;  // unknown keys and other accepted oddities, by name
};

// One vendor folder's line in the registry table.
struct VendorModule {
  const char* config_key;  // its device-config.yaml block, e.g. "nvidia", "vnpus"
  std::vector<FlagSpec> flags;
  // Zero or more backends (Ascend: one per configured chip; a gated vendor: none when disabled).
  base::Result<std::vector<std::unique_ptr<Vendor>>> (*create)(const ModuleInput& input);
};

// The registry table, in the order devices are listed on a node.
const std::vector<VendorModule>& Modules();
// Every vendor folder's flags.
std::vector<FlagSpec> VendorFlags();

class Registry {
 public:
  // Every vendor with its defaults (gated vendors off), as with an empty device-config.
  Registry();
  // Builds every vendor from `config` and `flags`. Malformed values are errors naming the key;
  // unknown blocks, unknown keys and unknown flags become warnings().
  static base::Result<Registry> Create(const DeviceConfig& config, const FlagValues& flags = {});

  Registry(Registry&&) noexcept = default;
  Registry& operator=(Registry&&) noexcept = default;

  const std::vector<std::unique_ptr<Vendor>>& vendors() const { return vendors_; }
  const Vendor* Find(const std::string& name) const;
  // Every resource name owned by some vendor.
  std::vector<std::string> ResourceNames() const;
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  struct Empty {};
  explicit Registry(Empty) {}

  std::vector<std::unique_ptr<Vendor>> vendors_;
  std::vector<std::string> warnings_;
};

// Per-container requests (init containers first), selectors, fit hooks and policies of `pod`.
// Only vendors the pod asks for appear in PodInput::vendors.
// Errors name the pod and the offending container/resource/annotation.
base::Result<sched::PodInput> BuildPodInput(const model::Pod& pod, const Registry& registry,
                                            const sched::Policy& defaults);

// Applies every vendor's admission defaults (hami-wire §1.3) to `pod` in place.
// Returns whether any container uses some vendor's resources.
base::Result<bool> AdmitPod(model::Pod& pod, const Registry& registry);

}  // namespace hami::vendor
