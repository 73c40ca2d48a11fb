// Memory shared between processes through OS handles on the simulated driver (cuda_share.cc):
// VMM shareable handles and memory pools exported as file descriptors, passed to another process
// over a Unix socket (SCM_RIGHTS) as applications do, and imported there. An import maps the
// exporter's memory and takes none; what is not a live export of the right kind is refused.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "gpuapi/cuda_functions.h"
#include "sim/fd_passing.h"
#include "sim/sim_test_util.h"

namespace hami::sim::testing {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

void StartOnDevice(const Driver& d, CUdevice dev) {
  ASSERT_EQ(CU(d, cuInit)(0), CUDA_SUCCESS);
  CUcontext ctx = nullptr;
  ASSERT_EQ(CU(d, cuDevicePrimaryCtxRetain)(&ctx, dev), CUDA_SUCCESS);
  ASSERT_EQ(CU(d, cuCtxSetCurrent)(ctx), CUDA_SUCCESS);
}

uint64_t Used(const Driver& d) {
  size_t free = 0, total = 0;
  EXPECT_EQ(CU(d, cuMemGetInfo_v2)(&free, &total), CUDA_SUCCESS);
  return total - free;
}

CUmemAllocationProp DeviceProp(CUmemAllocationHandleType types) {
  CUmemAllocationProp prop{};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.requestedHandleTypes = types;
  prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  prop.location.id = 0;
  return prop;
}

// A descriptor as the OS handle argument of the imports: the int carried in the void*.
void* Os(int fd) {
  return reinterpret_cast<void*>(static_cast<intptr_t>(fd));  // NOLINT(performance-no-int-to-ptr)
}

// A device address as the void* that cuMemRetainAllocationHandle takes.
void* Address(CUdeviceptr va) {
  return reinterpret_cast<void*>(va);  // NOLINT(performance-no-int-to-ptr)
}

constexpr auto kFd = CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR;

// A forked process that exports: `setup` runs on device 0 and sends what it exports over
// socket(); then each byte written by Command() runs `on_command` and is acknowledged, until
// Finish() ends the process and returns its exit status (0 when none of its expectations
// failed). Command() may be called from a child forked after the exporter.
class Exporter {
 public:
  using Setup = std::function<void(const Driver&, int socket)>;
  using OnCommand = std::function<void(const Driver&, char command)>;

  Exporter(const Env& env, const Setup& setup, const OnCommand& on_command) {
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sock_), 0);
    EXPECT_EQ(pipe2(command_, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(ack_, O_CLOEXEC), 0);
    std::fflush(stdout);
    pid_ = fork();
    if (pid_ == 0) {
      ApplyEnv(env);
      Driver d = LoadDriver();
      StartOnDevice(d, 0);
      setup(d, sock_[0]);
      char c = 0;
      while (read(command_[0], &c, 1) == 1 && c != 'q') {
        on_command(d, c);
        (void)!write(ack_[1], &c, 1);
      }
      _exit(::testing::Test::HasFailure() ? 1 : 0);
    }
  }
  ~Exporter() {
    if (pid_ > 0) Finish();
    for (int fd : {sock_[0], sock_[1], command_[0], command_[1], ack_[0], ack_[1]}) close(fd);
  }
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // The receiving end of the exporter's socket.
  int socket() const { return sock_[1]; }
  void Command(char c) {
    ASSERT_EQ(write(command_[1], &c, 1), 1);
    ASSERT_EQ(read(ack_[0], &c, 1), 1);
  }
  int Finish() {
    const char quit = 'q';
    (void)!write(command_[1], &quit, 1);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int sock_[2] = {-1, -1}, command_[2] = {-1, -1}, ack_[2] = {-1, -1};
};

class SimShare : public ::testing::Test {
 protected:
  void TearDown() override { std::remove(state_.c_str()); }
  Env Machine() {
    return {{"HAMI_SIM_GPUS", "T4-16GB"},
            {"HAMI_SIM_STATE", state_},
            {"CUDA_VISIBLE_DEVICES", "<unset>"},
            {"HAMI_SIM_CONTEXT_MIB", "<unset>"}};
  }
  std::string state_ = TempStatePath();
};

// Descriptors that are not a live export: refused by both imports.
void ExpectGarbageRefused(const Driver& d) {
  CUmemGenericAllocationHandle h = 0;
  CUmemoryPool pool = nullptr;
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  char tmpl[] = "/tmp/hami-sim-share-XXXXXX";
  const int file = mkstemp(tmpl);
  ASSERT_GE(file, 0);
  unlink(tmpl);
  const std::string junk(200, 'x');
  ASSERT_EQ(write(file, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  const int dev_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  for (int fd : {-1, 1000, p[0], file, dev_null}) {
    EXPECT_EQ(CU(d, cuMemImportFromShareableHandle)(&h, Os(fd), kFd), CUDA_ERROR_INVALID_VALUE)
        << fd;
    EXPECT_EQ(CU(d, cuMemPoolImportFromShareableHandle)(&pool, Os(fd), kFd, 0),
              CUDA_ERROR_INVALID_VALUE)
        << fd;
  }
  for (int fd : {p[0], p[1], file, dev_null}) close(fd);
}

// A VMM handle exported by another process: imported, mapped, released while mapped, unmapped;
// no memory taken. Errors as the driver documents them; the exporter's release revokes the
// export, and so does its exit.
TEST_F(SimShare, VmmHandleImportMapsTheExportersMemoryWithoutTakingMore) {
  CUmemGenericAllocationHandle a = 0;  // the exporter's (set in its process)
  Exporter exporter(
      Machine(),
      [&a](const Driver& d, int sock) {
        const CUmemAllocationProp shareable = DeviceProp(kFd);
        const CUmemAllocationProp plain = DeviceProp(CU_MEM_HANDLE_TYPE_NONE);
        CUmemGenericAllocationHandle b = 0, n = 0;
        ASSERT_EQ(CU(d, cuMemCreate)(&a, 1 * kGiB, &shareable, 0), CUDA_SUCCESS);
        ASSERT_EQ(CU(d, cuMemCreate)(&b, 2 * kMiB, &shareable, 0), CUDA_SUCCESS);
        ASSERT_EQ(CU(d, cuMemCreate)(&n, 2 * kMiB, &plain, 0), CUDA_SUCCESS);
        int fd_a = -1, fd_b = -1;
        auto export_fd = CU(d, cuMemExportToShareableHandle);
        EXPECT_EQ(export_fd(&fd_a, n, kFd, 0), CUDA_ERROR_INVALID_VALUE);  // not requested
        EXPECT_EQ(export_fd(&fd_a, a, CU_MEM_HANDLE_TYPE_WIN32, 0), CUDA_ERROR_INVALID_VALUE);
        EXPECT_EQ(export_fd(&fd_a, a, kFd, 1), CUDA_ERROR_INVALID_VALUE);
        EXPECT_EQ(export_fd(nullptr, a, kFd, 0), CUDA_ERROR_INVALID_VALUE);
        EXPECT_EQ(export_fd(&fd_a, 12345, kFd, 0), CUDA_ERROR_INVALID_VALUE);
        ASSERT_EQ(CU(d, cuMemRelease)(n), CUDA_SUCCESS);
        ASSERT_EQ(export_fd(&fd_a, a, kFd, 0), CUDA_SUCCESS);
        ASSERT_EQ(export_fd(&fd_b, b, kFd, 0), CUDA_SUCCESS);
        EXPECT_TRUE(SendFd(sock, fd_a));
        EXPECT_TRUE(SendFd(sock, fd_b));
        close(fd_a);  // the export lives on: the driver holds its own descriptor
        close(fd_b);
      },
      [&a](const Driver& d, char command) {
        if (command == 'r') {
          EXPECT_EQ(CU(d, cuMemRelease)(a), CUDA_SUCCESS);
        }
      });
  EXPECT_EQ(RunInChild(
                Machine(),
                [&] {
                  Driver d = LoadDriver();
                  StartOnDevice(d, 0);
                  ExpectGarbageRefused(d);
                  const int fd = ReceiveFd(exporter.socket());
                  ASSERT_GE(fd, 0);
                  EXPECT_EQ(Used(d), 1 * kGiB + 2 * kMiB);
                  auto import = CU(d, cuMemImportFromShareableHandle);
                  CUmemGenericAllocationHandle h = 0;
                  EXPECT_EQ(import(&h, Os(fd), CU_MEM_HANDLE_TYPE_WIN32), CUDA_ERROR_INVALID_VALUE);
                  EXPECT_EQ(import(nullptr, Os(fd), kFd), CUDA_ERROR_INVALID_VALUE);
                  ASSERT_EQ(import(&h, Os(fd), kFd), CUDA_SUCCESS);
                  EXPECT_EQ(Used(d), 1 * kGiB + 2 * kMiB);  // the exporter's memory
                  CUmemAllocationProp prop{};
                  ASSERT_EQ(CU(d, cuMemGetAllocationPropertiesFromHandle)(&prop, h), CUDA_SUCCESS);
                  EXPECT_EQ(prop.location.type, CU_MEM_LOCATION_TYPE_DEVICE);
                  EXPECT_EQ(prop.location.id, 0);
                  EXPECT_EQ(prop.requestedHandleTypes, kFd);
                  CUdeviceptr va = 0;
                  ASSERT_EQ(CU(d, cuMemAddressReserve)(&va, 2 * kGiB, 0, 0, 0), CUDA_SUCCESS);
                  auto map = CU(d, cuMemMap);
                  EXPECT_EQ(map(va, 2 * kGiB, 0, h, 0), CUDA_ERROR_INVALID_VALUE);
                  ASSERT_EQ(map(va, 1 * kGiB, 0, h, 0), CUDA_SUCCESS);
                  EXPECT_EQ(Used(d), 1 * kGiB + 2 * kMiB);
                  EXPECT_EQ(CU(d, cuMemRelease)(h), CUDA_SUCCESS);  // still mapped
                  CUmemGenericAllocationHandle again = 0;
                  ASSERT_EQ(CU(d, cuMemRetainAllocationHandle)(&again, Address(va)), CUDA_SUCCESS);
                  EXPECT_EQ(again, h);
                  EXPECT_EQ(CU(d, cuMemRelease)(again), CUDA_SUCCESS);
                  EXPECT_EQ(CU(d, cuMemUnmap)(va, 1 * kGiB), CUDA_SUCCESS);
                  EXPECT_EQ(CU(d, cuMemRelease)(h), CUDA_ERROR_INVALID_VALUE);  // gone
                  EXPECT_EQ(CU(d, cuMemAddressFree)(va, 2 * kGiB), CUDA_SUCCESS);
                  EXPECT_EQ(Used(d), 1 * kGiB + 2 * kMiB);
                  // The exporter releases its handle: its memory and its export are gone.
                  exporter.Command('r');
                  EXPECT_EQ(Used(d), 2 * kMiB);
                  EXPECT_EQ(import(&h, Os(fd), kFd), CUDA_ERROR_INVALID_VALUE);
                  close(fd);
                }),
            0);
  EXPECT_EQ(exporter.Finish(), 0);
  // The exporter is gone: its other export is refused.
  EXPECT_EQ(RunInChild(Machine(),
                       [&] {
                         Driver d = LoadDriver();
                         StartOnDevice(d, 0);
                         const int fd = ReceiveFd(exporter.socket());
                         ASSERT_GE(fd, 0);
                         CUmemGenericAllocationHandle h = 0;
                         EXPECT_EQ(CU(d, cuMemImportFromShareableHandle)(&h, Os(fd), kFd),
                                   CUDA_ERROR_INVALID_VALUE);
                         EXPECT_EQ(Used(d), 0u);
                       }),
            0);
}

// Importing a process's own export gives a second handle to the same memory: it stays until the
// original and the import are both released and unmapped.
TEST_F(SimShare, VmmImportInTheExportingProcessKeepsTheMemoryUntilBothAreGone) {
  EXPECT_EQ(
      RunInChild(Machine(),
                 [] {
                   Driver d = LoadDriver();
                   StartOnDevice(d, 0);
                   const CUmemAllocationProp prop = DeviceProp(kFd);
                   CUmemGenericAllocationHandle a = 0, h = 0;
                   ASSERT_EQ(CU(d, cuMemCreate)(&a, 64 * kMiB, &prop, 0), CUDA_SUCCESS);
                   int fd = -1;
                   ASSERT_EQ(CU(d, cuMemExportToShareableHandle)(&fd, a, kFd, 0), CUDA_SUCCESS);
                   ASSERT_EQ(CU(d, cuMemImportFromShareableHandle)(&h, Os(fd), kFd), CUDA_SUCCESS);
                   EXPECT_NE(h, a);
                   EXPECT_EQ(Used(d), 64 * kMiB);
                   CUdeviceptr va = 0;
                   ASSERT_EQ(CU(d, cuMemAddressReserve)(&va, 64 * kMiB, 0, 0, 0), CUDA_SUCCESS);
                   ASSERT_EQ(CU(d, cuMemMap)(va, 64 * kMiB, 0, h, 0), CUDA_SUCCESS);
                   EXPECT_EQ(CU(d, cuMemRelease)(a), CUDA_SUCCESS);
                   EXPECT_EQ(CU(d, cuMemRelease)(a), CUDA_ERROR_INVALID_VALUE);
                   EXPECT_EQ(Used(d), 64 * kMiB);  // the import holds it
                   EXPECT_EQ(CU(d, cuMemRelease)(h), CUDA_SUCCESS);
                   EXPECT_EQ(Used(d), 64 * kMiB);  // the mapping holds it
                   EXPECT_EQ(CU(d, cuMemUnmap)(va, 64 * kMiB), CUDA_SUCCESS);
                   EXPECT_EQ(Used(d), 0u);
                   EXPECT_EQ(CU(d, cuMemImportFromShareableHandle)(&h, Os(fd), kFd),
                             CUDA_ERROR_INVALID_VALUE);  // revoked with the memory
                   close(fd);
                 }),
      0);
}

// A pool exported by another process and a pointer allocated from it: the imported pool serves
// no allocations; the imported pointer maps the exporter's memory (none taken) and is freed with
// cuMemFreeAsync or cuMemFree. Errors as the driver documents them; the exporter's exit revokes
// the pool's export.
TEST_F(SimShare, PoolPointerImportMapsTheExportersMemoryWithoutTakingMore) {
  Exporter exporter(
      Machine(),
      [](const Driver& d, int sock) {
        CUmemPoolProps props{};
        props.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
        props.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
        props.location.id = 0;
        CUmemoryPool plain = nullptr, pool = nullptr;
        ASSERT_EQ(CU(d, cuMemPoolCreate)(&plain, &props), CUDA_SUCCESS);
        props.handleTypes = kFd;
        ASSERT_EQ(CU(d, cuMemPoolCreate)(&pool, &props), CUDA_SUCCESS);
        int fd = -1;
        auto export_pool = CU(d, cuMemPoolExportToShareableHandle);
        EXPECT_EQ(export_pool(&fd, plain, kFd, 0), CUDA_ERROR_INVALID_VALUE);
        EXPECT_EQ(export_pool(&fd, pool, kFd, 1), CUDA_ERROR_INVALID_VALUE);
        EXPECT_EQ(export_pool(&fd, pool, CU_MEM_HANDLE_TYPE_WIN32, 0), CUDA_ERROR_INVALID_VALUE);
        EXPECT_EQ(export_pool(nullptr, pool, kFd, 0), CUDA_ERROR_INVALID_VALUE);
        CUdeviceptr x = 0, other = 0;
        ASSERT_EQ(CU(d, cuMemAllocFromPoolAsync)(&x, 256 * kMiB, pool, nullptr), CUDA_SUCCESS);
        ASSERT_EQ(CU(d, cuCtxSynchronize)(), CUDA_SUCCESS);
        CUmemPoolPtrExportData data{};
        auto export_ptr = CU(d, cuMemPoolExportPointer);
        ASSERT_EQ(CU(d, cuMemAlloc_v2)(&other, 2 * kMiB), CUDA_SUCCESS);
        EXPECT_EQ(export_ptr(&data, other), CUDA_ERROR_INVALID_VALUE);  // not from a pool
        EXPECT_EQ(CU(d, cuMemFree_v2)(other), CUDA_SUCCESS);
        ASSERT_EQ(CU(d, cuMemAllocFromPoolAsync)(&other, 2 * kMiB, plain, nullptr), CUDA_SUCCESS);
        EXPECT_EQ(export_ptr(&data, other), CUDA_ERROR_INVALID_VALUE);  // pool not shareable
        EXPECT_EQ(CU(d, cuMemFreeAsync)(other, nullptr), CUDA_SUCCESS);
        EXPECT_EQ(export_ptr(nullptr, x), CUDA_ERROR_INVALID_VALUE);
        ASSERT_EQ(export_ptr(&data, x), CUDA_SUCCESS);
        ASSERT_EQ(export_pool(&fd, pool, kFd, 0), CUDA_SUCCESS);
        EXPECT_TRUE(SendFd(sock, fd, &data, sizeof(data)));
        EXPECT_TRUE(SendFd(sock, fd, &data, sizeof(data)));  // for the importer after our exit
        close(fd);
      },
      [](const Driver&, char) {});
  EXPECT_EQ(
      RunInChild(Machine(),
                 [&] {
                   Driver d = LoadDriver();
                   StartOnDevice(d, 0);
                   CUmemPoolPtrExportData data{};
                   const int fd = ReceiveFd(exporter.socket(), &data, sizeof(data));
                   ASSERT_GE(fd, 0);
                   EXPECT_EQ(Used(d), 256 * kMiB);
                   auto import_pool = CU(d, cuMemPoolImportFromShareableHandle);
                   CUmemoryPool imported = nullptr;
                   EXPECT_EQ(import_pool(&imported, Os(fd), kFd, 1), CUDA_ERROR_INVALID_VALUE);
                   EXPECT_EQ(import_pool(&imported, Os(fd), CU_MEM_HANDLE_TYPE_WIN32, 0),
                             CUDA_ERROR_INVALID_VALUE);
                   EXPECT_EQ(import_pool(nullptr, Os(fd), kFd, 0), CUDA_ERROR_INVALID_VALUE);
                   CUmemGenericAllocationHandle h = 0;  // a pool's export is no VMM handle
                   EXPECT_EQ(CU(d, cuMemImportFromShareableHandle)(&h, Os(fd), kFd),
                             CUDA_ERROR_INVALID_VALUE);
                   ASSERT_EQ(import_pool(&imported, Os(fd), kFd, 0), CUDA_SUCCESS);
                   CUdeviceptr p = 0;
                   EXPECT_EQ(CU(d, cuMemAllocFromPoolAsync)(&p, 2 * kMiB, imported, nullptr),
                             CUDA_ERROR_INVALID_VALUE);
                   EXPECT_EQ(CU(d, cuDeviceSetMemPool)(0, imported), CUDA_ERROR_INVALID_VALUE);
                   int again = -1;
                   EXPECT_EQ(CU(d, cuMemPoolExportToShareableHandle)(&again, imported, kFd, 0),
                             CUDA_ERROR_INVALID_VALUE);
                   auto import_ptr = CU(d, cuMemPoolImportPointer);
                   CUmemoryPool own = nullptr;
                   ASSERT_EQ(CU(d, cuDeviceGetDefaultMemPool)(&own, 0), CUDA_SUCCESS);
                   EXPECT_EQ(import_ptr(&p, own, &data), CUDA_ERROR_INVALID_VALUE);  // another pool
                   CUmemPoolPtrExportData garbled = data;
                   garbled.reserved[20] ^= 1;
                   EXPECT_EQ(import_ptr(&p, imported, &garbled), CUDA_ERROR_INVALID_VALUE);
                   EXPECT_EQ(import_ptr(&p, imported, nullptr), CUDA_ERROR_INVALID_VALUE);
                   ASSERT_EQ(import_ptr(&p, imported, &data), CUDA_SUCCESS);
                   EXPECT_EQ(Used(d), 256 * kMiB);  // the exporter's memory, not a copy
                   CUdeviceptr base = 0;
                   size_t size = 0;
                   ASSERT_EQ(CU(d, cuMemGetAddressRange_v2)(&base, &size, p + 4096), CUDA_SUCCESS);
                   EXPECT_EQ(base, p);
                   EXPECT_EQ(size, 256 * kMiB);
                   int ordinal = -1;
                   EXPECT_EQ(CU(d, cuPointerGetAttribute)(&ordinal,
                                                          CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, p),
                             CUDA_SUCCESS);
                   EXPECT_EQ(ordinal, 0);
                   CUipcMemHandle ipc{};
                   EXPECT_EQ(CU(d, cuIpcGetMemHandle)(&ipc, p), CUDA_ERROR_INVALID_VALUE);
                   EXPECT_EQ(CU(d, cuMemFreeAsync)(p, nullptr), CUDA_SUCCESS);
                   EXPECT_EQ(CU(d, cuMemFreeAsync)(p, nullptr), CUDA_ERROR_INVALID_VALUE);
                   ASSERT_EQ(import_ptr(&p, imported, &data), CUDA_SUCCESS);
                   EXPECT_EQ(CU(d, cuMemFree_v2)(p), CUDA_SUCCESS);
                   EXPECT_EQ(Used(d), 256 * kMiB);
                   EXPECT_EQ(CU(d, cuMemPoolDestroy)(imported), CUDA_SUCCESS);
                   close(fd);
                 }),
      0);
  EXPECT_EQ(exporter.Finish(), 0);
  EXPECT_EQ(RunInChild(Machine(),
                       [&] {
                         Driver d = LoadDriver();
                         StartOnDevice(d, 0);
                         EXPECT_EQ(Used(d), 0u);
                         const int fd = ReceiveFd(exporter.socket());
                         ASSERT_GE(fd, 0);
                         CUmemoryPool imported = nullptr;
                         EXPECT_EQ(
                             CU(d, cuMemPoolImportFromShareableHandle)(&imported, Os(fd), kFd, 0),
                             CUDA_ERROR_INVALID_VALUE);
                       }),
            0);
}

}  // namespace
}  // namespace hami::sim::testing
