// Timeline: when a simulated GPU is busy, as a ring of busy intervals.
//
// A device executes one piece of work at a time: new work starts when the device is free (or now,
// whichever is later) and occupies it for its duration. Intervals are appended in time order;
// an interval that starts exactly where the previous one of the same process ended extends it,
// so a backlog of queued kernels costs one entry. Queries sum the busy time inside a window,
// for the whole device or one process.
//
// The struct is trivially copyable and position independent so it lives inside the shared state
// file; callers serialize access (the shared state holds a process-shared mutex per device).
// Times are CLOCK_MONOTONIC nanoseconds, which all processes on a host share.
#pragma once

#include <cstdint>

namespace hami::sim {

struct BusyInterval {
  int64_t start_ns;
  int64_t end_ns;
  int32_t pid;
  uint32_t reserved;
};
static_assert(sizeof(BusyInterval) == 24);

struct Timeline {
  // Enough history for a one-second window even when kernels and idle gaps alternate every 250 us.
  static constexpr uint32_t kCapacity = 4096;

  int64_t busy_until_ns;  // end of the last interval; 0 when nothing ran yet
  uint64_t appended;      // intervals ever appended; entry i lives at i % kCapacity
  BusyInterval entries[kCapacity];
};

struct Span {
  int64_t start_ns;
  int64_t end_ns;
};

// Queues `duration_ns` of work from process `pid` submitted at `now_ns`; returns when it runs.
Span Enqueue(Timeline& timeline, int64_t now_ns, int64_t duration_ns, int32_t pid);

// Busy nanoseconds inside [from_ns, to_ns); pid 0 counts every process.
int64_t BusyNs(const Timeline& timeline, int64_t from_ns, int64_t to_ns, int32_t pid);

// Processes with busy time inside [from_ns, to_ns), at most `max` written to `pids`; returns the
// number written.
int ActivePids(const Timeline& timeline, int64_t from_ns, int64_t to_ns, int32_t* pids, int max);

// Saturating blocks x ns-per-block, capped at one hour of simulated time.
int64_t KernelDurationNs(uint64_t blocks, uint64_t ns_per_block);

}  // namespace hami::sim
