#include "codec/mig_allocations.h"

#include "codec/json_util.h"

namespace hami::codec {
namespace {

using nlohmann::json;

std::string EntryWhere(size_t i) {
  return "MIG allocations annotation: entry [" + std::to_string(i) + "]";
}

// 0 = none of the realized members set, 1 = all set validly, -1 = inconsistent.
int Realized(const model::MigAllocation& a) {
  const bool any = !a.mig_uuid.empty() || a.gpu_instance_id != -1 || a.compute_instance_id != -1;
  if (!any) return 0;
  return (!a.mig_uuid.empty() && a.gpu_instance_id >= 0 && a.compute_instance_id >= 0) ? 1 : -1;
}

base::Status DecodeEntry(const json& j, size_t i, model::MigAllocation* out) {
  const std::string where = EntryWhere(i);
  if (!j.is_object()) return base::InvalidArgument(where + ": " + internal::Expected("object", j));
  HAMI_RETURN_IF_ERROR(internal::ReadInt32(j, "containerIndex", where, &out->container_index));
  HAMI_RETURN_IF_ERROR(internal::ReadInt32(j, "deviceIndex", where, &out->device_index));
  HAMI_RETURN_IF_ERROR(internal::ReadString(j, "gpuUUID", where, &out->gpu_uuid));
  HAMI_RETURN_IF_ERROR(internal::ReadString(j, "profile", where, &out->profile));
  if (out->container_index < 0 || out->device_index < 0) {
    return base::InvalidArgument(where + ": containerIndex and deviceIndex must be >= 0");
  }
  if (out->gpu_uuid.empty()) {
    return base::InvalidArgument(where + ": field \"gpuUUID\": missing or empty");
  }
  if (out->profile.empty()) {
    return base::InvalidArgument(where + ": field \"profile\": missing or empty");
  }
  const json* placement = internal::FindMember(j, "placement");
  if (placement == nullptr) return base::InvalidArgument(where + ": field \"placement\": missing");
  if (!placement->is_object()) {
    return base::InvalidArgument(
        where + ": field \"placement\": " + internal::Expected("object", *placement));
  }
  HAMI_RETURN_IF_ERROR(
      internal::ReadInt32(*placement, "start", where + ".placement", &out->placement_start));
  HAMI_RETURN_IF_ERROR(
      internal::ReadInt32(*placement, "size", where + ".placement", &out->placement_size));

  const int present = (internal::FindMember(j, "migUUID") ? 1 : 0) +
                      (internal::FindMember(j, "gpuInstanceID") ? 1 : 0) +
                      (internal::FindMember(j, "computeInstanceID") ? 1 : 0);
  if (present == 0) return {};
  const std::string all_or_none =
      ": migUUID, gpuInstanceID and computeInstanceID must be given together";
  if (present != 3) return base::InvalidArgument(where + all_or_none);
  HAMI_RETURN_IF_ERROR(internal::ReadString(j, "migUUID", where, &out->mig_uuid));
  HAMI_RETURN_IF_ERROR(internal::ReadInt32(j, "gpuInstanceID", where, &out->gpu_instance_id));
  HAMI_RETURN_IF_ERROR(
      internal::ReadInt32(j, "computeInstanceID", where, &out->compute_instance_id));
  if (Realized(*out) != 1) {
    return base::InvalidArgument(where + all_or_none + " (non-empty uuid, ids >= 0)");
  }
  return {};
}

}  // namespace

base::Result<std::string> EncodeMigAllocations(const std::vector<model::MigAllocation>& entries) {
  std::string out = "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    const model::MigAllocation& a = entries[i];
    const int realized = Realized(a);
    if (realized < 0) {
      return base::InvalidArgument(EntryWhere(i) +
                                   ": mig_uuid, gpu_instance_id and compute_instance_id must be "
                                   "set together (non-empty uuid, ids >= 0) or not at all");
    }
    if (i > 0) out += ',';
    out += "{\"containerIndex\":" + std::to_string(a.container_index) +
           ",\"deviceIndex\":" + std::to_string(a.device_index) + ",\"gpuUUID\":";
    internal::AppendGoString(&out, a.gpu_uuid);
    out += ",\"profile\":";
    internal::AppendGoString(&out, a.profile);
    out += ",\"placement\":{\"start\":" + std::to_string(a.placement_start) +
           ",\"size\":" + std::to_string(a.placement_size) + "}";
    if (realized == 1) {
      out += ",\"migUUID\":";
      internal::AppendGoString(&out, a.mig_uuid);
      out += ",\"gpuInstanceID\":" + std::to_string(a.gpu_instance_id) +
             ",\"computeInstanceID\":" + std::to_string(a.compute_instance_id);
    }
    out += '}';
  }
  out += ']';
  return out;
}

base::Result<std::vector<model::MigAllocation>> DecodeMigAllocations(std::string_view value) {
  HAMI_ASSIGN_OR_RETURN(json doc, internal::ParseJson(value, "MIG allocations annotation"));
  std::vector<model::MigAllocation> entries;
  if (doc.is_null()) return entries;
  if (!doc.is_array()) {
    return base::InvalidArgument("MIG allocations annotation: " +
                                 internal::Expected("JSON array", doc));
  }
  entries.resize(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    HAMI_RETURN_IF_ERROR(DecodeEntry(doc[i], i, &entries[i]));
  }
  return entries;
}

}  // namespace hami::codec
