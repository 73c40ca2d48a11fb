// A check run on YAML text before it reaches yaml-cpp (codec/yaml.h runs it; nothing else of the
// project parses YAML). Pure.
//
// yaml-cpp 0.7 (Debian 12's) never returns on a ',' that starts a document's root node (a ',' first
// on its line, after blanks, outside any flow collection, quoted or block scalar, possibly after
// `---`, an anchor or a tag): it loops allocating nodes until memory runs out (found by
// device_config_fuzz, fuzz/corpus/device_config_fuzz/crash-c8e5d70eddcf5cb3). YAML does not allow a
// plain scalar to start with ',' anyway, so refusing such a line before parsing rejects no valid
// document. The same loop follows a ',' right after a quoted scalar (`'a', b`,
// crash-b8fa0bedd7b96c72, found by the check build's fuzz gate) and a ',' starting a node after
// `:`, `-` or `?`; neither is YAML either.
#pragma once

#include <optional>
#include <string_view>

namespace hami::base {

// The 1-based line of the first ',' starting a line (after blanks, any `---`/`...` marker, anchors
// and tags), following a quoted scalar, or starting a node after a `:`/`-`/`?` indicator, outside
// flow collections, quoted scalars, block scalars and comments; nullopt when
// there is none. Also the line of the first control character YAML does not allow (C0 but tab, LF,
// CR; DEL), which yaml-cpp reads as a token boundary into the same loop.
std::optional<int> FindRootFlowEntry(std::string_view yaml);

}  // namespace hami::base
