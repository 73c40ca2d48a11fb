#include "codec/handshake.h"

#include "base/strings.h"
#include "codec/json_util.h"
#include "codec/time_format.h"

namespace hami::codec {
namespace {

constexpr std::string_view kRequesting = "Requesting";
constexpr std::string_view kDeleted = "Deleted";
constexpr std::string_view kReported = "Reported";

std::optional<int64_t> StampAfterUnderscore(std::string_view value) {
  size_t underscore = value.find('_');
  if (underscore == std::string_view::npos) return std::nullopt;
  auto t = ParseDateTime(value.substr(underscore + 1));
  return t.ok() ? std::optional<int64_t>(*t) : std::nullopt;
}

}  // namespace

base::Result<Handshake> ParseHandshake(std::string_view value) {
  Handshake h;
  h.raw = std::string(value);
  if (base::Contains(value, kRequesting)) {
    h.kind = HandshakeKind::kRequesting;
    h.unix_seconds = StampAfterUnderscore(value);
  } else if (base::Contains(value, kDeleted)) {
    h.kind = HandshakeKind::kDeleted;
    h.unix_seconds = StampAfterUnderscore(value);
  } else if (base::StartsWith(value, kReported)) {
    h.kind = HandshakeKind::kReported;
    std::string_view rest = value.substr(kReported.size());
    if (!rest.empty() && rest.front() == ' ') {
      auto t = ParseGoTimeString(rest.substr(1));
      if (t.ok()) h.unix_seconds = *t;
    }
  } else {
    return base::InvalidArgument("node handshake " + internal::Quote(value) +
                                 ": expected Requesting_<time>, Deleted_<time> or Reported <time>");
  }
  return h;
}

HandshakeVerdict JudgeHandshake(std::optional<std::string_view> value, int64_t allocatable,
                                int64_t now_unix) {
  if (value && base::Contains(*value, kRequesting)) {
    const std::optional<int64_t> stamp = StampAfterUnderscore(*value);
    const bool waiting = !stamp || now_unix - *stamp < kHandshakeTimeoutSeconds;
    return {waiting || allocatable > 0, std::nullopt};
  }
  return {true, FormatHandshake(HandshakeKind::kRequesting, now_unix)};
}

std::string FormatHandshake(HandshakeKind kind, int64_t unix_seconds) {
  switch (kind) {
    case HandshakeKind::kRequesting:
      return std::string(kRequesting) + "_" + FormatDateTime(unix_seconds);
    case HandshakeKind::kDeleted:
      return std::string(kDeleted) + "_" + FormatDateTime(unix_seconds);
    case HandshakeKind::kReported:
      return std::string(kReported) + " " + FormatDateTime(unix_seconds) + " +0000 UTC";
  }
  return {};
}

}  // namespace hami::codec
