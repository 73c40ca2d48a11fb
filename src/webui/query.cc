#include "webui/query.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/strings.h"

namespace hami::webui {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

base::Result<std::string> Decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) {
        return base::InvalidArgument("bad percent escape in the query");
      }
      const int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return base::InvalidArgument("bad percent escape in the query");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

base::Result<int> ParseInt(const std::string& name, const std::string& value, int lo, int hi) {
  int out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size() || out < lo || out > hi) {
    return base::InvalidArgument(name + "=" + value + ": want an integer from " +
                                 std::to_string(lo) + " to " + std::to_string(hi));
  }
  return out;
}

}  // namespace

base::Result<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
  if (query.size() > kMaxQueryBytes) return base::InvalidArgument("query string too long");
  std::map<std::string, std::string> out;
  for (std::string_view pair : base::Split(query, '&')) {
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    HAMI_ASSIGN_OR_RETURN(std::string key, Decode(pair.substr(0, eq)));
    std::string value;
    if (eq != std::string_view::npos) {
      HAMI_ASSIGN_OR_RETURN(value, Decode(pair.substr(eq + 1)));
    }
    out[key] = std::move(value);
  }
  return out;
}

base::Result<ListParams> ParseListParams(std::string_view query,
                                         const std::vector<std::string>& sort_keys,
                                         const std::vector<std::string>& filter_keys) {
  HAMI_ASSIGN_OR_RETURN(auto values, ParseQuery(query));
  ListParams p;
  p.sort = sort_keys.empty() ? "" : sort_keys.front();
  for (const auto& [key, value] : values) {
    if (key == "search") {
      p.search = value;
    } else if (key == "sort") {
      if (std::find(sort_keys.begin(), sort_keys.end(), value) == sort_keys.end()) {
        return base::InvalidArgument("sort=" + value + ": want one of " +
                                     base::Join(sort_keys, "|"));
      }
      p.sort = value;
    } else if (key == "order") {
      if (value != "asc" && value != "desc") {
        return base::InvalidArgument("order=" + value + ": want asc or desc");
      }
      p.descending = value == "desc";
    } else if (key == "page") {
      HAMI_ASSIGN_OR_RETURN(p.page, ParseInt(key, value, 1, 1000000));
    } else if (key == "pageSize") {
      HAMI_ASSIGN_OR_RETURN(p.page_size, ParseInt(key, value, 1, kMaxPageSize));
    } else if (std::find(filter_keys.begin(), filter_keys.end(), key) != filter_keys.end()) {
      p.filters[key] = value;
    } else {
      return base::InvalidArgument("unknown query parameter " + key);
    }
  }
  return p;
}

bool ContainsFolded(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

}  // namespace hami::webui
