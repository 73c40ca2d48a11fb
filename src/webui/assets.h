// The web UI's static files, embedded in the binary at build time: CMake turns every file under
// src/webui/assets/ into a generated .cc (embed_assets.cmake) holding its bytes, its name
// (the path under assets/, e.g. "index.html", "js/app.js") and its content type. Immutable.
#pragma once

#include <span>
#include <string_view>

namespace hami::webui {

struct Asset {
  std::string_view name;
  std::string_view content_type;
  std::string_view data;
};

// Every embedded file, by name.
std::span<const Asset> Assets();
// The file called `name`, nullptr when none.
const Asset* FindAsset(std::string_view name);

}  // namespace hami::webui
