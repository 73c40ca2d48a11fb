// Dynamic MIG on a real MIG-mode GPU through the device plugin's own NVML code (NvmlDeviceSource),
// for test/gpu/mig.sh. It touches only the instance it creates.
//
//   mig_probe LIBNVML create        -> "gpu=<uuid> profile=<name> gi=<id> mig_uuid=<uuid>
//   memory_mib=<n>":
//                                      the smallest profile at its first placement no instance
//                                      overlaps; exit 77 when no GPU is in MIG mode
//   mig_probe LIBNVML destroy GI    -> "destroyed gi=<id>": destroys that GPU instance of the first
//                                      MIG-mode GPU, then checks NVML no longer lists it
//   mig_probe LIBNVML list          -> one "gi=<id> profile=<name> mig_uuid=<uuid>" line per
//   instance
// Errors: one line on stderr, exit 1.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "deviceplugin/mig.h"
#include "deviceplugin/nvml_device_source.h"

namespace {

using hami::deviceplugin::GpuInfo;
using hami::deviceplugin::MigInstance;
using hami::deviceplugin::MigProfileInfo;
using hami::deviceplugin::NvmlDeviceSource;

int Fail(const std::string& message) {
  std::fprintf(stderr, "mig_probe: %s\n", message.c_str());
  return 1;
}

int Create(NvmlDeviceSource& source, const GpuInfo& gpu) {
  if (gpu.mig_profiles.empty()) return Fail(gpu.uuid + " reports no MIG profile");
  const MigProfileInfo smallest =
      *std::min_element(gpu.mig_profiles.begin(), gpu.mig_profiles.end(),
                        [](const auto& a, const auto& b) { return a.memory_mib < b.memory_mib; });
  auto existing = source.MigInstances(gpu);
  if (!existing.ok()) return Fail(existing.error().message());
  for (const auto& placement : smallest.placements) {
    const bool taken = std::any_of(existing->begin(), existing->end(), [&](const MigInstance& i) {
      return hami::deviceplugin::Overlaps(i.placement, placement);
    });
    if (taken) continue;
    auto made = source.CreateMigInstance(gpu, smallest, placement);
    if (!made.ok()) return Fail(made.error().message());
    std::printf("gpu=%s profile=%s gi=%u mig_uuid=%s memory_mib=%lld\n", gpu.uuid.c_str(),
                smallest.name.c_str(), made->gpu_instance_id, made->mig_uuid.c_str(),
                static_cast<long long>(smallest.memory_mib));
    return 0;
  }
  return Fail("every placement of " + smallest.name + " on " + gpu.uuid + " is taken");
}

int Destroy(NvmlDeviceSource& source, const GpuInfo& gpu, uint32_t gi) {
  if (auto s = source.DestroyMigInstance(gpu, gi); !s.ok()) return Fail(s.message());
  auto left = source.MigInstances(gpu);
  if (!left.ok()) return Fail(left.error().message());
  for (const auto& i : *left) {
    if (i.gpu_instance_id == gi)
      return Fail("GPU instance " + std::to_string(gi) + " still listed");
  }
  std::printf("destroyed gi=%u\n", gi);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: mig_probe LIBNVML create|list|destroy GI\n");
    return 2;
  }
  auto source = NvmlDeviceSource::Open(argv[1]);
  if (!source.ok()) return Fail(source.error().message());
  auto gpus = (*source)->Discover();
  if (!gpus.ok()) return Fail(gpus.error().message());
  auto gpu =
      std::find_if(gpus->begin(), gpus->end(), [](const GpuInfo& g) { return g.mig_enabled; });
  if (gpu == gpus->end()) {
    std::printf("no GPU in MIG mode\n");
    return 77;
  }
  const std::string command = argv[2];
  if (command == "create") return Create(**source, *gpu);
  if (command == "destroy" && argc == 4) {
    return Destroy(**source, *gpu, static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10)));
  }
  if (command == "list") {
    auto listed = (*source)->MigInstances(*gpu);
    if (!listed.ok()) return Fail(listed.error().message());
    for (const auto& i : *listed) {
      std::printf("gi=%u profile=%s mig_uuid=%s\n", i.gpu_instance_id, i.profile.c_str(),
                  i.mig_uuid.c_str());
    }
    return 0;
  }
  std::fprintf(stderr, "mig_probe: unknown command %s\n", command.c_str());
  return 2;
}
