// The node topology score annotation (hami-wire §2.1): pairwise link scores between a node's GPUs.
//
//   [{"uuid":"GPU-a","score":{"GPU-b":200,"GPU-c":10}},{"uuid":"GPU-b","score":{"GPU-a":200}}]
//
// Pure; thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "model/device.h"

namespace hami::codec {

// WIRE: JSON array of {"uuid", "score": {peer uuid: int}}. `null` and `[]` decode to no scores;
// an entry without "score" gives its uuid an empty map. Repeated uuids merge (a later peer score
// wins).
// Errors name the entry position: a missing/empty uuid, a non-object score, a non-integer or
// out-of-int32 score.
base::Result<model::TopologyScores> DecodeTopologyScores(std::string_view value);

// WIRE: Go json.Marshal form, entries ordered by uuid and peers by uuid (byte order, as Go sorts
// map keys); an empty peer map is omitted (omitempty). Upstream orders entries by device index,
// which a map cannot keep; decoders do not depend on the order.
std::string EncodeTopologyScores(const model::TopologyScores& scores);

}  // namespace hami::codec
