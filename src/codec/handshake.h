// The node handshake annotation (hami-wire §2.2, §2.3): liveness stamps between scheduler and
// device plugin.
//
//   hami.io/node-handshake: "Requesting_2024-05-01 10:00:00"  (scheduler asked the plugin)
//                           "Deleted_2024-05-01 10:00:00"     (scheduler dropped the devices)
//                           "Reported 2024-05-01 10:00:00.5 +0000 UTC m=+1.0"  (legacy plugin)
//
// Time zone: upstream writes and reads Requesting/Deleted stamps in the process's local time zone
// (time.Local, UTC in a default container). We write and read them as UTC; a scheduler running with
// another TZ would be off by its offset (documented in docs/wire/differences-codec.md). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hami::codec {

enum class HandshakeKind { kRequesting, kDeleted, kReported };

struct Handshake {
  HandshakeKind kind = HandshakeKind::kReported;
  // Unix seconds of the stamp; nullopt when the time part does not parse (upstream then treats the
  // node as healthy and leaves the value alone).
  std::optional<int64_t> unix_seconds;
  std::string raw;  // the annotation value as read
  friend bool operator==(const Handshake&, const Handshake&) = default;
};

// Classifies like upstream (substring checks, in this order): contains "Requesting" -> kRequesting,
// else contains "Deleted" -> kDeleted (time = text after the first '_', "YYYY-MM-DD HH:MM:SS" as
// UTC); else starts with "Reported" -> kReported (time = Go time.String() after "Reported ").
// Anything else is an error.
base::Result<Handshake> ParseHandshake(std::string_view value);

// WIRE: "Requesting_<YYYY-MM-DD HH:MM:SS>" or "Deleted_<...>" in UTC. kReported (written only by
// legacy plugins) formats as "Reported <YYYY-MM-DD HH:MM:SS> +0000 UTC".
std::string FormatHandshake(HandshakeKind kind, int64_t unix_seconds);

// How long a device plugin has to answer the scheduler's Requesting stamp.
inline constexpr int64_t kHandshakeTimeoutSeconds = 60;

// The scheduler's side of the handshake (vendors.md §1.5): whether the vendor's devices on the node
// may take pods, and what to write back.
struct HandshakeVerdict {
  bool alive = true;
  std::optional<std::string> write;  // a new annotation value to patch, when one is due
  friend bool operator==(const HandshakeVerdict&, const HandshakeVerdict&) = default;
};

// `value`: the handshake annotation (nullopt when absent); `allocatable`: the node's allocatable
// count of the vendor's resource. A Requesting stamp younger than kHandshakeTimeoutSeconds, or one
// whose time does not parse, or any allocatable devices: alive, nothing to write. An older stamp
// with nothing allocatable: the plugin stopped answering, not alive. Any other value (absent,
// "Reported ...", "Deleted_...", garbage): alive, and a fresh Requesting stamp is due.
HandshakeVerdict JudgeHandshake(std::optional<std::string_view> value, int64_t allocatable,
                                int64_t now_unix);

}  // namespace hami::codec
