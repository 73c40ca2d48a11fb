#include "base/yaml_guard.h"

#include <cstddef>

namespace hami::base {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsFlowIndicator(char c) { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'; }

// Skips leading blanks, `---`/`...` markers, `&anchor` and `!tag` tokens at the start of `line`;
// returns the position of the first other character.
size_t SkipNodeProperties(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && IsBlank(line[i])) ++i;
  for (;;) {
    if (line.substr(i, 3) == "---" || line.substr(i, 3) == "...") {
      if (i + 3 < line.size() && !IsBlank(line[i + 3])) return i;
      i += 3;
    } else if (i < line.size() && (line[i] == '&' || line[i] == '!')) {
      ++i;  // a name ends at a blank or a flow indicator (yaml-cpp's reading)
      while (i < line.size() && !IsBlank(line[i]) && !IsFlowIndicator(line[i])) ++i;
    } else {
      return i;
    }
    while (i < line.size() && IsBlank(line[i])) ++i;
  }
}

// True when the ',' at `i` (outside flow collections and quotes) starts a node: it follows a `:`,
// `-` or `?` indicator and blanks. A plain scalar cannot start with ',', so YAML allows no such
// text; yaml-cpp reads it as a flow entry in block context and loops.
bool StartsNodeAfterIndicator(std::string_view line, size_t i) {
  size_t j = i;
  while (j > 0 && IsBlank(line[j - 1])) --j;
  if (j == i || j == 0) return false;  // no blank before it, or only blanks (checked elsewhere)
  const char indicator = line[j - 1];
  const bool alone = j == 1 || IsBlank(line[j - 2]);  // `a-` or `x:` glued to a scalar is text
  return (indicator == '-' || indicator == '?') ? alone : indicator == ':';
}

size_t Indent(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  return i;
}

// True when `rest` (what follows a `|` or `>`) is a block scalar header: indentation and chomping
// indicators, then nothing but blanks or a comment.
bool IsBlockScalarHeader(std::string_view rest) {
  size_t i = 0;
  while (i < rest.size() &&
         (rest[i] == '+' || rest[i] == '-' || (rest[i] >= '1' && rest[i] <= '9'))) {
    ++i;
  }
  while (i < rest.size() && IsBlank(rest[i])) ++i;
  // yaml-cpp also takes a comment with no blank before it (`>#x`) as a header: so does this.
  return i == rest.size() || rest[i] == '#';
}

}  // namespace

std::optional<int> FindRootFlowEntry(std::string_view yaml) {
  int flow_depth = 0;
  char quote = 0;               // the open quote of a scalar spanning lines, or 0
  std::optional<size_t> block;  // indentation of the line that opened a block scalar
  bool root_block = false;      // a block scalar at the document's root (content may be at 0)
  bool after_node = false;      // a quoted scalar or flow collection just closed in block context
  bool flow_node = false;       // the open outermost flow collection started a node
  bool plain = false;           // inside a plain scalar (block context): its ',' are text
  int line_number = 0;
  size_t start = 0;
  while (start <= yaml.size()) {
    size_t end = yaml.find('\n', start);
    if (end == std::string_view::npos) end = yaml.size();
    std::string_view line = yaml.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = end + 1;
    ++line_number;
    for (char c : line) {  // YAML text is printable: no C0 controls but tab, no DEL
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return line_number;
    }
    if (block) {
      const bool blank = line.find_first_not_of(" \t") == std::string_view::npos;
      const bool marker = line.substr(0, 3) == "---" || line.substr(0, 3) == "...";
      // A root block scalar may hold lines at column 0, but yaml-cpp loops on one starting with
      // ',' (`--- |` then `,x`): those fall through to the checks below.
      const size_t first = SkipNodeProperties(line);
      const bool root_content =
          root_block && !marker && (first >= line.size() || line[first] != ',');
      if (blank || root_content || Indent(line) > *block) continue;
      block.reset();
      root_block = false;
    }
    size_t i = 0;
    plain = false;  // a plain scalar continued on this line restarts as text below
    if (quote == 0) after_node = false;  // a node closed on an earlier line: a new line follows
    if (quote == 0 && flow_depth == 0) {
      i = SkipNodeProperties(line);
      if (i < line.size() && line[i] == ',') return line_number;
    }
    for (; i < line.size(); ++i) {
      const char c = line[i];
      if (quote == '"') {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          quote = 0;
          after_node = flow_depth == 0;
        }
        continue;
      }
      if (quote == '\'') {
        if (c == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
          ++i;
        } else if (c == '\'') {
          quote = 0;
          after_node = flow_depth == 0;
        }
        continue;
      }
      // After a quoted scalar or a flow collection in block context only blanks, ':', a comment
      // or the line's end may follow; a ',' there (`'a', b`, `[a],b`), also behind anchors, tags
      // or more such nodes (`'a'&z,b`, `"""",b`, `"a"[b],c`), is the flow entry yaml-cpp loops on.
      if (after_node && flow_depth == 0 && !IsBlank(c)) {
        if (c == ',') return line_number;
        if (c == '&' || c == '!') {
          while (i + 1 < line.size() && !IsBlank(line[i + 1]) && !IsFlowIndicator(line[i + 1])) ++i;
          continue;
        }
        if (c == '"' || c == '\'') {  // another quoted node: after_node again once it closes
          quote = c;
          continue;
        }
        // Text glued to a quoted scalar or flow collection (`"a"x`, `[a] b`) is not YAML either,
        // and yaml-cpp reads what follows it into the same loop.
        if (c != '[' && c != '{' && c != ':' && c != '#') return line_number;
        if (c != '[' && c != '{') after_node = false;  // a flow node: decided where it opens
      }
      if (c == ',' && flow_depth == 0 && StartsNodeAfterIndicator(line, i)) return line_number;
      // The general rule: in block context a ',' is text only inside a plain scalar. A plain
      // scalar starts at a character that starts no other node and ends at ": " (a key) or a
      // comment; quotes and brackets inside it are text.
      if (flow_depth == 0) {
        const bool indicator_gap = i + 1 >= line.size() || IsBlank(line[i + 1]);
        if (plain) {
          if (c == ':' && indicator_gap) plain = false;
          if (c == '#' && i > 0 && IsBlank(line[i - 1])) break;
          continue;
        }
        if (c == ',') return line_number;
        const bool starts_node = c == '"' || c == '\'' || c == '[' || c == '{' || c == '&' ||
                                 c == '!' || c == '*' || c == '#' || c == '|' || c == '>' ||
                                 ((c == '-' || c == '?' || c == ':') && indicator_gap);
        if (!starts_node && !IsBlank(c)) {
          plain = true;
          after_node = false;
          continue;
        }
        if (c == '*' || c == '&' || c == '!') {  // an alias or a property: its name
          while (i + 1 < line.size() && !IsBlank(line[i + 1]) && !IsFlowIndicator(line[i + 1])) ++i;
          continue;
        }
      }
      const bool token_start = i == 0 || IsBlank(line[i - 1]) || line[i - 1] == '[' ||
                               line[i - 1] == '{' || line[i - 1] == ',';
      if (c == '#' && (i == 0 || IsBlank(line[i - 1]))) break;
      if ((c == '"' || c == '\'') && token_start) {
        quote = c;
      } else if (c == '[' || c == '{') {
        // A collection opened where a root node starts (not inside a plain scalar: `a [b], c`).
        if (flow_depth == 0) flow_node = after_node || SkipNodeProperties(line) == i;
        after_node = false;
        ++flow_depth;
      } else if ((c == ']' || c == '}') && flow_depth > 0) {
        after_node = --flow_depth == 0 && flow_node;
      } else if ((c == '|' || c == '>') && token_start && flow_depth == 0 &&
                 IsBlockScalarHeader(line.substr(i + 1))) {
        block = Indent(line);
        root_block = SkipNodeProperties(line) == i;  // `--- |` or `|` alone: the root is the scalar
        break;
      }
    }
  }
  return std::nullopt;
}

}  // namespace hami::base
