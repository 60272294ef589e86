#include <algorithm>
#include <cstring>
#include <hellotrace/pstext/pstext.hpp>
#include <hellotrace/text/csv.hpp>
#include <hellotrace/text/text.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>
#include <utility>

namespace hellotrace::pstext {

namespace {

using hellotrace::text::iequals;
using hellotrace::text::trim;

bool is_blank(std::string_view s) { return trim(s).empty(); }

// Code points in UTF-8 text (continuation bytes are not counted).
size_t cp_len(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Byte offset of code point `cp` (s.size() when past the end).
size_t cp_offset(std::string_view s, size_t cp) {
  size_t seen = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (seen == cp) return i;
      ++seen;
    }
  }
  return s.size();
}

std::string_view cp_slice(std::string_view s, size_t from, size_t to) {
  const size_t a = cp_offset(s, from);
  const size_t b = to == std::string_view::npos ? s.size() : cp_offset(s, to);
  if (a >= b) return {};
  return s.substr(a, b - a);
}

size_t leading_spaces(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Property make_property(std::string name, std::string value) {
  Property p;
  p.truncated = is_truncated(value);
  p.name = std::move(name);
  p.value = std::move(value);
  return p;
}

// A row of dashes separated by spaces: the line under a Format-Table header.
bool is_dash_row(std::string_view line) {
  bool dash = false;
  for (char c : line) {
    if (c == '-') {
      dash = true;
    } else if (c != ' ' && c != '\t') {
      return false;
    }
  }
  return dash;
}

struct ListLine {
  std::string_view name;
  std::string_view value;
  size_t value_column;  // in code points
};

// `Name : value` / `Name :` as Format-List prints it (names padded to a common column).
std::optional<ListLine> list_line(std::string_view line) {
  const size_t indent = leading_spaces(line);
  size_t pos = line.find(" :", indent);
  while (pos != std::string_view::npos) {
    const size_t after = pos + 2;
    if (after == line.size() || line[after] == ' ') break;
    pos = line.find(" :", pos + 1);
  }
  if (pos == std::string_view::npos) return std::nullopt;
  const std::string_view name = trim(line.substr(indent, pos - indent));
  if (name.empty() || name.size() > 256) return std::nullopt;
  const char first = name.front();
  if (first == '+' || first == '<' || first == '{' || first == '}' || first == '@' ||
      first == '"' || first == '[' || first == '#' || first == '-')
    return std::nullopt;
  size_t vstart = pos + 2;
  if (vstart < line.size() && line[vstart] == ' ') ++vstart;
  ListLine out;
  out.name = name;
  out.value = vstart <= line.size() ? line.substr(vstart) : std::string_view();
  // Trailing spaces of a value are padding, except that a wrapped value keeps them.
  out.value_column = cp_len(line.substr(0, std::min(vstart, line.size())));
  return out;
}

bool starts_error_trailer(std::string_view line) {
  const std::string_view t = trim(line);
  if (text::istarts_with(t, "At line:")) return true;
  if (text::istarts_with(t, "+ CategoryInfo")) return true;
  if (text::istarts_with(t, "+ FullyQualifiedErrorId")) return true;
  if (text::istarts_with(t, "At ") && t.find(":line ") != std::string_view::npos) return true;
  if (text::istarts_with(t, "At ") && t.find(" char:") != std::string_view::npos) return true;
  return false;
}

bool is_stream_prefix(std::string_view line) {
  const std::string_view t = trim(line);
  return text::istarts_with(t, "WARNING:") || text::istarts_with(t, "VERBOSE:") ||
         text::istarts_with(t, "DEBUG:") || text::istarts_with(t, "INFO:");
}

// The command word of a prompt command ("Start-ADSyncSyncCycle -PolicyType Delta" →
// "Start-ADSyncSyncCycle").
std::string_view command_word(std::string_view command) {
  command = trim(command);
  const size_t sp = command.find_first_of(" \t|");
  return sp == std::string_view::npos ? command : command.substr(0, sp);
}

class ConsoleParser {
 public:
  ConsoleParser(std::string_view text, const Options& options, Result& out)
      : options_(options), out_(out) {
    lines_ = text::split_lines(text);
    for (const auto& l : lines_) max_width_ = std::max(max_width_, cp_len(l.text));
  }

  void run() {
    const size_t n = lines_.size();
    size_t i = 0;
    while (i < n && !full_) {
      const std::string_view line = lines_[i].text;
      const uint64_t number = lines_[i].number;
      if (is_blank(line)) {
        on_blank(i);
        ++i;
        continue;
      }
      if (auto cmd = prompt_command(line)) {
        flush();
        command_ = *cmd;
        out_.text.push_back({number, std::string(line)});
        ++i;
        continue;
      }
      if (i + 1 < n && is_dash_row(lines_[i + 1].text) && !is_dash_row(line) &&
          line.find(" : ") == std::string_view::npos) {
        flush();
        i = table(i);
        continue;
      }
      if (is_error_start(i)) {
        flush();
        i = error_record(i);
        continue;
      }
      if (is_stream_prefix(line)) {
        flush();
        out_.text.push_back({number, std::string(line)});
        ++i;
        continue;
      }
      if (current_ && !current_->properties.empty() && is_continuation(line)) {
        append_continuation(line);
        ++i;
        continue;
      }
      if (auto ll = list_line(line)) {
        add_property(*ll, number, line);
        ++i;
        continue;
      }
      out_.text.push_back({number, std::string(line)});
      ++i;
    }
    flush();
  }

 private:
  void on_blank(size_t i) {
    if (!current_) return;
    // Double-spaced output (a blank line after every field) keeps one object: merge
    // a one-property block into the next one-property block when names do not repeat.
    if (block_props_ == 1) {
      size_t j = i;
      while (j < lines_.size() && is_blank(lines_[j].text)) ++j;
      if (j < lines_.size()) {
        auto next = list_line(lines_[j].text);
        const bool next_single = j + 1 >= lines_.size() || is_blank(lines_[j + 1].text);
        if (next && next_single && !names_.count(text::to_lower(next->name)) &&
            !prompt_command(lines_[j].text)) {
          block_props_ = 0;
          return;
        }
      }
    }
    flush();
  }

  bool is_error_start(size_t i) const {
    const std::string_view line = lines_[i].text;
    const std::string_view t = trim(line);
    if (t.empty()) return false;
    // PowerShell 7 concise view and 5.1 both start with the command name and a colon.
    const std::string_view word = command_word(command_);
    if (word.size() >= 3 && text::istarts_with(t, word) && t.size() > word.size()) {
      const std::string_view rest = trim(t.substr(word.size()));
      if (!rest.empty() && rest.front() == ':') return true;
    }
    if (t.find(':') == std::string_view::npos) return false;
    // A property line is a property unless an error trailer follows before the next
    // blank line.
    for (size_t j = i + 1; j < lines_.size() && j < i + 40; ++j) {
      if (is_blank(lines_[j].text)) return false;
      if (starts_error_trailer(lines_[j].text)) return true;
      if (prompt_command(lines_[j].text)) return false;
    }
    return false;
  }

  size_t error_record(size_t i) {
    ErrorRecord rec;
    rec.line = lines_[i].number;
    rec.command = command_;
    size_t j = i;
    for (; j < lines_.size(); ++j) {
      const std::string_view l = lines_[j].text;
      if (is_blank(l) || (j > i && prompt_command(l))) break;
      if (j > i) rec.text.push_back('\n');
      rec.text.append(l);
    }
    out_.errors.push_back(std::move(rec));
    return j;
  }

  bool is_continuation(std::string_view line) const {
    const size_t lead = leading_spaces(line);
    return cont_column_ > 0 && lead >= cont_column_ && lead > key_indent_;
  }

  void append_continuation(std::string_view line) {
    Property& p = current_->properties.back();
    const std::string_view piece = line.substr(std::min(line.size(), cont_column_));
    const size_t prev = last_physical_len_;
    if (!p.value.empty()) {
      if (p.value.back() == ' ' || prev >= max_width_) {
        // wrapped at the console width: the line break is not part of the value
      } else if (prev + 1 >= max_width_) {
        p.value.push_back(' ');
      } else {
        p.value.push_back('\n');
      }
    }
    p.value.append(piece);
    last_physical_len_ = cp_len(line);
    p.truncated = is_truncated(trim(p.value));
  }

  void add_property(const ListLine& ll, uint64_t number, std::string_view line) {
    const std::string key = text::to_lower(ll.name);
    if (current_ && names_.count(key)) flush();
    if (!current_) {
      if (out_.objects.size() >= options_.max_objects) {
        full_ = true;
        out_.problems.push_back({number, "too many objects; the rest of the input is skipped"});
        return;
      }
      current_.emplace();
      current_->line = number;
      current_->format = Format::kList;
      current_->command = command_;
      key_indent_ = leading_spaces(line);
    }
    names_.insert(key);
    current_->properties.push_back(make_property(std::string(ll.name), std::string(ll.value)));
    cont_column_ = ll.value_column;
    last_physical_len_ = cp_len(line);
    ++block_props_;
  }

  void flush() {
    if (current_) {
      for (auto& p : current_->properties) {
        // Padding spaces at the end of a value are not part of it.
        while (!p.value.empty() && (p.value.back() == ' ' || p.value.back() == '\t'))
          p.value.pop_back();
        p.truncated = is_truncated(p.value);
      }
      if (!current_->properties.empty()) out_.objects.push_back(std::move(*current_));
    }
    current_.reset();
    names_.clear();
    block_props_ = 0;
    cont_column_ = 0;
  }

  size_t table(size_t i) {
    const std::string_view header = lines_[i].text;
    const std::string_view dashes = lines_[i + 1].text;
    struct Col {
      size_t start, end;
    };
    std::vector<Col> cols;
    for (size_t k = 0; k < dashes.size();) {
      if (dashes[k] == '-') {
        size_t e = k;
        while (e < dashes.size() && dashes[e] == '-') ++e;
        cols.push_back({k, e});
        k = e;
      } else {
        ++k;
      }
    }
    if (cols.size() > 4096) cols.resize(4096);
    auto cell = [&](std::string_view row, size_t c) {
      const size_t from = c == 0 ? 0 : cols[c].start;
      const size_t to = c + 1 < cols.size() ? cols[c + 1].start : std::string_view::npos;
      return trim(cp_slice(row, from, to));
    };
    std::vector<std::string> names;
    for (size_t c = 0; c < cols.size(); ++c) names.emplace_back(cell(header, c));
    size_t j = i + 2;
    for (; j < lines_.size(); ++j) {
      const std::string_view row = lines_[j].text;
      if (is_blank(row) || prompt_command(row) || is_dash_row(row)) break;
      if (j + 1 < lines_.size() && is_dash_row(lines_[j + 1].text)) break;  // next table
      if (out_.objects.size() >= options_.max_objects) {
        full_ = true;
        out_.problems.push_back({lines_[j].number, "too many objects; the rest is skipped"});
        break;
      }
      Object o;
      o.line = lines_[j].number;
      o.format = Format::kTable;
      o.command = command_;
      for (size_t c = 0; c < cols.size(); ++c)
        o.properties.push_back(make_property(names[c], std::string(cell(row, c))));
      out_.objects.push_back(std::move(o));
    }
    if (j == i + 2)
      out_.text.push_back({lines_[i].number, std::string(header)});  // header, no rows
    return j;
  }

  const Options& options_;
  Result& out_;
  std::vector<text::Line> lines_;
  size_t max_width_ = 0;
  std::optional<Object> current_;
  std::unordered_set<std::string> names_;
  size_t block_props_ = 0;
  size_t cont_column_ = 0;
  size_t key_indent_ = 0;
  size_t last_physical_len_ = 0;
  std::string command_;
  bool full_ = false;
};

// ---- CSV -------------------------------------------------------------------------

bool is_identifier_list(std::string_view line) {
  line = trim(line);
  if (line.empty() || line.find(',') == std::string_view::npos) return false;
  if (line.find(" : ") != std::string_view::npos) return false;
  bool start = true;
  for (char c : line) {
    if (c == ',') {
      if (start) return false;
      start = true;
      continue;
    }
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == ' ';
    if (!ok) return false;
    if (start && !(std::isalpha(static_cast<unsigned char>(c)) || c == '_')) return false;
    start = false;
  }
  return !start;
}

// ---- JSON ------------------------------------------------------------------------

std::string scalar_text(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return {};
    case nlohmann::json::value_t::boolean:
      return j.get<bool>() ? "True" : "False";
    case nlohmann::json::value_t::string:
      return j.get<std::string>();
    default:
      return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

void flatten(const std::string& prefix, const nlohmann::json& j, std::vector<Property>& out,
             JsonNesting nesting, int depth) {
  if (j.is_object()) {
    if (!prefix.empty() && (nesting == JsonNesting::kKeepJson || depth > 32)) {
      out.push_back(
          make_property(prefix, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
      return;
    }
    if (j.empty() && !prefix.empty()) {
      out.push_back(make_property(prefix, ""));
      return;
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string name = prefix.empty() ? it.key() : prefix + "." + it.key();
      flatten(name, it.value(), out, nesting, depth + 1);
    }
    return;
  }
  if (j.is_array()) {
    bool all_scalar = true;
    for (const auto& e : j) all_scalar = all_scalar && !e.is_structured();
    if (all_scalar) {
      std::string v = "{";
      bool first = true;
      for (const auto& e : j) {
        if (!first) v += ", ";
        first = false;
        v += scalar_text(e);
      }
      v += "}";
      out.push_back(make_property(prefix.empty() ? "Value" : prefix, std::move(v)));
      return;
    }
    if (nesting == JsonNesting::kKeepJson || depth > 32) {
      out.push_back(
          make_property(prefix.empty() ? "Value" : prefix,
                        j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
      return;
    }
    size_t k = 0;
    for (const auto& e : j) {
      flatten((prefix.empty() ? "Value" : prefix) + "[" + std::to_string(k++) + "]", e, out,
              nesting, depth + 1);
    }
    return;
  }
  Property p = make_property(prefix.empty() ? "Value" : prefix, scalar_text(j));
  p.truncated = false;  // JSON values are never cut by the formatter
  out.push_back(std::move(p));
}

class JsonScanner {
 public:
  JsonScanner(std::string_view text, const Options& options, Result& out)
      : s_(text), options_(options), out_(out) {}

  void run() {
    std::string command;
    while (pos_ < s_.size()) {
      // Line by line until a line whose first non-space character opens JSON.
      const size_t eol = std::min(s_.find('\n', pos_), s_.size());
      std::string_view line = s_.substr(pos_, eol - pos_);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      const size_t lead = leading_spaces(line);
      auto cmd = prompt_command(line);
      if (!cmd && lead < line.size() && (line[lead] == '{' || line[lead] == '[')) {
        pos_ += lead;
        command_ = command;
        if (!value_at_top()) return;  // truncated: stop
        continue;
      }
      if (!is_blank(line)) {
        if (cmd) command = *cmd;
        out_.text.push_back({line_, std::string(line)});
      }
      advance_to(eol == s_.size() ? eol : eol + 1);
    }
  }

 private:
  void advance_to(size_t to) {
    for (; pos_ < to && pos_ < s_.size(); ++pos_)
      if (s_[pos_] == '\n') ++line_;
  }

  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\r' || s_[pos_] == '\n')) {
      if (s_[pos_] == '\n') ++line_;
      ++pos_;
    }
  }

  // Scans one JSON value from pos_ (which must not be whitespace); returns its end, or
  // npos when the input ends inside it. Updates line_. Sets too_deep_.
  size_t scan_value() {
    size_t depth = 0;
    bool in_string = false;
    too_deep_ = false;
    const size_t start = pos_;
    for (size_t i = start; i < s_.size(); ++i) {
      const char c = s_[i];
      if (c == '\n') ++line_;
      if (in_string) {
        if (c == '\\') {
          ++i;
          if (i < s_.size() && s_[i] == '\n') ++line_;
        } else if (c == '"') {
          in_string = false;
          if (depth == 0) return i + 1;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
        if (depth > 512) too_deep_ = true;
      } else if (c == '}' || c == ']') {
        if (depth == 0) return i;  // a closer of the enclosing container
        --depth;
        if (depth == 0) return i + 1;
      } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
        if (c == '\n') --line_;  // not part of the value
        return i;
      }
    }
    return std::string_view::npos;
  }

  void add_element(std::string_view text, uint64_t line) {
    if (too_deep_) {
      out_.problems.push_back({line, "JSON nested too deeply; element skipped"});
      return;
    }
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) {
      out_.problems.push_back({line, "invalid JSON; element skipped"});
      return;
    }
    if (out_.objects.size() >= options_.max_objects) {
      if (!full_) out_.problems.push_back({line, "too many objects; the rest is skipped"});
      full_ = true;
      return;
    }
    Object o;
    o.line = line;
    o.format = Format::kJson;
    o.command = command_;
    flatten("", j, o.properties, options_.json_nesting, 0);
    if (!o.properties.empty()) out_.objects.push_back(std::move(o));  // `{}`: nothing to say
  }

  // Reads the value at pos_ ('{' or '['). False when the input ended inside it.
  bool value_at_top() {
    if (s_[pos_] == '{') {
      const uint64_t line = line_;
      const size_t start = pos_;
      const size_t end = scan_value();
      if (end == std::string_view::npos) {
        out_.problems.push_back({line, "truncated JSON: the object starting here is incomplete"});
        pos_ = s_.size();
        return false;
      }
      add_element(s_.substr(start, end - start), line);
      pos_ = end;
      return true;
    }
    // An array: one element at a time, so a damaged or cut element loses only itself.
    const uint64_t array_line = line_;
    ++pos_;
    while (true) {
      skip_ws();
      if (pos_ >= s_.size()) {
        out_.problems.push_back(
            {array_line, "truncated JSON: the array starting here is not closed"});
        return false;
      }
      const char c = s_[pos_];
      if (c == ']') {
        ++pos_;
        return true;
      }
      if (c == ',') {
        ++pos_;
        continue;
      }
      const uint64_t line = line_;
      const size_t start = pos_;
      const size_t end = scan_value();
      if (end == std::string_view::npos) {
        out_.problems.push_back({line, "truncated JSON: the element starting here is incomplete"});
        pos_ = s_.size();
        return false;
      }
      if (end == start) {  // a stray closer '}' inside the array
        out_.problems.push_back({line, "invalid JSON; unexpected character skipped"});
        ++pos_;
        continue;
      }
      add_element(s_.substr(start, end - start), line);
      pos_ = end;
      if (full_) return false;
    }
  }

  std::string_view s_;
  const Options& options_;
  Result& out_;
  size_t pos_ = 0;
  uint64_t line_ = 1;
  bool too_deep_ = false;
  bool full_ = false;
  std::string command_;
};

// First significant line: not blank, not a prompt. Returns its index or npos.
size_t first_significant(const std::vector<text::Line>& lines) {
  for (size_t i = 0; i < lines.size(); ++i) {
    if (is_blank(lines[i].text)) continue;
    if (prompt_command(lines[i].text)) continue;
    return i;
  }
  return std::string_view::npos;
}

void set_main_format(Result& r) {
  if (!r.objects.empty()) r.format = r.objects.front().format;
}

}  // namespace

const char* format_name(Format f) {
  switch (f) {
    case Format::kUnknown:
      return "unknown";
    case Format::kList:
      return "Format-List";
    case Format::kTable:
      return "Format-Table";
    case Format::kCsv:
      return "Export-Csv";
    case Format::kJson:
      return "ConvertTo-Json";
  }
  return "?";
}

const Property* Object::find(std::string_view name) const {
  for (const auto& p : properties)
    if (iequals(p.name, name)) return &p;
  return nullptr;
}

const std::string* Object::get(std::string_view name) const {
  const Property* p = find(name);
  return p ? &p->value : nullptr;
}

bool is_truncated(std::string_view value) {
  value = trim(value);
  if (ends_with(value, "...}")) return true;
  if (ends_with(value, "\xE2\x80\xA6}")) return true;
  return ends_with(value, "...") || ends_with(value, "\xE2\x80\xA6");
}

std::optional<std::string> prompt_command(std::string_view line) {
  std::string_view t = trim(line);
  if (!t.empty() && t.front() == '[') {  // remote session: "[server]: PS C:\> "
    const size_t close = t.find("]:");
    if (close == std::string_view::npos || close > 256) return std::nullopt;
    t = trim(t.substr(close + 2));
  }
  if (t.size() < 3 || t[0] != 'P' || t[1] != 'S') return std::nullopt;
  if (t[2] != ' ' && t[2] != '>') return std::nullopt;
  const size_t gt = t.find('>');
  if (gt == std::string_view::npos || gt > 300) return std::nullopt;
  // The path part must look like a location (drive, UNC, provider) or be empty.
  const std::string_view path = trim(t.substr(2, gt - 2));
  if (!path.empty() && path.find(':') == std::string_view::npos &&
      path.find('\\') == std::string_view::npos && path.find('/') == std::string_view::npos &&
      path.front() != '~')
    return std::nullopt;
  return std::string(trim(t.substr(gt + 1)));
}

std::vector<std::string> split_collection(std::string_view value, bool* truncated) {
  if (truncated) *truncated = false;
  std::string_view v = trim(value);
  if (v.size() >= 2 && v.front() == '{' && v.back() == '}')
    v = trim(v.substr(1, v.size() - 2));
  else if (v.empty())
    return {};
  else if (v.front() != '{')
    return {std::string(v)};
  else
    v = trim(v.substr(1));  // "{a, b, c..." cut before the closing brace
  if (ends_with(v, "...")) {
    v = trim(v.substr(0, v.size() - 3));
    if (truncated) *truncated = true;
  } else if (ends_with(v, "\xE2\x80\xA6")) {
    v = trim(v.substr(0, v.size() - 3));
    if (truncated) *truncated = true;
  }
  std::vector<std::string> items;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '{' || c == '(' || c == '[') ++depth;
    if ((c == '}' || c == ')' || c == ']') && depth > 0) --depth;
    if (c == ',' && depth == 0) {
      const std::string_view item = trim(v.substr(start, i - start));
      if (!item.empty()) items.emplace_back(item);
      start = i + 1;
    }
  }
  const std::string_view last = trim(v.substr(std::min(start, v.size())));
  if (!last.empty()) items.emplace_back(last);
  return items;
}

std::optional<std::vector<Property>> parse_hashtable(std::string_view value) {
  std::string_view v = trim(value);
  if (v.size() < 3 || v[0] != '@' || v[1] != '{') return std::nullopt;
  v = v.substr(2);
  if (!v.empty() && v.back() == '}') v.remove_suffix(1);
  std::vector<Property> out;
  int depth = 0;
  size_t start = 0;
  auto take = [&](std::string_view item) {
    item = trim(item);
    if (item.empty()) return;
    const size_t eq = item.find('=');
    const bool keyish = eq != std::string_view::npos && eq > 0 &&
                        item.substr(0, eq).find_first_of(" <>\"'") == std::string_view::npos;
    if (!keyish) {
      if (!out.empty()) {
        out.back().value += "; ";
        out.back().value.append(item);
      }
      return;
    }
    out.push_back(make_property(std::string(trim(item.substr(0, eq))),
                                std::string(trim(item.substr(eq + 1)))));
  };
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '{' || c == '(' || c == '[') ++depth;
    if ((c == '}' || c == ')' || c == ']') && depth > 0) --depth;
    if (c == ';' && depth == 0) {
      take(v.substr(start, i - start));
      start = i + 1;
    }
  }
  take(v.substr(std::min(start, v.size())));
  return out;
}

Format detect_format(std::string_view text) {
  const std::vector<text::Line> lines = text::split_lines(text.substr(0, 64 * 1024));
  const size_t i = first_significant(lines);
  if (i == std::string_view::npos) return Format::kUnknown;
  const std::string_view t = trim(lines[i].text);
  if (t.front() == '{' || t.front() == '[') return Format::kJson;
  if (text::istarts_with(t, "#TYPE")) return Format::kCsv;
  if (t.front() == '"' &&
      (t.find("\",") != std::string_view::npos || t.find("\";") != std::string_view::npos))
    return Format::kCsv;
  if (is_identifier_list(t) && i + 1 < lines.size()) {
    const std::string_view next = lines[i + 1].text;
    const char d = text::guess_csv_delimiter(t);
    if (std::count(next.begin(), next.end(), d) >= std::count(t.begin(), t.end(), d))
      return Format::kCsv;
  }
  if (i + 1 < lines.size() && is_dash_row(lines[i + 1].text)) return Format::kTable;
  return Format::kList;
}

Result parse_console(std::string_view text, const Options& options) {
  Result r;
  ConsoleParser(text, options, r).run();
  set_main_format(r);
  return r;
}

Result parse_csv(std::string_view text, const Options& options) {
  Result r;
  r.format = Format::kCsv;
  // Leading blank and prompt lines, then an optional #TYPE line.
  size_t pos = 0;
  uint64_t line = 1;
  std::string command;
  while (pos < text.size()) {
    const size_t eol = std::min(text.find('\n', pos), text.size());
    std::string_view l = text.substr(pos, eol - pos);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    const bool blank = is_blank(l);
    auto cmd = blank ? std::nullopt : prompt_command(l);
    const bool type_line = !blank && text::istarts_with(trim(l), "#TYPE");
    if (!blank && !cmd && !type_line) break;
    if (cmd) command = *cmd;
    if (!blank) r.text.push_back({line, std::string(l)});
    pos = eol == text.size() ? eol : eol + 1;
    ++line;
  }
  if (pos >= text.size()) return r;
  const std::string_view body = text.substr(pos);
  const size_t header_end = std::min(body.find('\n'), body.size());
  const text::CsvDialect dialect{.delimiter = text::guess_csv_delimiter(body.substr(0, header_end)),
                                 .lf_in_quotes = true,
                                 .cr_ends_row = true};
  text::CsvReader reader(body, dialect, line);
  text::CsvRow row;
  if (!reader.next(row)) return r;
  if (row.unterminated) {
    r.problems.push_back({row.line, "truncated CSV: the header row is incomplete"});
    return r;
  }
  std::vector<std::string> header = std::move(row.fields);
  for (auto& h : header) h = std::string(trim(h));
  while (reader.next(row)) {
    if (row.unterminated) {
      r.problems.push_back({row.line,
                            "truncated CSV: a quoted value starting in this row is not closed; row "
                            "skipped"});
      break;
    }
    if (row.fields.size() == 1 && is_blank(row.fields[0])) continue;
    if (r.objects.size() >= options.max_objects) {
      r.problems.push_back({row.line, "too many objects; the rest is skipped"});
      break;
    }
    if (row.fields.size() != header.size()) {
      r.problems.push_back({row.line, "CSV row has " + std::to_string(row.fields.size()) +
                                          " values, the header " + std::to_string(header.size())});
    }
    Object o;
    o.line = row.line;
    o.format = Format::kCsv;
    o.command = command;
    for (size_t k = 0; k < header.size(); ++k) {
      Property p;
      p.name = header[k];
      p.value = k < row.fields.size() ? std::move(row.fields[k]) : std::string();
      o.properties.push_back(std::move(p));
    }
    r.objects.push_back(std::move(o));
  }
  return r;
}

Result parse_json(std::string_view text, const Options& options) {
  Result r;
  r.format = Format::kJson;
  JsonScanner(text, options, r).run();
  return r;
}

Result parse(std::string_view text, const Options& options) {
  switch (detect_format(text)) {
    case Format::kJson:
      return parse_json(text, options);
    case Format::kCsv:
      return parse_csv(text, options);
    default:
      return parse_console(text, options);
  }
}

Result parse_bytes(std::span<const uint8_t> bytes, const Options& options) {
  const std::string decoded = text::decode(bytes);
  return parse(decoded, options);
}

}  // namespace hellotrace::pstext
