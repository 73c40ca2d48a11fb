#include "codec/topology_score.h"

#include <limits>

#include "codec/json_util.h"

namespace hami::codec {

using nlohmann::json;

base::Result<model::TopologyScores> DecodeTopologyScores(std::string_view value) {
  HAMI_ASSIGN_OR_RETURN(json doc, internal::ParseJson(value, "node score annotation"));
  model::TopologyScores scores;
  if (doc.is_null()) return scores;
  if (!doc.is_array()) {
    return base::InvalidArgument("node score annotation: " + internal::Expected("JSON array", doc));
  }
  for (size_t i = 0; i < doc.size(); ++i) {
    const json& entry = doc[i];
    const std::string where = "node score annotation: entry [" + std::to_string(i) + "]";
    if (!entry.is_object()) {
      return base::InvalidArgument(where + ": " + internal::Expected("object", entry));
    }
    std::string uuid;
    HAMI_RETURN_IF_ERROR(internal::ReadString(entry, "uuid", where, &uuid));
    if (uuid.empty()) return base::InvalidArgument(where + ": field \"uuid\": missing or empty");
    std::map<std::string, int32_t>& peers = scores[uuid];
    const json* score = internal::FindMember(entry, "score");
    if (score == nullptr) continue;
    if (!score->is_object()) {
      return base::InvalidArgument(where +
                                   ": field \"score\": " + internal::Expected("object", *score));
    }
    for (auto it = score->begin(); it != score->end(); ++it) {
      int32_t v = 0;
      HAMI_RETURN_IF_ERROR(internal::ReadInt32(*score, it.key(), where + ".score", &v));
      peers[it.key()] = v;
    }
  }
  return scores;
}

std::string EncodeTopologyScores(const model::TopologyScores& scores) {
  std::string out = "[";
  bool first = true;
  for (const auto& [uuid, peers] : scores) {
    if (!first) out += ',';
    first = false;
    out += '{';
    if (!uuid.empty()) {
      out += "\"uuid\":";
      internal::AppendGoString(&out, uuid);
    }
    if (!peers.empty()) {
      if (!uuid.empty()) out += ',';
      out += "\"score\":{";
      bool first_peer = true;
      for (const auto& [peer, score] : peers) {
        if (!first_peer) out += ',';
        first_peer = false;
        internal::AppendGoString(&out, peer);
        out += ':' + std::to_string(score);
      }
      out += '}';
    }
    out += '}';
  }
  out += ']';
  return out;
}

}  // namespace hami::codec
