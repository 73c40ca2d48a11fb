// SharedState's XID faults (sim/shared_state.h): the per-GPU event ring and lost mark that
// hami-sim-ctl writes and every simulated NVML reads.
#include <optional>

#include "sim/shared_state.h"

namespace hami::sim {

uint64_t SharedState::PostXid(int dev, uint64_t xid, bool lost, int64_t time_us) {
  FaultShared& f = file_->devices[dev].fault;
  if (lost) f.lost.store(1);
  const uint64_t seq = f.posted.fetch_add(1) + 1;
  XidRecordShared& r = f.ring[seq % kXidRing];
  r.seq.store(0);  // readers of the event this slot held stop trusting it
  r.xid.store(xid);
  r.time_us.store(time_us);
  r.seq.store(seq);
  return seq;
}

void SharedState::ClearFault(int dev) { file_->devices[dev].fault.lost.store(0); }

bool SharedState::Lost(int dev) const { return file_->devices[dev].fault.lost.load() != 0; }

uint64_t SharedState::LastXidSeq(int dev) const { return file_->devices[dev].fault.posted.load(); }

std::optional<XidEvent> SharedState::XidAt(int dev, uint64_t seq) const {
  const FaultShared& f = file_->devices[dev].fault;
  if (seq == 0 || seq > f.posted.load()) return std::nullopt;
  const XidRecordShared& r = f.ring[seq % kXidRing];
  if (r.seq.load() != seq) return std::nullopt;
  XidEvent event{seq, r.xid.load(), r.time_us.load()};
  if (r.seq.load() != seq) return std::nullopt;  // overwritten while read
  return event;
}

}  // namespace hami::sim
