#include "vendor/ascend/config.h"

#include <algorithm>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "vendor/ascend/wire.h"
#include "vendor/config_block.h"

namespace hami::vendor::ascend {

std::optional<TrimmedMemory> AscendChip::Trim(int64_t mib) const {
  for (const auto& t : templates) {
    if (mib <= t.memory) return TrimmedMemory{t.memory, t.name};
  }
  if (mib <= memory_capacity && memory_allocatable > 0) {
    return TrimmedMemory{memory_allocatable, ""};
  }
  return std::nullopt;
}

namespace {

AscendChip Chip(const char* chip_name, const std::string& cw, int64_t allocatable, int64_t capacity,
                int32_t ai_core, int32_t ai_cpu, std::vector<AscendTemplate> templates) {
  AscendChip c;
  c.chip_name = chip_name;
  c.common_word = cw;
  c.resource_name = Join(kResourcePrefix, cw);
  c.resource_memory_name = Join(kResourcePrefix, cw, kMemorySuffix);
  c.memory_allocatable = allocatable;
  c.memory_capacity = capacity;
  c.ai_core = ai_core;
  c.ai_cpu = ai_cpu;
  c.templates = std::move(templates);
  return c;
}

}  // namespace

std::vector<AscendChip> DefaultChips() {
  return {
      Chip("910A", "Ascend910A", 32768, 32768, 30, 0,
           {{"vir02", 2184, 2, 0},
            {"vir04", 4369, 4, 0},
            {"vir08", 8738, 8, 0},
            {"vir16", 17476, 16, 0}}),
      Chip("910B2", "Ascend910B2", 65536, 65536, 24, 6,
           {{"vir03_1c_8g", 8192, 3, 1},
            {"vir06_1c_16g", 16384, 6, 1},
            {"vir12_3c_32g", 32768, 12, 3}}),
      Chip("910B3", "Ascend910B3", 65536, 65536, 20, 7,
           {{"vir05_1c_16g", 16384, 5, 1}, {"vir10_3c_32g", 32768, 10, 3}}),
      Chip("910B4", "Ascend910B4", 32768, 32768, 20, 7,
           {{"vir05_1c_8g", 8192, 5, 1}, {"vir10_3c_16g", 16384, 10, 3}}),
      Chip("310P3", "Ascend310P", 21527, 24576, 8, 7,
           {{"vir01", 3072, 1, 1}, {"vir02", 6144, 2, 2}, {"vir04", 12288, 4, 4}}),
  };
}

namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

base::Status InRange(const std::string& path, const char* key, int64_t value, int64_t low) {
  if (value >= low && value <= kInt32Max) return {};
  return base::InvalidArgument("device config: " + path + "." + key + ": " + std::to_string(value) +
                               " must be within " + std::to_string(low) + ".." +
                               std::to_string(kInt32Max));
}

base::Result<AscendTemplate> TemplateFrom(const nlohmann::json& entry, const std::string& path,
                                          std::vector<std::string>* warnings) {
  ConfigBlock b(entry, path);
  HAMI_RETURN_IF_ERROR(b.Check());
  AscendTemplate t;
  HAMI_RETURN_IF_ERROR(b.String("name", &t.name));
  HAMI_RETURN_IF_ERROR(b.Int("memory", &t.memory));
  HAMI_RETURN_IF_ERROR(b.Int("aiCore", &t.ai_core));
  HAMI_RETURN_IF_ERROR(b.Int("aiCPU", &t.ai_cpu));
  if (warnings != nullptr) b.WarnUnknown(warnings);
  if (t.name.empty()) return base::InvalidArgument("device config: " + path + ".name: must be set");
  HAMI_RETURN_IF_ERROR(InRange(path, "memory", t.memory, 1));
  return t;
}

// Entry keys other than commonWord, the resource names and the templates.
base::Status ReadChipScalars(ConfigBlock& b, AscendChip* c) {
  HAMI_RETURN_IF_ERROR(b.String("chipName", &c->chip_name));
  HAMI_RETURN_IF_ERROR(b.Int("memoryAllocatable", &c->memory_allocatable));
  HAMI_RETURN_IF_ERROR(b.Int("memoryCapacity", &c->memory_capacity));
  HAMI_RETURN_IF_ERROR(b.Int("memoryFactor", &c->memory_factor));
  HAMI_RETURN_IF_ERROR(b.Int("aiCore", &c->ai_core));
  HAMI_RETURN_IF_ERROR(b.Int("aiCPU", &c->ai_cpu));
  HAMI_RETURN_IF_ERROR(b.String("runtimeClassName", &c->runtime_class_name));
  HAMI_RETURN_IF_ERROR(b.Bool("overwriteEnv", &c->overwrite_env));
  HAMI_RETURN_IF_ERROR(b.Bool("superPod", &c->super_pod));
  HAMI_RETURN_IF_ERROR(InRange(b.path(), "memoryAllocatable", c->memory_allocatable, 0));
  HAMI_RETURN_IF_ERROR(InRange(b.path(), "memoryCapacity", c->memory_capacity, 0));
  return InRange(b.path(), "memoryFactor", c->memory_factor, 0);
}

// `defaults` carries the block-level overwriteEnv / runtimeClassName.
base::Result<AscendChip> ChipFrom(const nlohmann::json& entry, const std::string& path,
                                  const AscendChip& defaults, std::vector<std::string>* warnings) {
  ConfigBlock b(entry, path);
  HAMI_RETURN_IF_ERROR(b.Check());
  AscendChip c;
  HAMI_RETURN_IF_ERROR(b.String("commonWord", &c.common_word));
  if (c.common_word.empty()) {
    return base::InvalidArgument("device config: " + path + ".commonWord: must be set");
  }
  c.chip_name = c.common_word;
  c.resource_name = Join(kResourcePrefix, c.common_word);
  c.resource_memory_name = Join(kResourcePrefix, c.common_word, kMemorySuffix);
  c.overwrite_env = defaults.overwrite_env;
  c.runtime_class_name = defaults.runtime_class_name;
  HAMI_RETURN_IF_ERROR(b.String("resourceName", &c.resource_name));
  HAMI_RETURN_IF_ERROR(b.String("resourceMemoryName", &c.resource_memory_name));
  HAMI_RETURN_IF_ERROR(b.String("resourceCoreName", &c.resource_core_name));
  if (c.resource_name.empty()) {
    return base::InvalidArgument("device config: " + path + ".resourceName: must not be empty");
  }
  HAMI_RETURN_IF_ERROR(ReadChipScalars(b, &c));
  HAMI_ASSIGN_OR_RETURN(auto templates, ListOf(b, "templates"));
  for (size_t i = 0; i < templates.size(); ++i) {
    const std::string at = path + ".templates[" + std::to_string(i) + "]";
    HAMI_ASSIGN_OR_RETURN(auto t, TemplateFrom(templates[i], at, warnings));
    c.templates.push_back(std::move(t));
  }
  std::stable_sort(
      c.templates.begin(), c.templates.end(),
      [](const AscendTemplate& a, const AscendTemplate& b) { return a.memory < b.memory; });
  if (warnings != nullptr) b.WarnUnknown(warnings);
  return c;
}

base::Result<std::vector<AscendChip>> ChipsFrom(const nlohmann::json& list, const std::string& path,
                                                const AscendChip& defaults,
                                                std::vector<std::string>* warnings) {
  std::vector<AscendChip> chips;
  std::set<std::string> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    HAMI_ASSIGN_OR_RETURN(AscendChip chip, ChipFrom(list[i], at, defaults, warnings));
    if (!seen.insert(chip.common_word).second) {
      return base::InvalidArgument("device config: " + at + ".commonWord: " + chip.common_word +
                                   " is configured twice");
    }
    chips.push_back(std::move(chip));
  }
  return chips;
}

}  // namespace

base::Result<AscendConfig> AscendConfigFrom(const nlohmann::json& vnpus,
                                            std::vector<std::string>* warnings) {
  AscendConfig config;
  if (vnpus.is_null()) {
    config.chips = DefaultChips();
    return config;
  }
  AscendChip defaults;
  if (vnpus.is_array()) {
    HAMI_ASSIGN_OR_RETURN(config.chips, ChipsFrom(vnpus, kConfigBlock, defaults, warnings));
    return config;
  }
  ConfigBlock b(vnpus, kConfigBlock);
  HAMI_RETURN_IF_ERROR(b.Check());
  HAMI_RETURN_IF_ERROR(b.Bool("hamiVnpuCore", &config.hami_vnpu_core));
  HAMI_RETURN_IF_ERROR(b.Bool("overwriteEnv", &defaults.overwrite_env));
  HAMI_RETURN_IF_ERROR(b.String("runtimeClassName", &defaults.runtime_class_name));
  const nlohmann::json* configs = b.Raw("configs");
  if (configs == nullptr) {
    config.chips = DefaultChips();
    for (auto& chip : config.chips) {
      chip.overwrite_env = defaults.overwrite_env;
      chip.runtime_class_name = defaults.runtime_class_name;
    }
  } else if (!configs->is_array()) {
    return base::InvalidArgument(std::string("device config: ") + kConfigBlock +
                                 ".configs: expected a list, got " + configs->dump());
  } else {
    HAMI_ASSIGN_OR_RETURN(config.chips, ChipsFrom(*configs, std::string(kConfigBlock) + ".configs",
                                                  defaults, warnings));
  }
  if (warnings != nullptr) b.WarnUnknown(warnings);
  return config;
}

}  // namespace hami::vendor::ascend
