// Memory oversubscription on a real GPU (docs/libvgpu.md, "Oversubscription"), run by
// oversubscribe.sh under libvgpu with CUDA_DEVICE_MEMORY_LIMIT_0 = 1.5x the card.
//
// Usage: oversubscribe <spill|oom> <physical MiB>
//   spill: allocates 1 GiB chunks until refused, which must reach 1.4x the card; every chunk is
//          written by a kernel and read back; prints the cost of a device vs a spilled chunk
//          (cudaMalloc, cudaMemset, a kernel writing it), then frees everything.
//   oom:   the same allocation loop must stop at the card's memory (no spill without the switch).
// Exit 0 = pass; prints "FAIL: ..." and exits 1 otherwise.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr size_t kMiB = 1ull << 20;
constexpr size_t kChunk = 1024 * kMiB;

__global__ void Fill(uint4* p, size_t n, unsigned v) {
  for (size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    p[i] = make_uint4(v, v, v, v);
  }
}

int Fail(const char* what) {
  std::printf("FAIL: %s (%s)\n", what, cudaGetErrorString(cudaGetLastError()));
  return 1;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

struct Chunk {
  void* p = nullptr;
  bool spilled = false;
  double alloc_s = 0;
};

bool IsManaged(void* p) {
  cudaPointerAttributes a{};
  return cudaPointerGetAttributes(&a, p) == cudaSuccess && a.type == cudaMemoryTypeManaged;
}

// Best of 3 of `run` on one chunk, in GB/s.
template <typename Run>
double Bandwidth(Run run) {
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  float best = 1e30f;
  for (int i = 0; i < 3; ++i) {
    cudaEventRecord(start);
    run();
    cudaEventRecord(stop);
    cudaEventSynchronize(stop);
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    if (ms < best) best = ms;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return kChunk / (best * 1e-3) / 1e9;
}

void Report(const std::vector<Chunk>& chunks, int sms) {
  const Chunk* dev = nullptr;
  const Chunk* spill = nullptr;
  double dev_s = 0, spill_s = 0;
  int ndev = 0, nspill = 0;
  for (const Chunk& c : chunks) {
    if (c.spilled) {
      spill = spill ? spill : &c;
      spill_s += c.alloc_s;
      ++nspill;
    } else {
      dev = dev ? dev : &c;
      dev_s += c.alloc_s;
      ++ndev;
    }
  }
  std::printf("chunks: %d on the device, %d spilled (1 GiB each)\n", ndev, nspill);
  if (dev == nullptr || spill == nullptr) return;
  std::printf(
      "cudaMalloc of 1 GiB: device %.3f ms, spilled %.3f ms (mean; a spill includes the "
      "refused device attempt)\n",
      1e3 * dev_s / ndev, 1e3 * spill_s / nspill);
  for (const Chunk* c : {dev, spill}) {
    const char* where = c == dev ? "device" : "spilled";
    const double memset = Bandwidth([&] { cudaMemset(c->p, 1, kChunk); });
    const double kernel = Bandwidth(
        [&] { Fill<<<sms * 8, 256>>>(static_cast<uint4*>(c->p), kChunk / sizeof(uint4), 7); });
    std::printf("%s chunk: cudaMemset %.1f GB/s, fill kernel %.1f GB/s\n", where, memset, kernel);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return Fail("usage: oversubscribe <spill|oom> <physical MiB>");
  const bool spill = std::strcmp(argv[1], "spill") == 0;
  const size_t physical = std::strtoull(argv[2], nullptr, 10) * kMiB;
  int sms = 0;
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  size_t avail = 0, total = 0;
  if (cudaMemGetInfo(&avail, &total) != cudaSuccess) return Fail("cudaMemGetInfo");
  std::printf("cudaMemGetInfo: free %zu MiB, total %zu MiB; card %zu MiB\n", avail / kMiB,
              total / kMiB, physical / kMiB);
  if (spill && total < physical * 14 / 10) return Fail("total is not the 1.5x limit");

  std::vector<Chunk> chunks;
  for (;;) {
    Chunk c;
    const auto t0 = std::chrono::steady_clock::now();
    const cudaError_t r = cudaMalloc(&c.p, kChunk);
    c.alloc_s = Seconds(t0);
    if (r != cudaSuccess) {
      cudaGetLastError();
      if (r != cudaErrorMemoryAllocation) return Fail("cudaMalloc failed other than OOM");
      break;
    }
    c.spilled = IsManaged(c.p);
    chunks.push_back(c);
  }
  const size_t got = chunks.size() * kChunk;
  std::printf("allocated %zu MiB before out-of-memory\n", got / kMiB);
  if (!spill) {
    for (const Chunk& c : chunks) cudaFree(c.p);
    if (got > physical) return Fail("allocated past the card without CUDA_OVERSUBSCRIBE");
    std::printf("PASS oom\n");
    return 0;
  }
  if (got < physical * 14 / 10) return Fail("did not reach 1.4x the card");

  // Every chunk is written by a kernel; its first and last words are read back.
  for (size_t i = 0; i < chunks.size(); ++i) {
    const unsigned v = 0x1000 + static_cast<unsigned>(i);
    Fill<<<sms * 8, 256>>>(static_cast<uint4*>(chunks[i].p), kChunk / sizeof(uint4), v);
    if (cudaDeviceSynchronize() != cudaSuccess) return Fail("kernel on a chunk");
    unsigned head = 0, tail = 0;
    cudaMemcpy(&head, chunks[i].p, sizeof(head), cudaMemcpyDeviceToHost);
    cudaMemcpy(&tail, static_cast<char*>(chunks[i].p) + kChunk - sizeof(tail), sizeof(tail),
               cudaMemcpyDeviceToHost);
    if (head != v || tail != v) return Fail("a chunk does not hold what the kernel wrote");
  }
  Report(chunks, sms);
  if (cudaGetLastError() != cudaSuccess) return Fail("measurement");

  for (const Chunk& c : chunks) {
    if (cudaFree(c.p) != cudaSuccess) return Fail("cudaFree");
  }
  cudaMemGetInfo(&avail, &total);
  std::printf("after freeing: free %zu MiB of %zu MiB\n", avail / kMiB, total / kMiB);
  if (avail + kChunk < total) return Fail("frees did not return the accounting");
  std::printf("PASS spill\n");
  return 0;
}
