// VmmLedger: when the physical memory of a virtual-memory-management handle is really gone.
//
// The driver keeps a handle's memory while any reference to it exists (cuMemCreate, each
// cuMemRetainAllocationHandle, an import) AND while any mapping of it exists (cuMemMap until
// cuMemUnmap). Releasing a still-mapped handle is normal CUDA practice, so the charge must follow
// both counts: it is given back only when the last reference is released and the last mapping is
// unmapped, whichever comes last (upstream returned it at release: 640 MiB under a 100 MiB limit).
//
// Pure bookkeeping, no driver calls. Thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace hami::shim {

class VmmLedger {
 public:
  // Physical memory charged for a handle: `bytes` on CUDA device `dev` (bytes 0: uncharged).
  struct Charge {
    int dev = -1;
    uint64_t bytes = 0;
  };

  // A new handle holding one reference.
  void Created(uint64_t handle, Charge charge);
  // One more reference (cuMemRetainAllocationHandle); an unknown handle starts being tracked,
  // uncharged.
  void Referenced(uint64_t handle);
  // One reference fewer; the charge to give back when the memory is now gone (else bytes 0).
  Charge Released(uint64_t handle);
  // A handle imported from another process (cuMemImportFromShareableHandle) holding one
  // reference to memory on `dev`. Its size cannot be asked of the driver, so each of its
  // mappings is charged (AddCharge) before it is made, and the sum is given back like any
  // handle's charge.
  void Imported(uint64_t handle, int dev);
  // The device of an imported handle, or -1 when `handle` was not imported.
  int ImportDevice(uint64_t handle);
  // Adds `bytes` to a tracked handle's charge.
  void AddCharge(uint64_t handle, uint64_t bytes);
  // [va, va + size) maps `handle` (an unknown handle is tracked, uncharged).
  void Mapped(uint64_t va, uint64_t size, uint64_t handle);
  // Every mapping starting inside [va, va + size) is gone; the charges to give back.
  std::vector<Charge> Unmapped(uint64_t va, uint64_t size);
  // The charge of `handle` (bytes 0 when unknown or uncharged).
  Charge ChargeOf(uint64_t handle);
  // Handles tracked (for tests).
  size_t Size();
  // Forgets everything (a forked child holds none of its parent's handles).
  void Clear();

 private:
  struct Handle {
    Charge charge;
    int refs = 0;
    int maps = 0;
    bool imported = false;
  };
  Charge DropIfGone(std::unordered_map<uint64_t, Handle>::iterator it);

  std::mutex mu_;
  std::unordered_map<uint64_t, Handle> handles_;
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> mappings_;  // va -> (size, handle)
};

}  // namespace hami::shim
