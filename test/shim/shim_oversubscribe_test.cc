// Memory oversubscription (CUDA_OVERSUBSCRIBE, docs/libvgpu.md "Oversubscription") on the
// simulated driver: a container whose limit is 1.5x its 2 GiB GPU allocates all of it, the part
// the GPU has no room for backed by host (managed) memory; cuMemGetInfo, NVML and the region
// agree; frees and exit give everything back. Without the switch the GPU stays the boundary, and
// the limit bounds every allocation in both modes. The physical use is read through the simulated
// NVML without libvgpu (probe_child.h).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "region/region.h"
#include "shim/config.h"
#include "test/shim/probe_child.h"
#include "vendor/nvidia/wire.h"

namespace {

using hami::test::Child;
using hami::test::kMiB;
namespace region = hami::region;

// libvgpu reads the name the device plugin writes.
static_assert(std::string_view(hami::shim::kOversubscribeEnv) ==
              hami::vendor::nvidia::kOversubscribeEnv);

constexpr char kGpus[] = "1xA100-2GB";
constexpr uint64_t kGpuBytes = 2048 * kMiB;
constexpr uint64_t kChunk = 256 * kMiB;
constexpr uint64_t kLimit = 3072 * kMiB;  // 1.5x the GPU
constexpr char kOutOfMemory[] = "err 2";  // CUDA_ERROR_OUT_OF_MEMORY

class OversubscribeTest : public hami::test::ProbeTest {
 protected:
  OversubscribeTest() : ProbeTest("hami_oversub_") {}

  std::map<std::string, std::string> OversubEnv(const std::string& limit, const char* value) {
    auto env = Env(limit, kGpus);
    if (value != nullptr) env[hami::vendor::nvidia::kOversubscribeEnv] = value;
    return env;
  }

  Child Start(const std::map<std::string, std::string>& env) {
    Child c = Spawn(HAMI_ALLOC_PROBE, {}, env);
    EXPECT_EQ(ReadLine(c), "setup=0");
    return c;
  }

  // Asks for `kind` chunks until refused (at most `max`); returns how many were granted.
  static int Fill(Child& c, const std::string& kind, int max) {
    int n = 0;
    while (n < max && Ask(c, "a " + kind + " " + std::to_string(kChunk)).rfind("ok", 0) == 0) ++n;
    return n;
  }

  // The container's usage on device 0 as the monitor reads it: the region file.
  uint64_t RegionUsed() {
    const int fd = open(region_path_.c_str(), O_RDONLY);
    if (fd < 0) return UINT64_MAX;
    void* p = mmap(nullptr, sizeof(region::SharedRegion), PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return UINT64_MAX;
    const uint64_t used = region::UsedBytes(*static_cast<const region::SharedRegion*>(p), 0);
    munmap(p, sizeof(region::SharedRegion));
    return used;
  }

  uint64_t Physical() { return PhysicalUsed(0, kGpus); }
};

TEST_F(OversubscribeTest, ContainerAllocatesOneAndAHalfTimesTheGpuAndRunsOnIt) {
  Child c = Start(OversubEnv("3g", "true"));
  EXPECT_EQ(Fill(c, "mem", 20), 12);  // 3 GiB: 8 chunks on the GPU, 4 spilled
  EXPECT_EQ(Physical(), kGpuBytes);   // the spill took no device memory
  EXPECT_EQ(Ask(c, "pm 0"), "managed=0");
  EXPECT_EQ(Ask(c, "pm 7"), "managed=0");
  EXPECT_EQ(Ask(c, "pm 8"), "managed=1");
  EXPECT_EQ(Ask(c, "pm 11"), "managed=1");
  for (int id = 0; id < 12; ++id) EXPECT_EQ(Ask(c, "t " + std::to_string(id)), "ok") << id;
  // cuMemGetInfo, NVML and the region agree: the limit is the total, all of it used.
  std::string info = Ask(c, "info");
  EXPECT_EQ(Value(info, "total"), kLimit) << info;
  EXPECT_EQ(Value(info, "free"), 0u) << info;
  std::string nvml = Ask(c, "nvml");
  EXPECT_EQ(Value(nvml, "ntotal"), kLimit) << nvml;
  EXPECT_EQ(Value(nvml, "nused"), kLimit) << nvml;
  EXPECT_EQ(Value(nvml, "nfree"), 0u) << nvml;
  EXPECT_EQ(RegionUsed(), kLimit);
  // Beyond the limit: refused although the host has room.
  EXPECT_EQ(Ask(c, "a mem " + std::to_string(kChunk)), kOutOfMemory);
  EXPECT_EQ(Ask(c, "a mem 1"), kOutOfMemory);

  // Freeing a spilled chunk and a device chunk returns both charges.
  EXPECT_EQ(Ask(c, "f 11"), "ok");
  EXPECT_EQ(Ask(c, "f 0"), "ok");
  info = Ask(c, "info");
  nvml = Ask(c, "nvml");
  EXPECT_EQ(Value(info, "free"), 2 * kChunk) << info;
  EXPECT_EQ(Value(nvml, "nfree"), 2 * kChunk) << nvml;
  EXPECT_EQ(Value(nvml, "nused"), kLimit - 2 * kChunk) << nvml;
  EXPECT_EQ(RegionUsed(), kLimit - 2 * kChunk);
  EXPECT_EQ(Physical(), kGpuBytes - kChunk);
  // The device chunk's room is used on the GPU again, the other spills again.
  EXPECT_EQ(Fill(c, "mem", 20), 2);
  EXPECT_EQ(Ask(c, "pm 12"), "managed=0");
  EXPECT_EQ(Ask(c, "pm 13"), "managed=1");
  EXPECT_EQ(Physical(), kGpuBytes);

  // Exit returns everything: the GPU and the container's accounting are empty again.
  EXPECT_EQ(Wait(c), 0);
  EXPECT_EQ(Physical(), 0u);
  EXPECT_EQ(RegionUsed(), 0u);
}

TEST_F(OversubscribeTest, WithoutTheSwitchTheGpuIsTheBoundaryAsBefore) {
  for (const char* value : {static_cast<const char*>(nullptr), "false", "garbage"}) {
    const std::string label = value != nullptr ? value : "unset";
    Child c = Start(OversubEnv("3g", value));
    EXPECT_EQ(Fill(c, "mem", 20), 8) << label;  // the GPU is full
    EXPECT_EQ(Ask(c, "a mem " + std::to_string(kChunk)), kOutOfMemory) << label;
    EXPECT_EQ(Ask(c, "pm 0"), "managed=0") << label;
    const std::string info = Ask(c, "info");
    EXPECT_EQ(Value(info, "total"), kGpuBytes) << label << " " << info;  // min(limit, GPU)
    EXPECT_EQ(Value(info, "free"), 0u) << label << " " << info;
    const std::string nvml = Ask(c, "nvml");
    EXPECT_EQ(Value(nvml, "ntotal"), kGpuBytes) << label << " " << nvml;
    EXPECT_EQ(Wait(c), 0);
    EXPECT_EQ(RegionUsed(), 0u);
  }
}

TEST_F(OversubscribeTest, TheLimitBoundsEveryAllocationInBothModes) {
  for (const char* value : {static_cast<const char*>(nullptr), "true"}) {
    const std::string label = value != nullptr ? value : "unset";
    Child c = Start(OversubEnv("1g", value));  // below the GPU: nothing ever spills
    EXPECT_EQ(Fill(c, "mem", 20), 4) << label;
    EXPECT_EQ(Ask(c, "a mem 1"), kOutOfMemory) << label;
    EXPECT_EQ(Ask(c, "pm 3"), "managed=0") << label;
    EXPECT_EQ(Value(Ask(c, "info"), "total"), 1024 * kMiB) << label;
    EXPECT_EQ(Wait(c), 0);
  }
  // No limit: nothing bounds host memory, so nothing spills.
  Child c = Start(OversubEnv("", "true"));
  EXPECT_EQ(Fill(c, "mem", 20), 8);
  EXPECT_EQ(Ask(c, "a mem " + std::to_string(kChunk)), kOutOfMemory);
  EXPECT_EQ(Wait(c), 0);
}

// Hostile: many processes of one container cannot spill past the container's limit together, so
// the host memory the spill takes is bounded by the limit as well.
TEST_F(OversubscribeTest, ProcessesOfOneContainerSpillWithinOneLimit) {
  const auto env = OversubEnv("3g", "true");
  Child a = Start(env);
  Child b = Start(env);
  Child d = Start(env);
  EXPECT_EQ(Fill(a, "mem", 6), 6);
  EXPECT_EQ(Fill(b, "mem", 20) + Fill(d, "mem", 20), 6);  // 2 more on the GPU, 4 spilled
  EXPECT_EQ(RegionUsed(), kLimit);
  EXPECT_EQ(Physical(), kGpuBytes);
  EXPECT_EQ(Wait(b), 0);
  EXPECT_EQ(Wait(d), 0);
  EXPECT_EQ(Fill(a, "mem", 20), 6);
  EXPECT_EQ(RegionUsed(), kLimit);
  EXPECT_EQ(Kill(a), 128 + SIGKILL);
}

// Pitched, stream-ordered and pool allocations spill too, and their frees (cuMemFree_v2,
// cuMemFreeAsync) return the charge.
TEST_F(OversubscribeTest, PitchAsyncAndPoolAllocationsSpill) {
  for (const char* kind : {"pitch", "async", "pool"}) {
    Child c = Start(OversubEnv("3g", "true"));
    EXPECT_EQ(Fill(c, kind, 20), 12) << kind;
    EXPECT_EQ(Physical(), kGpuBytes) << kind;
    EXPECT_EQ(Ask(c, "pm 11"), "managed=1") << kind;
    EXPECT_EQ(Ask(c, "t 11"), "ok") << kind;
    const std::string info = Ask(c, "info");
    EXPECT_EQ(Value(info, "free"), 0u) << kind << " " << info;
    for (int id = 0; id < 12; ++id) EXPECT_EQ(Ask(c, "f " + std::to_string(id)), "ok") << kind;
    EXPECT_EQ(RegionUsed(), 0u) << kind;
    EXPECT_EQ(Value(Ask(c, "info"), "free"), kLimit) << kind;
    EXPECT_EQ(Fill(c, "mem", 20), 12) << kind;
    EXPECT_EQ(Wait(c), 0);
  }
}

}  // namespace
