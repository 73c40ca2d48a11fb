// GraphLedger: what graph memory nodes are charged, per device.
//
// The driver takes the physical memory of a graph's alloc nodes from the device's graph memory
// pool when a graph exec holding them is launched (or uploaded), and its pool keeps that memory
// after the graph frees it, until cuDeviceGraphMemTrim. libvgpu therefore charges each device
//
//   max(sum of the alloc-node footprints of every live graph exec on it,
//       what the driver reports the graph pool reserves: CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT)
//
// The first term is taken when an exec is instantiated, before the driver is asked (so the
// refusal comes before any launch can take the memory) and held until the exec is destroyed;
// the second covers memory the pool still caches after its execs are gone. Execs are summed
// even when the driver could reuse one's memory for another: an over-count, never an under-count.
//
// Pure bookkeeping, no driver calls. Callers serialise each charge-and-settle sequence with
// mu(); every method must be called with it held.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace hami::shim {

class GraphLedger {
 public:
  // Bytes of graph memory per CUDA device.
  using PerDevice = std::map<int, uint64_t>;

  std::mutex& mu() { return mu_; }

  // What device `dev` must be charged for its execs plus `extra` of a new exec, given what
  // the driver's graph pool reserves there.
  uint64_t Target(int dev, uint64_t driver_reserved, uint64_t extra = 0) const;
  // A live exec and the alloc-node footprints it holds.
  void AddExec(uint64_t exec, const PerDevice& footprint);
  // Forgets an exec; the devices it held memory on (empty when unknown).
  PerDevice RemoveExec(uint64_t exec);
  // What is charged on `dev` now; the caller adjusts it with the region.
  uint64_t& Charged(int dev) { return charged_[dev]; }
  // Devices with a charge or a live exec.
  std::vector<int> Devices() const;
  // Forgets everything (a forked child holds none of its parent's graphs).
  void Clear();

 private:
  std::mutex mu_;
  std::unordered_map<uint64_t, PerDevice> execs_;
  PerDevice exec_bytes_;  // sum over execs_, per device
  PerDevice charged_;
};

}  // namespace hami::shim
