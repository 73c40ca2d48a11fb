// The node monitor's reading of a container's region file (src/monitor/region_format.h and
// region_trust.h): DetectLayout, ReadRegion and VerifyRegion over hostile bytes of every layout
// (v0, v1, ours). Input: fuzz/region_image.h.
//
// Properties beyond no crash or UB (never a read past `size`: ASan):
//   * a detected layout fits in the bytes; it agrees with src/region: a region Validate accepts
//     with at most 16 devices is v1 or ours, and one CheckHeader accepts is ours;
//   * a reading has at most 16 devices, 16 UUID slots of at most 96 bytes, labels of at most 40,
//     proc_num within [0, 1024] and no more live processes than proc_num;
//   * what VerifyRegion exports (device slots still valid) is within the bounds: memory at most
//     the device's (1 TiB unknown), SM utilization and limit at most 100 %, and a priority no
//     higher (numerically lower) than the grant's.
#include <algorithm>
#include <cstdlib>

#include "fuzz/region_image.h"
#include "monitor/region_trust.h"

namespace {

using namespace hami::monitor;

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckReading(const RegionReading& r) {
  Check(r.devices.size() <= 16 && r.all_uuids.size() == 16);
  for (const std::string& u : r.all_uuids) Check(u.size() <= 96);
  for (const DeviceReading& d : r.devices) Check(d.uuid.size() <= 96 && d.uuid_label.size() <= 40);
  Check(r.proc_num >= 0 && r.proc_num <= 1024);
  Check(r.live_processes >= 0 && r.live_processes <= r.proc_num);
}

void CheckVerdict(const Verdict& v, const ContainerGrant* grant) {
  if (!v.exported) return;
  for (const DeviceReading& d : v.reading.devices) {
    if (!d.uuid_valid) continue;
    Check(std::max({d.total, d.context, d.module, d.buffer}) <= kUnknownDeviceMemoryBound);
    Check(d.sm_util <= 100 && d.sm_limit <= 100);
  }
  if (grant != nullptr) Check(v.reading.priority >= grant->priority);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hami::fuzz::RegionImage* image = new hami::fuzz::RegionImage();
  if (!image->Build(data, size)) return 0;
  const auto layout = DetectLayout(image->bytes(), image->size());
  const bool sized = image->size() >= sizeof(hami::region::SharedRegion);
  if (sized && hami::region::Validate(image->bytes(), image->size()) == hami::region::Error::kOk &&
      image->region()->device_num <= 16) {
    Check(layout.ok() && *layout != Layout::kV0);
  }
  if (sized && hami::region::CheckHeader(*image->region()) == hami::region::Error::kOk) {
    Check(layout.ok() && *layout == Layout::kHamiCpp);
  }
  if (!layout.ok()) return 0;
  Check(LayoutSize(*layout) <= image->size());
  const RegionReading reading = ReadRegion(image->bytes(), image->size(), *layout);
  CheckReading(reading);

  CheckVerdict(VerifyRegion(reading, GrantLookup{}, {}, 1700000000), nullptr);
  ContainerGrant grant;
  grant.uuids = {"GPU-00000000-1111-2222-3333-444444444444"};
  grant.memory_limits = {hami::fuzz::kImageLimit0};
  grant.sm_limits = {30};
  grant.priority = 1;
  GrantLookup found{GrantLookup::Status::kFound, &grant, ""};
  const std::map<std::string, uint64_t> memory = {
      {UuidKey("GPU-00000000-1111-2222-3333-444444444444"), 16ull << 30}};
  CheckVerdict(VerifyRegion(reading, found, memory, 1700000000), &grant);
  return 0;
}
