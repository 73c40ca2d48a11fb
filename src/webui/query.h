// The query string of the web UI's list endpoints: search, sort, order, page, pageSize and the
// endpoint's filters. Pure; errors are messages for a 400 answer.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hami::webui {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
inline constexpr size_t kMaxQueryBytes = 4096;

struct ListParams {
  std::string search;  // case-insensitive substring; "" = everything
  std::string sort;    // one of the endpoint's keys (the first when not given)
  bool descending = false;
  int page = 1;  // from 1
  int page_size = kDefaultPageSize;
  std::map<std::string, std::string> filters;  // the endpoint's filter parameters that were given
};

// Decodes "a=1&b=x%20y" (percent escapes and '+' as space); a key given twice keeps the last.
base::Result<std::map<std::string, std::string>> ParseQuery(std::string_view query);

// `sort_keys`: the accepted sort values (the first is the default); `filter_keys`: further
// accepted parameters. Unknown parameters, an unknown sort or order, a page below 1 and a
// pageSize outside 1..kMaxPageSize are errors naming the parameter.
base::Result<ListParams> ParseListParams(std::string_view query,
                                         const std::vector<std::string>& sort_keys,
                                         const std::vector<std::string>& filter_keys);

// Case-insensitive substring test (ASCII).
bool ContainsFolded(std::string_view haystack, std::string_view needle);

}  // namespace hami::webui
