// The libvgpu findings of issue 14, replayed as attacks against libvgpu.so on the simulated
// driver: each test tries to exceed the container's limit through one escape and checks both
// what the application got and what the simulated GPU physically holds (NVML of the simulator,
// read without libvgpu). The numbers in the comments are what the same attack got before.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "region/region.h"
#include "test/shim/probe_child.h"

namespace {

using hami::test::Child;
using hami::test::kMiB;
namespace region = hami::region;

class EscapeTest : public hami::test::ProbeTest {
 protected:
  EscapeTest() : ProbeTest("hami_escape_") {}

  Child Start(const std::map<std::string, std::string>& env) {
    Child c = Spawn(HAMI_ALLOC_PROBE, {}, env);
    setup_ = ReadLine(c);
    return c;
  }

  // Asks for `kind` pieces of `bytes` until refused (at most `max`); returns how many were granted.
  static int Fill(Child& c, const std::string& kind, uint64_t bytes, int max, int dev = 0) {
    int n = 0;
    while (n < max && Ask(c, "a " + kind + " " + std::to_string(bytes) + " " + std::to_string(dev))
                              .rfind("ok", 0) == 0) {
      ++n;
    }
    return n;
  }

  // Maps the region file read-write, as any process of the container can.
  region::SharedRegion* MapRegion() {
    const int fd = open(region_path_.c_str(), O_RDWR);
    EXPECT_GE(fd, 0);
    void* p =
        mmap(nullptr, sizeof(region::SharedRegion), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    EXPECT_NE(p, MAP_FAILED);
    return static_cast<region::SharedRegion*>(p);
  }

  // A foreign exporter (no limit, another container's region) holding two `kind` pieces of
  // 64 MiB (vmmx or poolx) and sending both over the socket to the probes started after it.
  Child ForeignExporter(const std::string& kind) {
    std::map<std::string, std::string> foreign = Env("");
    foreign["CUDA_DEVICE_MEMORY_SHARED_CACHE"] = region_path_ + ".other";
    Child exporter = Start(foreign);
    EXPECT_EQ(setup_, "setup=0");
    EXPECT_EQ(Ask(exporter, "a " + kind + " " + std::to_string(64 * kMiB)), "ok 0");
    EXPECT_EQ(Ask(exporter, "a " + kind + " " + std::to_string(64 * kMiB)), "ok 1");
    EXPECT_EQ(Ask(exporter, "sx 0 " + std::to_string(socket_[0])), "ok");
    EXPECT_EQ(Ask(exporter, "sx 1 " + std::to_string(socket_[0])), "ok");
    return exporter;
  }
  std::string Receive() const { return std::to_string(socket_[1]); }

  void SetUp() override {
    ProbeTest::SetUp();
    // Inherited by the probes: exporters send descriptors on [0], importers receive on [1].
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, socket_), 0);
  }
  void TearDown() override {
    for (int fd : socket_) close(fd);
    ProbeTest::TearDown();
  }

  std::string setup_;
  int socket_[2] = {-1, -1};
};

// Finding: "cuMemRelease of a still-mapped VMM handle returns the budget: 640 MiB held under a
// 100 MiB limit, unbounded".
TEST_F(EscapeTest, VmmHandleReleasedWhileMappedStaysCharged) {
  const uint64_t base = PhysicalUsed(0);
  Child c = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Fill(c, "vmm", 32 * kMiB, 20), 3);  // 96 MiB mapped; the 4th is refused
  EXPECT_LE(PhysicalUsed(0) - base, 100 * kMiB);
  for (int id = 0; id < 3; ++id) EXPECT_EQ(Ask(c, "f " + std::to_string(id)), "ok");
  // Unmapping gave the charge back: the whole limit is available again.
  EXPECT_EQ(Fill(c, "mem", 48 * kMiB, 20), 2);
  EXPECT_EQ(Wait(c), 0);
}

// Finding: "libvgpu charges requested bytes: 2 MiB+1 allocations use 2x the limit, 1-byte ones
// 512x".
TEST_F(EscapeTest, AllocationsAreChargedAtTheirDeviceFootprint) {
  const uint64_t base = PhysicalUsed(0);
  Child c = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Fill(c, "mem", 2 * kMiB + 1, 100), 25);  // 4 MiB each (before: 49, 196 MiB used)
  EXPECT_LE(PhysicalUsed(0) - base, 100 * kMiB);
  EXPECT_EQ(Wait(c), 0);

  Child tiny = Start(Env("1m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Fill(tiny, "mem", 1, 5000), 2048);  // 512 B each (before: all 5000, 2.5 MiB used)
  EXPECT_LE(PhysicalUsed(0) - base, 1 * kMiB);
  EXPECT_EQ(Wait(tiny), 0);
}

// Arrays, 3-D arrays, mipmapped arrays, pitch, managed and async allocations: none is a way past
// the limit.
TEST_F(EscapeTest, EveryArrayAndPoolPathStopsAtTheLimit) {
  const uint64_t base = PhysicalUsed(0);
  for (const char* kind : {"array", "array3d", "mipmap", "pitch", "managed", "async", "pool"}) {
    Child c = Start(Env("100m"));
    ASSERT_EQ(setup_, "setup=0");
    const int n = Fill(c, kind, 24 * kMiB, 50);
    EXPECT_GE(n, 3) << kind;
    EXPECT_LE(n, 4) << kind;
    EXPECT_LE(PhysicalUsed(0) - base, 100 * kMiB) << kind;
    EXPECT_EQ(Wait(c), 0);
    EXPECT_EQ(PhysicalUsed(0), base) << kind;
  }
}

// A pool (or a VMM handle) located on another device is charged to that device's limit, not to
// the current context's device.
TEST_F(EscapeTest, PoolsAndHandlesOfAnotherDeviceAreChargedThere) {
  const std::string gpus = "2xA100-40GB";
  auto env = Env("", gpus);
  env["CUDA_DEVICE_MEMORY_LIMIT_0"] = "4g";
  env["CUDA_DEVICE_MEMORY_LIMIT_1"] = "100m";
  const uint64_t base1 = PhysicalUsed(1, gpus);
  for (const char* kind : {"pool", "vmm"}) {
    Child c = Start(env);
    ASSERT_EQ(setup_, "setup=0");
    EXPECT_EQ(Fill(c, kind, 32 * kMiB, 50, /*dev=*/1), 3) << kind;
    EXPECT_LE(PhysicalUsed(1, gpus) - base1, 100 * kMiB) << kind;
    EXPECT_EQ(Wait(c), 0);
  }
}

// Every extra context costs its overhead on the device (the simulator takes 32 MiB per context).
TEST_F(EscapeTest, ExtraContextsAreCharged) {
  auto env = Env("200m");
  env["HAMI_SIM_CONTEXT_MIB"] = "32";
  env["HAMI_CONTEXT_OVERHEAD"] = "32m";
  const uint64_t base = PhysicalUsed(0);
  Child c = Start(env);
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Fill(c, "ctx", 0, 50), 5);  // the primary context and 5 more: 192 MiB
  EXPECT_LE(PhysicalUsed(0) - base, 200 * kMiB);
  EXPECT_EQ(Ask(c, "f 0"), "ok");
  EXPECT_EQ(Fill(c, "ctx", 0, 50), 1);  // destroying one gave its overhead back
  EXPECT_EQ(Wait(c), 0);
}

// Growing the device malloc heap takes device memory of the context: charged, and refused over
// the limit (the simulator takes the growth as the driver does).
TEST_F(EscapeTest, GrowingTheDeviceHeapIsCharged) {
  const uint64_t base = PhysicalUsed(0);
  Child c = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Ask(c, "heap " + std::to_string(200 * kMiB)), "err 2");
  EXPECT_EQ(Ask(c, "heap " + std::to_string(64 * kMiB)), "ok");
  EXPECT_EQ(Fill(c, "mem", 32 * kMiB, 20), 1);  // 64 - 8 (default heap) + 32 <= 100
  EXPECT_LE(PhysicalUsed(0) - base, 100 * kMiB);
  EXPECT_EQ(Ask(c, "heap " + std::to_string(8 * kMiB)), "ok");  // shrinking gives the 56 back
  EXPECT_EQ(Fill(c, "mem", 32 * kMiB, 20), 2);
  EXPECT_EQ(Wait(c), 0);
}

// Finding: "with all 1023 region slots taken, a new process allocated 1280 MiB under a 100 MiB
// limit; a forked child without a slot does the same, silently".
TEST_F(EscapeTest, NoFreeSlotMeansNoDeviceMemory) {
  region::RegionFile f;
  region::RegionConfig cfg;
  cfg.limit[0] = 100 * kMiB;
  region::Attach attach;
  ASSERT_EQ(f.OpenShared(region_path_.c_str(), cfg, &attach), region::Error::kOk);
  const uint64_t start = region::ProcessStartTime(getpid());
  int taken = 0;
  while (region::ClaimSlot(*f.get(), getpid(), start) >= 0) ++taken;
  ASSERT_EQ(taken, region::kMaxSlots - 1);
  const uint64_t base = PhysicalUsed(0);

  Child c = Start(Env("100m"));
  EXPECT_NE(setup_, "setup=0") << "cuInit must be refused";
  EXPECT_EQ(Fill(c, "mem", 64 * kMiB, 20), 0);
  EXPECT_EQ(PhysicalUsed(0), base);
  EXPECT_EQ(Wait(c), 0);

  // One slot free: the parent takes it, its forked child finds none and gets nothing.
  region::ReleaseSlot(*f.get(), 5);
  Child parent = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Fill(parent, "mem", 64 * kMiB, 20), 1);
  const std::string child = Ask(parent, "fork 33554432");
  EXPECT_NE(Value(child, "child_setup"), 0u) << child;
  EXPECT_NE(Value(child, "child_alloc"), 0u) << child;
  EXPECT_LE(PhysicalUsed(0) - base, 100 * kMiB);
  EXPECT_EQ(Wait(parent), 0);
}

// A forked child with a free slot claims its own and shares the container's limit with its parent
// (it holds none of the parent's allocations).
TEST_F(EscapeTest, AForkedChildIsAccountedInItsOwnSlot) {
  Child parent = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Fill(parent, "mem", 64 * kMiB, 1), 1);
  std::string child = Ask(parent, "fork 50331648");  // 48 MiB: over the limit with the parent's
  EXPECT_EQ(Value(child, "child_setup"), 0u) << child;
  EXPECT_EQ(Value(child, "child_alloc"), 2u) << child;  // CUDA_ERROR_OUT_OF_MEMORY
  child = Ask(parent, "fork 33554432");                 // 32 MiB fits
  EXPECT_EQ(Value(child, "child_alloc"), 0u) << child;
  EXPECT_EQ(Wait(parent), 0);
}

// Finding: "any process in the container can set the region's limit[0]=0, lifting the limit for
// processes already running". Each process holds the limit of its own environment.
TEST_F(EscapeTest, ZeroingTheRegionLimitLiftsNothing) {
  const uint64_t base = PhysicalUsed(0);
  Child a = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Fill(a, "mem", 64 * kMiB, 1), 1);
  region::SharedRegion* r = MapRegion();
  for (uint64_t& l : r->limit) l = 0;  // the attack
  EXPECT_EQ(Fill(a, "mem", 64 * kMiB, 20), 0);
  Child b = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Fill(b, "mem", 64 * kMiB, 20), 0) << "a new process must still see a's usage";
  EXPECT_EQ(Fill(b, "mem", 16 * kMiB, 20), 2);
  EXPECT_LE(PhysicalUsed(0) - base, 100 * kMiB);
  munmap(r, sizeof(*r));
  EXPECT_EQ(Wait(a), 0);
  EXPECT_EQ(Wait(b), 0);
}

// Finding: "garbage in the file turns the limit per-process". Random bytes over every process
// slot and the running totals: nobody is locked out (the garbage slots are reaped), each holder
// restores its own usage from its private ledger at its next call, and from then on the two are
// held to the one limit together. (Between the scribble and a holder's next call its usage is
// invisible to the others: docs/libvgpu.md, "Threat model", lists that window.)
TEST_F(EscapeTest, GarbageInTheSlotsNeitherRaisesNorLowersTheLimit) {
  const uint64_t base = PhysicalUsed(0);
  Child a = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  Child b = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Fill(a, "mem", 40 * kMiB, 1), 1);
  EXPECT_EQ(Fill(b, "mem", 40 * kMiB, 1), 1);
  region::SharedRegion* r = MapRegion();
  std::mt19937_64 rng(14);
  auto* bytes = reinterpret_cast<unsigned char*>(&r->procs[0]);
  for (size_t i = 0; i < sizeof(region::ProcSlot) * region::kControlSlot; ++i) bytes[i] = rng();
  for (int d = 0; d < region::kMaxDevices; ++d) region::Reserved(*r, d) = 0;
  region::HighWater(*r) = 0;
  EXPECT_EQ(Fill(b, "mem", 1 * kMiB, 1), 1);  // b's next call restores its 40 MiB (+1)
  EXPECT_EQ(Fill(a, "mem", 16 * kMiB, 20), 1) << "a restored its 40: 19 MiB were left";
  EXPECT_EQ(Fill(b, "mem", 16 * kMiB, 20), 0);
  EXPECT_EQ(region::SumOfSlots(*r, 0), 97 * kMiB);
  EXPECT_LE(PhysicalUsed(0) - base, 100 * kMiB);
  munmap(r, sizeof(*r));
  EXPECT_EQ(Wait(a), 0);
  EXPECT_EQ(Wait(b), 0);
}

// A corrupt header (impossible words) is refused: the new process gets an error and no memory.
TEST_F(EscapeTest, ACorruptRegionHeaderFailsClosed) {
  Child a = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Wait(a), 0);
  region::SharedRegion* r = MapRegion();
  r->device_num = 1u << 30;
  munmap(r, sizeof(*r));
  Child b = Start(Env("100m"));
  EXPECT_NE(setup_, "setup=0");
  EXPECT_EQ(Fill(b, "mem", 1 * kMiB, 5), 0);
  EXPECT_EQ(Wait(b), 0);
}

// Issue 14: graph memory nodes took device memory at launch without being charged. Now the alloc
// nodes are charged from instantiation: 4 x 64 MiB under 100 MiB is refused before any launch.
TEST_F(EscapeTest, GraphMemoryNodesAreChargedFromInstantiation) {
  const uint64_t base = PhysicalUsed(0);
  Child c = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Ask(c, "g 4 " + std::to_string(64 * kMiB) + " 1"), "err 2");
  EXPECT_EQ(Ask(c, "g 1 " + std::to_string(64 * kMiB) + " 1"), "ok 0");
  EXPECT_EQ(Ask(c, "g 1 " + std::to_string(64 * kMiB) + " 1"), "err 2");  // a second exec
  EXPECT_EQ(Ask(c, "l 0"), "ok");
  EXPECT_GE(PhysicalUsed(0) - base, 64 * kMiB);  // the launch took it (the sim's graph pool)
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 2);   // 64 + 32 of 100
  EXPECT_LE(PhysicalUsed(0) - base, 100 * kMiB);
  EXPECT_EQ(Ask(c, "l 0"), "ok");  // relaunch reuses the pool's memory
  // Destroying the exec leaves the memory cached in the graph pool: still charged.
  EXPECT_EQ(Ask(c, "f 0"), "ok");
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 0);
  // Trimming gives it back to the device, and the charge with it.
  EXPECT_EQ(Ask(c, "trim"), "ok");
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 4);
  EXPECT_LE(PhysicalUsed(0) - base, 100 * kMiB);
  EXPECT_EQ(Wait(c), 0);
}

// Allocations a graph does not free stay live after the launch; the charge stays with them.
TEST_F(EscapeTest, GraphAllocationsWithoutFreeNodesStayCharged) {
  const uint64_t base = PhysicalUsed(0);
  Child c = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Ask(c, "g 2 " + std::to_string(30 * kMiB) + " 0"), "ok 0");  // 2 x 30 MiB -> 64 MiB
  EXPECT_EQ(Ask(c, "l 0"), "ok");
  EXPECT_EQ(Ask(c, "f 0"), "ok");
  EXPECT_EQ(Ask(c, "trim"), "ok");  // the allocations are live: nothing to trim
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 2);
  EXPECT_LE(PhysicalUsed(0) - base, 100 * kMiB);
  EXPECT_EQ(Wait(c), 0);
}

// Issue 14: memory opened from another container's IPC handle was free to the importer. It is
// charged to the importer now, refused over the limit, and given back by cuIpcCloseMemHandle.
TEST_F(EscapeTest, ForeignIpcImportIsChargedAndRefusedOverTheLimit) {
  std::map<std::string, std::string> foreign = Env("");
  foreign["CUDA_DEVICE_MEMORY_SHARED_CACHE"] = region_path_ + ".other";
  Child exporter = Start(foreign);
  ASSERT_EQ(setup_, "setup=0");
  ASSERT_EQ(Ask(exporter, "a mem " + std::to_string(64 * kMiB)), "ok 0");
  ASSERT_EQ(Ask(exporter, "a mem " + std::to_string(64 * kMiB)), "ok 1");
  const std::string h0 = Ask(exporter, "x 0"), h1 = Ask(exporter, "x 1");
  ASSERT_EQ(h0.rfind("h ", 0), 0u) << h0;
  ASSERT_EQ(h1.rfind("h ", 0), 0u) << h1;

  Child c = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Ask(c, "i " + h0.substr(2)), "ok 0");
  EXPECT_EQ(Ask(c, "i " + h1.substr(2)), "err 2");  // 128 MiB of imports under 100
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 2);      // 64 + 32
  EXPECT_EQ(Ask(c, "f 0"), "ok");                   // close gives the charge back
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 4);
  EXPECT_EQ(Wait(c), 0);
  EXPECT_EQ(Wait(exporter), 0);
}

// An import from a process of the same container is charged to the importer as well: no claim
// that the memory is already charged here can be verified (docs/libvgpu.md, "Imported memory"),
// so the container counts it twice rather than risk counting it never.
TEST_F(EscapeTest, SameContainerIpcImportIsChargedToTheImporterToo) {
  Child exporter = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  ASSERT_EQ(Ask(exporter, "a mem " + std::to_string(32 * kMiB)), "ok 0");
  const std::string h0 = Ask(exporter, "x 0");
  ASSERT_EQ(h0.rfind("h ", 0), 0u) << h0;
  Child c = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Ask(c, "i " + h0.substr(2)), "ok 0");  // 32 + 32 of 100
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 2);
  EXPECT_EQ(Ask(c, "f 0"), "ok");
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 2);
  EXPECT_EQ(Wait(c), 0);
  EXPECT_EQ(Wait(exporter), 0);
}

// Issue 14: a VMM handle exported by another container (cuMemExportToShareableHandle, a file
// descriptor passed over a Unix socket) took no budget in the importer. Each mapping of the
// imported handle is charged to the importer now (its size is only known there), refused over
// the limit, and given back when the handle is released and unmapped.
TEST_F(EscapeTest, ForeignVmmImportIsChargedPerMappingAndRefusedOverTheLimit) {
  Child exporter = ForeignExporter("vmmx");
  const uint64_t exported = PhysicalUsed(0);
  Child c = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Ask(c, "iv " + Receive()), "ok 0");
  EXPECT_EQ(Ask(c, "iv " + Receive()), "ok 1");
  EXPECT_EQ(Ask(c, "m 0 " + std::to_string(64 * kMiB)), "ok 2");
  EXPECT_EQ(Ask(c, "m 1 " + std::to_string(64 * kMiB)), "err 2");  // 128 MiB mapped under 100
  EXPECT_EQ(PhysicalUsed(0), exported);         // the imports share the exporter's memory
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 2);  // 64 + 32
  EXPECT_EQ(Ask(c, "f 2"), "ok");               // unmapped, the handle still held: charged
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 0);
  EXPECT_EQ(Ask(c, "f 0"), "ok");  // released too: the memory is gone from here
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 4);
  EXPECT_EQ(Wait(c), 0);
  EXPECT_EQ(Wait(exporter), 0);
}

// An imported VMM handle released while still mapped (normal CUDA practice) keeps its charge
// until the mapping goes too: the driver keeps the memory mapped.
TEST_F(EscapeTest, ImportedVmmHandleReleasedWhileMappedStaysChargedUntilUnmapped) {
  Child exporter = ForeignExporter("vmmx");
  Child c = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Ask(c, "iv " + Receive()), "ok 0");
  EXPECT_EQ(Ask(c, "m 0 " + std::to_string(64 * kMiB)), "ok 1");
  EXPECT_EQ(Ask(c, "f 0"), "ok");               // cuMemRelease while mapped
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 2);  // the 64 MiB mapping is still charged
  EXPECT_EQ(Ask(c, "f 1"), "ok");               // unmapped: now it is gone
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 4);
  EXPECT_EQ(Wait(c), 0);
  EXPECT_EQ(Wait(exporter), 0);
}

// Issue 14: a pointer of a pool exported by another container (cuMemPoolExportToShareableHandle
// + cuMemPoolExportPointer) was free to the importer. cuMemPoolImportPointer is charged to the
// importer now at the allocation's footprint, refused over the limit, and given back when the
// importer frees it.
TEST_F(EscapeTest, ForeignPoolPointerImportIsChargedAndRefusedOverTheLimit) {
  Child exporter = ForeignExporter("poolx");
  const uint64_t exported = PhysicalUsed(0);
  Child c = Start(Env("100m"));
  ASSERT_EQ(setup_, "setup=0");
  EXPECT_EQ(Ask(c, "ip " + Receive()), "ok 0");
  EXPECT_EQ(Ask(c, "ip " + Receive()), "err 2");  // 128 MiB of imports under 100
  EXPECT_EQ(PhysicalUsed(0), exported);           // the import shares the exporter's memory
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 2);    // 64 + 32
  EXPECT_EQ(Ask(c, "f 0"), "ok");                 // cuMemFreeAsync gives the charge back
  EXPECT_EQ(Fill(c, "mem", 16 * kMiB, 20), 4);
  EXPECT_EQ(Wait(c), 0);
  EXPECT_EQ(Wait(exporter), 0);
}

}  // namespace
