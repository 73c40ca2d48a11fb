// The simulated driver through its C ABI (dlopen), one process per scenario: initialization,
// devices, memory until out-of-memory, frees, contexts, VMM/pools/arrays, cuGetProcAddress and
// memory shared between processes.
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gpuapi/cuda_functions.h"
#include "gpuapi/nvml_functions.h"
#include "sim/sim_test_util.h"

namespace hami::sim::testing {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

class SimIntegration : public SimMachineTest {};

// cuInit + primary context of device 0 made current.
void StartOnDevice(const Driver& d, CUdevice dev) {
  ASSERT_EQ(CU(d, cuInit)(0), CUDA_SUCCESS);
  CUcontext ctx = nullptr;
  ASSERT_EQ(CU(d, cuDevicePrimaryCtxRetain)(&ctx, dev), CUDA_SUCCESS);
  ASSERT_EQ(CU(d, cuCtxSetCurrent)(ctx), CUDA_SUCCESS);
}

TEST_F(SimIntegration, NoGpuConfigured) {
  EXPECT_EQ(RunInChild(Machine("<unset>"),
                       [] {
                         Driver d = LoadDriver();
                         CUdeviceptr p = 0;
                         EXPECT_EQ(CU(d, cuMemAlloc_v2)(&p, 1), CUDA_ERROR_NOT_INITIALIZED);
                         EXPECT_EQ(CU(d, cuInit)(0), CUDA_ERROR_NO_DEVICE);
                         int count = -1;
                         EXPECT_EQ(CU(d, cuDeviceGetCount)(&count), CUDA_SUCCESS);
                         EXPECT_EQ(count, 0);
                         EXPECT_EQ(NVML(d, nvmlInit_v2)(), NVML_SUCCESS);
                         unsigned n = 7;
                         EXPECT_EQ(NVML(d, nvmlDeviceGetCount_v2)(&n), NVML_SUCCESS);
                         EXPECT_EQ(n, 0u);
                       }),
            0);
}

TEST_F(SimIntegration, MalformedConfigFailsInitWithOneLine) {
  EXPECT_EQ(RunInChild(Machine("2xA100-forty"),
                       [] {
                         char path[] = "/tmp/hami-sim-stderr-XXXXXX";
                         int fd = mkstemp(path);
                         int saved = dup(2);
                         dup2(fd, 2);
                         Driver d = LoadDriver();
                         CUresult cu = CU(d, cuInit)(0);
                         nvmlReturn_t nv = NVML(d, nvmlInit_v2)();
                         dup2(saved, 2);
                         EXPECT_NE(cu, CUDA_SUCCESS);
                         EXPECT_NE(nv, NVML_SUCCESS);
                         EXPECT_EQ(CU(d, cuInit)(0),
                                   cu);  // the failure is remembered, not printed again
                         char text[512] = {};
                         pread(fd, text, sizeof(text) - 1, 0);
                         unlink(path);
                         std::string err = text;
                         EXPECT_NE(err.find("HAMI_SIM_GPUS"), std::string::npos) << err;
                         EXPECT_NE(err.find("2xA100-forty"), std::string::npos) << err;
                         // One line from each library that was initialised.
                         EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 2) << err;
                       }),
            0);
}

TEST_F(SimIntegration, DevicesAsConfigured) {
  EXPECT_EQ(RunInChild(
                Machine("2xA100-40GB,1xT4-16GB"),
                [] {
                  Driver d = LoadDriver();
                  int count = 0;
                  EXPECT_EQ(CU(d, cuDeviceGetCount)(&count), CUDA_ERROR_NOT_INITIALIZED);
                  ASSERT_EQ(CU(d, cuInit)(0), CUDA_SUCCESS);
                  ASSERT_EQ(CU(d, cuDeviceGetCount)(&count), CUDA_SUCCESS);
                  EXPECT_EQ(count, 3);
                  char name[64];
                  ASSERT_EQ(CU(d, cuDeviceGetName)(name, sizeof(name), 2), CUDA_SUCCESS);
                  EXPECT_STREQ(name, "Tesla T4");
                  size_t total = 0;
                  ASSERT_EQ(CU(d, cuDeviceTotalMem_v2)(&total, 0), CUDA_SUCCESS);
                  EXPECT_EQ(total, 40 * kGiB);
                  int sms = 0;
                  ASSERT_EQ(CU(d, cuDeviceGetAttribute)(
                                &sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 0),
                            CUDA_SUCCESS);
                  EXPECT_EQ(sms, 108);
                  CUdevice dev = 0;
                  EXPECT_EQ(CU(d, cuDeviceGet)(&dev, 3), CUDA_ERROR_INVALID_DEVICE);
                  EXPECT_EQ(CU(d, cuDeviceGetAttribute)(
                                &sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 3),
                            CUDA_ERROR_INVALID_DEVICE);

                  // NVML sees the same GPUs: UUID bytes and PCI bus ids agree.
                  ASSERT_EQ(NVML(d, nvmlInit_v2)(), NVML_SUCCESS);
                  nvmlDevice_t h = nullptr;
                  ASSERT_EQ(NVML(d, nvmlDeviceGetHandleByIndex_v2)(2, &h), NVML_SUCCESS);
                  char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
                  ASSERT_EQ(NVML(d, nvmlDeviceGetUUID)(h, uuid, sizeof(uuid)), NVML_SUCCESS);
                  EXPECT_EQ(NVML(d, nvmlDeviceGetUUID)(h, uuid, 10), NVML_ERROR_INSUFFICIENT_SIZE);
                  CUuuid raw;
                  ASSERT_EQ(CU(d, cuDeviceGetUuid_v2)(&raw, 2), CUDA_SUCCESS);
                  char hex[3];
                  std::snprintf(hex, sizeof(hex), "%02x", static_cast<unsigned char>(raw.bytes[0]));
                  EXPECT_EQ(std::string(uuid).substr(4, 2), hex);
                  nvmlDevice_t by_uuid = nullptr;
                  EXPECT_EQ(NVML(d, nvmlDeviceGetHandleByUUID)(uuid, &by_uuid), NVML_SUCCESS);
                  EXPECT_EQ(by_uuid, h);
                  nvmlPciInfo_t pci;
                  ASSERT_EQ(NVML(d, nvmlDeviceGetPciInfo_v3)(h, &pci), NVML_SUCCESS);
                  int bus = 0;
                  ASSERT_EQ(CU(d, cuDeviceGetAttribute)(&bus, CU_DEVICE_ATTRIBUTE_PCI_BUS_ID, 2),
                            CUDA_SUCCESS);
                  EXPECT_EQ(pci.bus, static_cast<unsigned>(bus));
                  unsigned mig = 9, pending = 9;
                  EXPECT_EQ(NVML(d, nvmlDeviceGetMigMode)(h, &mig, &pending),
                            NVML_ERROR_NOT_SUPPORTED);  // T4
                  ASSERT_EQ(NVML(d, nvmlDeviceGetHandleByIndex_v2)(0, &h), NVML_SUCCESS);
                  EXPECT_EQ(NVML(d, nvmlDeviceGetMigMode)(h, &mig, &pending), NVML_SUCCESS);
                  EXPECT_EQ(mig, static_cast<unsigned>(NVML_DEVICE_MIG_DISABLE));
                }),
            0);
}

TEST_F(SimIntegration, VisibleDevicesReorderCudaButNotNvml) {
  EXPECT_EQ(RunInChild(Machine("2xA100-40GB,1xT4-16GB", {{"CUDA_VISIBLE_DEVICES", "2,0"}}),
                       [] {
                         Driver d = LoadDriver();
                         ASSERT_EQ(CU(d, cuInit)(0), CUDA_SUCCESS);
                         int count = 0;
                         CU(d, cuDeviceGetCount)(&count);
                         EXPECT_EQ(count, 2);
                         char name[64];
                         CU(d, cuDeviceGetName)(name, sizeof(name), 0);
                         EXPECT_STREQ(name, "Tesla T4");
                         ASSERT_EQ(NVML(d, nvmlInit_v2)(), NVML_SUCCESS);
                         unsigned n = 0;
                         NVML(d, nvmlDeviceGetCount_v2)(&n);
                         EXPECT_EQ(n, 3u);
                       }),
            0);
}

TEST_F(SimIntegration, AllocateUntilOutOfMemoryAndFree) {
  EXPECT_EQ(
      RunInChild(
          Machine("T4-16GB"),
          [] {
            Driver d = LoadDriver();
            ASSERT_EQ(CU(d, cuInit)(0), CUDA_SUCCESS);
            CUdeviceptr p = 0;
            EXPECT_EQ(CU(d, cuMemAlloc_v2)(&p, kMiB), CUDA_ERROR_INVALID_CONTEXT);
            StartOnDevice(d, 0);
            EXPECT_EQ(CU(d, cuMemAlloc_v2)(&p, 0), CUDA_ERROR_INVALID_VALUE);
            EXPECT_EQ(CU(d, cuMemAlloc_v2)(nullptr, 1), CUDA_ERROR_INVALID_VALUE);
            CUdeviceptr small = 0;
            ASSERT_EQ(CU(d, cuMemAlloc_v2)(&small, 100), CUDA_SUCCESS);
            EXPECT_EQ(small % 256, 0u);
            std::vector<CUdeviceptr> chunks;
            CUresult r = CUDA_SUCCESS;
            while ((r = CU(d, cuMemAlloc_v2)(&p, kGiB)) == CUDA_SUCCESS) {
              EXPECT_EQ(p % (2 * kMiB), 0u);
              chunks.push_back(p);
              ASSERT_LT(chunks.size(), 100u);
            }
            EXPECT_EQ(r, CUDA_ERROR_OUT_OF_MEMORY);
            EXPECT_EQ(chunks.size(),
                      15u);  // the 100-byte allocation took the last page of the 16th
            size_t free = 1, total = 0;
            ASSERT_EQ(CU(d, cuMemGetInfo_v2)(&free, &total), CUDA_SUCCESS);
            EXPECT_EQ(total, 16 * kGiB);
            EXPECT_LT(free, kGiB);
            EXPECT_EQ(CU(d, cuMemGetInfo_v2)(nullptr, &total), CUDA_ERROR_INVALID_VALUE);

            EXPECT_EQ(CU(d, cuMemFree_v2)(0x1234), CUDA_ERROR_INVALID_VALUE);  // unknown pointer
            EXPECT_EQ(CU(d, cuMemFree_v2)(chunks[0] + 512), CUDA_ERROR_INVALID_VALUE);  // interior
            EXPECT_EQ(CU(d, cuMemFree_v2)(0), CUDA_SUCCESS);
            for (CUdeviceptr c : chunks) {
              EXPECT_EQ(CU(d, cuMemFree_v2)(c), CUDA_SUCCESS);
            }
            EXPECT_EQ(CU(d, cuMemFree_v2)(chunks[0]), CUDA_ERROR_INVALID_VALUE);  // double free
            EXPECT_EQ(CU(d, cuMemFree_v2)(small), CUDA_SUCCESS);
            ASSERT_EQ(CU(d, cuMemGetInfo_v2)(&free, &total), CUDA_SUCCESS);
            EXPECT_EQ(free, total);

            // Pitch, managed and copies.
            size_t pitch = 0;
            ASSERT_EQ(CU(d, cuMemAllocPitch_v2)(&p, &pitch, 1000, 10, 4), CUDA_SUCCESS);
            EXPECT_EQ(pitch, 1024u);
            EXPECT_EQ(CU(d, cuMemAllocPitch_v2)(&p, &pitch, 1000, 10, 3), CUDA_ERROR_INVALID_VALUE);
            char host[64] = {};
            EXPECT_EQ(CU(d, cuMemcpyHtoD_v2)(p, host, sizeof(host)), CUDA_SUCCESS);
            EXPECT_EQ(CU(d, cuMemcpyHtoD_v2)(p + 10230, host, sizeof(host)),
                      CUDA_ERROR_INVALID_VALUE);
            CUdeviceptr managed = 0;
            ASSERT_EQ(CU(d, cuMemAllocManaged)(&managed, kMiB, CU_MEM_ATTACH_GLOBAL), CUDA_SUCCESS);
            unsigned type = 0;
            ASSERT_EQ(
                CU(d, cuPointerGetAttribute)(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE, managed),
                CUDA_SUCCESS);
            EXPECT_EQ(type, static_cast<unsigned>(CU_MEMORYTYPE_UNIFIED));
            EXPECT_EQ(CU(d, cuPointerGetAttribute)(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE, 0x99),
                      CUDA_ERROR_INVALID_VALUE);
          }),
      0);
}

// Managed memory lives in host memory (it never migrates here): a full GPU still hands it out,
// NVML and cuMemGetInfo do not count it, copies and memsets reach it, cuMemAdvise is validated.
TEST_F(SimIntegration, ManagedMemoryTakesNoDeviceMemory) {
  EXPECT_EQ(
      RunInChild(
          Machine("A100-1GB"),
          [] {
            Driver d = LoadDriver();
            StartOnDevice(d, 0);
            ASSERT_EQ(NVML(d, nvmlInit_v2)(), NVML_SUCCESS);
            nvmlDevice_t h = nullptr;
            ASSERT_EQ(NVML(d, nvmlDeviceGetHandleByIndex_v2)(0, &h), NVML_SUCCESS);
            CUdeviceptr full = 0, more = 0, managed = 0;
            ASSERT_EQ(CU(d, cuMemAlloc_v2)(&full, kGiB), CUDA_SUCCESS);
            EXPECT_EQ(CU(d, cuMemAlloc_v2)(&more, 1), CUDA_ERROR_OUT_OF_MEMORY);
            ASSERT_EQ(CU(d, cuMemAllocManaged)(&managed, 2 * kGiB, CU_MEM_ATTACH_GLOBAL),
                      CUDA_SUCCESS);
            EXPECT_EQ(CU(d, cuMemsetD8_v2)(managed, 1, 2 * kGiB), CUDA_SUCCESS);
            char host[64] = {};
            EXPECT_EQ(CU(d, cuMemcpyHtoD_v2)(managed + kGiB, host, sizeof(host)), CUDA_SUCCESS);
            nvmlMemory_t m{};
            ASSERT_EQ(NVML(d, nvmlDeviceGetMemoryInfo)(h, &m), NVML_SUCCESS);
            EXPECT_EQ(m.used, kGiB);
            unsigned n = 4;
            nvmlProcessInfo_t infos[4];
            ASSERT_EQ(NVML(d, nvmlDeviceGetComputeRunningProcesses_v3)(h, &n, infos), NVML_SUCCESS);
            ASSERT_EQ(n, 1u);
            EXPECT_EQ(infos[0].usedGpuMemory, kGiB);
            size_t free = 1, total = 0;
            ASSERT_EQ(CU(d, cuMemGetInfo_v2)(&free, &total), CUDA_SUCCESS);
            EXPECT_EQ(free, 0u);

            auto advise = CU(d, cuMemAdvise);
            EXPECT_EQ(
                advise(managed, 2 * kGiB, CU_MEM_ADVISE_SET_PREFERRED_LOCATION, CU_DEVICE_CPU),
                CUDA_SUCCESS);
            EXPECT_EQ(advise(managed, kMiB, CU_MEM_ADVISE_SET_ACCESSED_BY, 0), CUDA_SUCCESS);
            EXPECT_EQ(advise(managed, kMiB, CU_MEM_ADVISE_SET_ACCESSED_BY, 7),
                      CUDA_ERROR_INVALID_DEVICE);
            EXPECT_EQ(advise(managed, 2 * kGiB + 1, CU_MEM_ADVISE_SET_ACCESSED_BY, 0),
                      CUDA_ERROR_INVALID_VALUE);
            EXPECT_EQ(advise(managed, kMiB, static_cast<CUmem_advise>(99), 0),
                      CUDA_ERROR_INVALID_VALUE);
            EXPECT_EQ(advise(full, kMiB, CU_MEM_ADVISE_SET_ACCESSED_BY, 0),
                      CUDA_ERROR_INVALID_VALUE);  // not managed memory

            EXPECT_EQ(CU(d, cuMemFree_v2)(managed), CUDA_SUCCESS);
            ASSERT_EQ(NVML(d, nvmlDeviceGetMemoryInfo)(h, &m), NVML_SUCCESS);
            EXPECT_EQ(m.used, kGiB);
            EXPECT_EQ(CU(d, cuMemsetD8_v2)(managed, 1, 1), CUDA_ERROR_INVALID_VALUE);
          }),
      0);
}

TEST_F(SimIntegration, ContextsChargeOverheadAndFreeTheirMemory) {
  EXPECT_EQ(RunInChild(
                Machine("A100-40GB", {{"HAMI_SIM_CONTEXT_MIB", "300"}}),
                [] {
                  Driver d = LoadDriver();
                  ASSERT_EQ(CU(d, cuInit)(0), CUDA_SUCCESS);
                  ASSERT_EQ(NVML(d, nvmlInit_v2)(), NVML_SUCCESS);
                  nvmlDevice_t h = nullptr;
                  NVML(d, nvmlDeviceGetHandleByIndex_v2)(0, &h);
                  auto used = [&] {
                    nvmlMemory_t m{};
                    NVML(d, nvmlDeviceGetMemoryInfo)(h, &m);
                    return m.used;
                  };
                  auto processes = [&] {
                    unsigned n = 8;
                    nvmlProcessInfo_t infos[8];
                    EXPECT_EQ(NVML(d, nvmlDeviceGetComputeRunningProcesses_v3)(h, &n, infos),
                              NVML_SUCCESS);
                    return std::vector<nvmlProcessInfo_t>(infos, infos + n);
                  };
                  EXPECT_EQ(used(), 0u);
                  EXPECT_TRUE(processes().empty());
                  CUcontext primary = nullptr;
                  ASSERT_EQ(CU(d, cuDevicePrimaryCtxRetain)(&primary, 0), CUDA_SUCCESS);
                  EXPECT_EQ(used(), 300 * kMiB);
                  auto list = processes();
                  ASSERT_EQ(list.size(), 1u);
                  EXPECT_EQ(list[0].pid, static_cast<unsigned>(getpid()));
                  EXPECT_EQ(list[0].usedGpuMemory, 300 * kMiB);

                  CUcontext ctx = nullptr;
                  ASSERT_EQ(CU(d, cuCtxCreate_v2)(&ctx, 0, 0), CUDA_SUCCESS);
                  CUcontext current = nullptr;
                  CU(d, cuCtxGetCurrent)(&current);
                  EXPECT_EQ(current, ctx);
                  CUdeviceptr p = 0;
                  ASSERT_EQ(CU(d, cuMemAlloc_v2)(&p, kGiB), CUDA_SUCCESS);
                  EXPECT_EQ(used(), 600 * kMiB + kGiB);
                  ASSERT_EQ(CU(d, cuCtxDestroy_v2)(ctx), CUDA_SUCCESS);  // frees its allocation too
                  EXPECT_EQ(used(), 300 * kMiB);
                  EXPECT_EQ(CU(d, cuMemFree_v2)(p), CUDA_ERROR_INVALID_VALUE);
                  EXPECT_EQ(CU(d, cuCtxDestroy_v2)(ctx), CUDA_ERROR_INVALID_CONTEXT);
                  ASSERT_EQ(CU(d, cuDevicePrimaryCtxRelease_v2)(0), CUDA_SUCCESS);
                  EXPECT_EQ(used(), 0u);
                  EXPECT_TRUE(processes().empty());
                  EXPECT_EQ(CU(d, cuDevicePrimaryCtxRelease_v2)(0), CUDA_ERROR_INVALID_CONTEXT);
                }),
            0);
}

TEST_F(SimIntegration, VmmPoolsAndArraysTakeDeviceMemory) {
  EXPECT_EQ(
      RunInChild(Machine("A100-40GB"),
                 [] {
                   Driver d = LoadDriver();
                   StartOnDevice(d, 0);
                   auto free_bytes = [&] {
                     size_t free = 0, total = 0;
                     CU(d, cuMemGetInfo_v2)(&free, &total);
                     return total - free;
                   };
                   CUmemAllocationProp prop{};
                   prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
                   prop.location = {CU_MEM_LOCATION_TYPE_DEVICE, 0};
                   size_t granularity = 0;
                   ASSERT_EQ(CU(d, cuMemGetAllocationGranularity)(&granularity, &prop,
                                                                  CU_MEM_ALLOC_GRANULARITY_MINIMUM),
                             CUDA_SUCCESS);
                   EXPECT_EQ(granularity, 2 * kMiB);
                   CUmemGenericAllocationHandle h = 0;
                   EXPECT_EQ(CU(d, cuMemCreate)(&h, kMiB, &prop, 0), CUDA_ERROR_INVALID_VALUE);
                   ASSERT_EQ(CU(d, cuMemCreate)(&h, 64 * kMiB, &prop, 0), CUDA_SUCCESS);
                   EXPECT_EQ(free_bytes(), 64 * kMiB);
                   CUdeviceptr va = 0;
                   ASSERT_EQ(CU(d, cuMemAddressReserve)(&va, 64 * kMiB, 0, 0, 0), CUDA_SUCCESS);
                   ASSERT_EQ(CU(d, cuMemMap)(va, 64 * kMiB, 0, h, 0), CUDA_SUCCESS);
                   EXPECT_EQ(CU(d, cuMemMap)(va, 64 * kMiB, 0, h, 0),
                             CUDA_ERROR_INVALID_VALUE);  // overlap
                   CUmemAccessDesc access{{CU_MEM_LOCATION_TYPE_DEVICE, 0},
                                          CU_MEM_ACCESS_FLAGS_PROT_READWRITE};
                   EXPECT_EQ(CU(d, cuMemSetAccess)(va, 64 * kMiB, &access, 1), CUDA_SUCCESS);
                   EXPECT_EQ(CU(d, cuMemsetD8_v2)(va, 0, 64 * kMiB), CUDA_SUCCESS);
                   ASSERT_EQ(CU(d, cuMemRelease)(h), CUDA_SUCCESS);
                   EXPECT_EQ(free_bytes(), 64 * kMiB);  // still mapped
                   ASSERT_EQ(CU(d, cuMemUnmap)(va, 64 * kMiB), CUDA_SUCCESS);
                   EXPECT_EQ(free_bytes(), 0u);
                   EXPECT_EQ(CU(d, cuMemAddressFree)(va, 64 * kMiB), CUDA_SUCCESS);
                   prop.location = {CU_MEM_LOCATION_TYPE_HOST, 0};
                   ASSERT_EQ(CU(d, cuMemCreate)(&h, 2 * kMiB, &prop, 0), CUDA_SUCCESS);
                   EXPECT_EQ(free_bytes(), 0u);  // host-located: no device memory
                   CU(d, cuMemRelease)(h);

                   CUdeviceptr a = 0;
                   ASSERT_EQ(CU(d, cuMemAllocAsync)(&a, 10 * kMiB, nullptr), CUDA_SUCCESS);
                   EXPECT_EQ(free_bytes(), 10 * kMiB);
                   CUmemoryPool pool = nullptr;
                   CU(d, cuDeviceGetMemPool)(&pool, 0);
                   cuuint64_t high = 0;
                   CU(d, cuMemPoolGetAttribute)(pool, CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH, &high);
                   EXPECT_EQ(high, 10 * kMiB);
                   EXPECT_EQ(CU(d, cuMemFreeAsync)(a, nullptr), CUDA_SUCCESS);
                   EXPECT_EQ(CU(d, cuMemFreeAsync)(a, nullptr), CUDA_ERROR_INVALID_VALUE);
                   EXPECT_EQ(free_bytes(), 0u);

                   CUDA_ARRAY_DESCRIPTOR desc{2048, 2048, CU_AD_FORMAT_UNSIGNED_INT32, 2};
                   CUarray array = nullptr;
                   ASSERT_EQ(CU(d, cuArrayCreate_v2)(&array, &desc), CUDA_SUCCESS);
                   EXPECT_EQ(free_bytes(), 32 * kMiB);
                   desc.NumChannels = 3;
                   EXPECT_EQ(CU(d, cuArrayCreate_v2)(&array, &desc), CUDA_ERROR_INVALID_VALUE);
                 }),
      0);
}

TEST_F(SimIntegration, GetProcAddressAnswersByBaseNameAndVersion) {
  EXPECT_EQ(
      RunInChild(Machine("A100-40GB"),
                 [] {
                   Driver d = LoadDriver();
                   auto get = CU(d, cuGetProcAddress_v2);
                   void* fn = nullptr;
                   CUdriverProcAddressQueryResult status{};
                   ASSERT_EQ(get("cuMemAlloc", &fn, 12000, 0, &status), CUDA_SUCCESS);
                   EXPECT_EQ(fn, dlsym(d.cuda, "cuMemAlloc_v2"));
                   EXPECT_EQ(status, CU_GET_PROC_ADDRESS_SUCCESS);
                   ASSERT_EQ(get("cuMemGetInfo", &fn, 3020, 0, &status), CUDA_SUCCESS);
                   EXPECT_EQ(fn, dlsym(d.cuda, "cuMemGetInfo_v2"));
                   ASSERT_EQ(get("cuGetProcAddress", &fn, 12000, 0, &status), CUDA_SUCCESS);
                   EXPECT_EQ(fn, dlsym(d.cuda, "cuGetProcAddress_v2"));
                   ASSERT_EQ(get("cuGetProcAddress", &fn, 11030, 0, &status), CUDA_SUCCESS);
                   EXPECT_EQ(fn, dlsym(d.cuda, "cuGetProcAddress"));
                   ASSERT_EQ(get("cuLaunchKernel", &fn, 12000,
                                 CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &status),
                             CUDA_SUCCESS);
                   EXPECT_EQ(fn, dlsym(d.cuda, "cuLaunchKernel_ptsz"));
                   ASSERT_EQ(get("cuCtxCreate", &fn, 11040, 0, &status), CUDA_SUCCESS);
                   EXPECT_EQ(fn, dlsym(d.cuda, "cuCtxCreate_v3"));
                   EXPECT_EQ(get("cuNoSuchFunction", &fn, 12000, 0, &status), CUDA_ERROR_NOT_FOUND);
                   EXPECT_EQ(fn, nullptr);
                   EXPECT_EQ(status, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
                   EXPECT_EQ(get("cuMemCreate", &fn, 10000, 0, &status), CUDA_ERROR_NOT_FOUND);
                   EXPECT_EQ(status, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT);
                   EXPECT_EQ(dlsym(d.cuda, "_ZN4hami3sim7Process3GetEv"),
                             nullptr);  // internals stay hidden

                   // A program that finds every entry point through cuGetProcAddress, like the CUDA
                   // runtime.
                   auto proc = [&](const char* name) {
                     void* p = nullptr;
                     EXPECT_EQ(get(name, &p, 12040, 0, nullptr), CUDA_SUCCESS) << name;
                     return p;
                   };
                   auto init = reinterpret_cast<decltype(&cuInit)>(proc("cuInit"));
                   auto retain = reinterpret_cast<decltype(&cuDevicePrimaryCtxRetain)>(
                       proc("cuDevicePrimaryCtxRetain"));
                   auto set_current =
                       reinterpret_cast<decltype(&cuCtxSetCurrent)>(proc("cuCtxSetCurrent"));
                   auto alloc = reinterpret_cast<decltype(&cuMemAlloc_v2)>(proc("cuMemAlloc"));
                   auto mem_free = reinterpret_cast<decltype(&cuMemFree_v2)>(proc("cuMemFree"));
                   ASSERT_EQ(init(0), CUDA_SUCCESS);
                   CUcontext ctx = nullptr;
                   ASSERT_EQ(retain(&ctx, 0), CUDA_SUCCESS);
                   ASSERT_EQ(set_current(ctx), CUDA_SUCCESS);
                   CUdeviceptr p = 0;
                   ASSERT_EQ(alloc(&p, kMiB), CUDA_SUCCESS);
                   EXPECT_EQ(mem_free(p), CUDA_SUCCESS);
                 }),
      0);
}

TEST_F(SimIntegration, ProcessesSharePhysicalMemoryAndDeadOnesAreReclaimed) {
  Env env = Machine("T4-16GB");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t holder = fork();
  if (holder == 0) {
    ApplyEnv(env);
    Driver d = LoadDriver();
    StartOnDevice(d, 0);
    CUdeviceptr p = 0;
    char ok = CU(d, cuMemAlloc_v2)(&p, 10 * kGiB) == CUDA_SUCCESS ? 'y' : 'n';
    (void)!write(ready[1], &ok, 1);
    pause();  // holds the memory until killed
    _exit(0);
  }
  char ok = 0;
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y');
  EXPECT_EQ(RunInChild(env,
                       [holder] {
                         Driver d = LoadDriver();
                         StartOnDevice(d, 0);
                         size_t free = 0, total = 0;
                         ASSERT_EQ(CU(d, cuMemGetInfo_v2)(&free, &total), CUDA_SUCCESS);
                         EXPECT_EQ(total - free, 10 * kGiB);
                         CUdeviceptr p = 0;
                         EXPECT_EQ(CU(d, cuMemAlloc_v2)(&p, 8 * kGiB), CUDA_ERROR_OUT_OF_MEMORY);
                         ASSERT_EQ(NVML(d, nvmlInit_v2)(), NVML_SUCCESS);
                         nvmlDevice_t h = nullptr;
                         NVML(d, nvmlDeviceGetHandleByIndex_v2)(0, &h);
                         unsigned n = 0;
                         EXPECT_EQ(NVML(d, nvmlDeviceGetComputeRunningProcesses_v3)(h, &n, nullptr),
                                   NVML_ERROR_INSUFFICIENT_SIZE);
                         EXPECT_EQ(n, 2u);  // the holder and this process (it has a context)
                         std::vector<nvmlProcessInfo_t> infos(n);
                         ASSERT_EQ(
                             NVML(d, nvmlDeviceGetComputeRunningProcesses_v3)(h, &n, infos.data()),
                             NVML_SUCCESS);
                         bool saw_holder = false;
                         for (const auto& info : infos) {
                           if (info.pid == static_cast<unsigned>(holder))
                             saw_holder = info.usedGpuMemory == 10 * kGiB;
                         }
                         EXPECT_TRUE(saw_holder);
                       }),
            0);
  // A process that watches while the holder is killed sees the memory come back.
  int watching[2], killed[2];
  ASSERT_EQ(pipe(watching), 0);
  ASSERT_EQ(pipe(killed), 0);
  pid_t watcher = fork();
  if (watcher == 0) {
    _exit(RunInChild(env, [&] {
      Driver d = LoadDriver();
      StartOnDevice(d, 0);
      size_t free = 0, total = 0;
      ASSERT_EQ(CU(d, cuMemGetInfo_v2)(&free, &total), CUDA_SUCCESS);
      EXPECT_EQ(total - free, 10 * kGiB);
      char c = 'w';
      (void)!write(watching[1], &c, 1);
      (void)!read(killed[0], &c, 1);
      // Dead processes are reclaimed at most every 50 ms by usage queries: poll up to 2 s.
      for (int i = 0; i < 200 && free != total; ++i) {
        usleep(10000);
        ASSERT_EQ(CU(d, cuMemGetInfo_v2)(&free, &total), CUDA_SUCCESS);
      }
      EXPECT_EQ(free, total);
    }));
  }
  char c = 0;
  ASSERT_EQ(read(watching[0], &c, 1), 1);
  kill(holder, SIGKILL);
  waitpid(holder, nullptr, 0);
  (void)!write(killed[1], &c, 1);
  int status = 0;
  waitpid(watcher, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(RunInChild(env,
                       [] {
                         Driver d = LoadDriver();
                         StartOnDevice(d, 0);
                         CUdeviceptr p = 0;
                         EXPECT_EQ(CU(d, cuMemAlloc_v2)(&p, 16 * kGiB),
                                   CUDA_SUCCESS);  // the killed holder's memory is back
                       }),
            0);
}

// Graph memory: the alloc node reserves an address only; the launch takes the memory from the
// device's graph pool, which keeps it after the free node until cuDeviceGraphMemTrim.
TEST_F(SimIntegration, GraphMemoryNodesTakeDeviceMemoryAtLaunch) {
  EXPECT_EQ(
      RunInChild(
          Machine("A100-40GB"),
          [] {
            Driver d = LoadDriver();
            StartOnDevice(d, 0);
            auto used = [&] {
              size_t free = 0, total = 0;
              CU(d, cuMemGetInfo_v2)(&free, &total);
              return total - free;
            };
            auto graph_attr = [&](CUgraphMem_attribute attr) {
              cuuint64_t v = 0;
              EXPECT_EQ(CU(d, cuDeviceGetGraphMemAttribute)(0, attr, &v), CUDA_SUCCESS);
              return v;
            };
            CUgraph graph = nullptr;
            ASSERT_EQ(CU(d, cuGraphCreate)(&graph, 0), CUDA_SUCCESS);
            CUDA_MEM_ALLOC_NODE_PARAMS params{};
            params.poolProps.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
            params.poolProps.location = {CU_MEM_LOCATION_TYPE_DEVICE, 0};
            params.bytesize = 63 * kMiB;
            CUgraphNode alloc = nullptr, release = nullptr;
            ASSERT_EQ(CU(d, cuGraphAddMemAllocNode)(&alloc, graph, nullptr, 0, &params),
                      CUDA_SUCCESS);
            EXPECT_NE(params.dptr, 0u);
            ASSERT_EQ(CU(d, cuGraphAddMemFreeNode)(&release, graph, &alloc, 1, params.dptr),
                      CUDA_SUCCESS);
            size_t n = 0;
            ASSERT_EQ(CU(d, cuGraphGetNodes)(graph, nullptr, &n), CUDA_SUCCESS);
            EXPECT_EQ(n, 2u);
            CUgraphNodeType type;
            ASSERT_EQ(CU(d, cuGraphNodeGetType)(alloc, &type), CUDA_SUCCESS);
            EXPECT_EQ(type, CU_GRAPH_NODE_TYPE_MEM_ALLOC);
            CUDA_MEM_ALLOC_NODE_PARAMS read{};
            ASSERT_EQ(CU(d, cuGraphMemAllocNodeGetParams)(alloc, &read), CUDA_SUCCESS);
            EXPECT_EQ(read.bytesize, 63 * kMiB);
            EXPECT_EQ(read.dptr, params.dptr);
            CUgraphExec exec = nullptr;
            ASSERT_EQ(CU(d, cuGraphInstantiateWithFlags)(&exec, graph, 0), CUDA_SUCCESS);
            EXPECT_EQ(used(), 0u);  // instantiation takes no memory
            ASSERT_EQ(CU(d, cuGraphLaunch)(exec, nullptr), CUDA_SUCCESS);
            EXPECT_EQ(used(), 64 * kMiB);  // whole 2 MiB pages
            EXPECT_EQ(graph_attr(CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT), 64 * kMiB);
            EXPECT_EQ(graph_attr(CU_GRAPH_MEM_ATTR_USED_MEM_CURRENT),
                      0u);  // freed by the free node
            ASSERT_EQ(CU(d, cuGraphLaunch)(exec, nullptr), CUDA_SUCCESS);
            EXPECT_EQ(used(), 64 * kMiB);  // the pool's memory is reused
            ASSERT_EQ(CU(d, cuGraphExecDestroy)(exec), CUDA_SUCCESS);
            EXPECT_EQ(used(), 64 * kMiB);  // still cached by the pool
            ASSERT_EQ(CU(d, cuDeviceGraphMemTrim)(0), CUDA_SUCCESS);
            EXPECT_EQ(used(), 0u);
            // Without a free node the allocation outlives the launch until cuMemFree.
            CUgraph g2 = nullptr;
            ASSERT_EQ(CU(d, cuGraphCreate)(&g2, 0), CUDA_SUCCESS);
            ASSERT_EQ(CU(d, cuGraphAddMemAllocNode)(&alloc, g2, nullptr, 0, &params), CUDA_SUCCESS);
            ASSERT_EQ(CU(d, cuGraphInstantiateWithFlags)(&exec, g2, 0), CUDA_SUCCESS);
            ASSERT_EQ(CU(d, cuGraphLaunch)(exec, nullptr), CUDA_SUCCESS);
            EXPECT_EQ(CU(d, cuGraphLaunch)(exec, nullptr), CUDA_ERROR_INVALID_VALUE);  // still live
            ASSERT_EQ(CU(d, cuDeviceGraphMemTrim)(0), CUDA_SUCCESS);
            EXPECT_EQ(used(), 64 * kMiB);
            ASSERT_EQ(CU(d, cuMemFree_v2)(params.dptr), CUDA_SUCCESS);
            ASSERT_EQ(CU(d, cuDeviceGraphMemTrim)(0), CUDA_SUCCESS);
            EXPECT_EQ(used(), 0u);
            // Over the device's memory the launch fails and takes nothing.
            params.bytesize = 41 * kGiB;
            CUgraph big = nullptr;
            ASSERT_EQ(CU(d, cuGraphCreate)(&big, 0), CUDA_SUCCESS);
            ASSERT_EQ(CU(d, cuGraphAddMemAllocNode)(&alloc, big, nullptr, 0, &params),
                      CUDA_SUCCESS);
            ASSERT_EQ(CU(d, cuGraphInstantiateWithFlags)(&exec, big, 0), CUDA_SUCCESS);
            EXPECT_EQ(CU(d, cuGraphLaunch)(exec, nullptr), CUDA_ERROR_OUT_OF_MEMORY);
            EXPECT_EQ(used(), 0u);
          }),
      0);
}

// Legacy IPC: another process opens the exporter's allocation at its own address without taking
// memory; its own handle and a garbled one are refused; close unmaps it.
TEST_F(SimIntegration, IpcHandleOpensTheExportersMemoryWithoutTakingMore) {
  Env env = Machine("T4-16GB");
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t exporter = fork();
  if (exporter == 0) {
    ApplyEnv(env);
    Driver d = LoadDriver();
    StartOnDevice(d, 0);
    CUdeviceptr p = 0;
    CUipcMemHandle h{};
    CUresult r = CU(d, cuMemAlloc_v2)(&p, 1 * kGiB);
    if (r == CUDA_SUCCESS) r = CU(d, cuIpcGetMemHandle)(&h, p);
    CUdeviceptr self = 0;  // a process cannot open its own handle
    if (r == CUDA_SUCCESS && CU(d, cuIpcOpenMemHandle_v2)(&self, h, 0) == CUDA_SUCCESS) {
      r = CUDA_ERROR_UNKNOWN;
    }
    if (r != CUDA_SUCCESS) h.reserved[0] = 0;
    (void)!write(out[1], &h, sizeof(h));
    pause();  // holds the memory until killed
    _exit(0);
  }
  CUipcMemHandle h{};
  ASSERT_EQ(read(out[0], &h, sizeof(h)), static_cast<ssize_t>(sizeof(h)));
  ASSERT_NE(h.reserved[0], 0) << "exporter failed";
  EXPECT_EQ(
      RunInChild(
          env,
          [h] {
            Driver d = LoadDriver();
            StartOnDevice(d, 0);
            auto used = [&] {
              size_t free = 0, total = 0;
              CU(d, cuMemGetInfo_v2)(&free, &total);
              return total - free;
            };
            EXPECT_EQ(used(), 1 * kGiB);
            CUdeviceptr p = 0;
            ASSERT_EQ(CU(d, cuIpcOpenMemHandle_v2)(&p, h, CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS),
                      CUDA_SUCCESS);
            EXPECT_EQ(used(), 1 * kGiB);  // the exporter's memory, not a copy
            CUdeviceptr base = 0;
            size_t size = 0;
            ASSERT_EQ(CU(d, cuMemGetAddressRange_v2)(&base, &size, p + 4096), CUDA_SUCCESS);
            EXPECT_EQ(base, p);
            EXPECT_EQ(size, 1 * kGiB);
            int ordinal = -1;
            EXPECT_EQ(
                CU(d, cuPointerGetAttribute)(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, p),
                CUDA_SUCCESS);
            EXPECT_EQ(ordinal, 0);
            EXPECT_EQ(CU(d, cuMemFree_v2)(p), CUDA_ERROR_INVALID_VALUE);  // closed, never freed
            EXPECT_EQ(CU(d, cuIpcCloseMemHandle)(p), CUDA_SUCCESS);
            EXPECT_EQ(CU(d, cuIpcCloseMemHandle)(p), CUDA_ERROR_INVALID_VALUE);
            CUipcMemHandle garbled = h;
            garbled.reserved[0] ^= 1;
            EXPECT_EQ(CU(d, cuIpcOpenMemHandle_v2)(&p, garbled, 0), CUDA_ERROR_INVALID_VALUE);
          }),
      0);
  kill(exporter, SIGKILL);
  waitpid(exporter, nullptr, 0);
  close(out[0]);
  close(out[1]);
}

TEST_F(SimIntegration, ForkedChildMustInitAgain) {
  EXPECT_EQ(RunInChild(Machine("A100-40GB"),
                       [] {
                         Driver d = LoadDriver();
                         StartOnDevice(d, 0);
                         pid_t child = fork();
                         if (child == 0) {
                           CUdeviceptr p = 0;
                           bool fresh = CU(d, cuMemAlloc_v2)(&p, 1) == CUDA_ERROR_NOT_INITIALIZED;
                           _exit(fresh ? 0 : 1);
                         }
                         int status = 0;
                         waitpid(child, &status, 0);
                         EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                       }),
            0);
}

}  // namespace
}  // namespace hami::sim::testing
