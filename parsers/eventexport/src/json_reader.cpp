// ConvertTo-Json output of Get-WinEvent (PowerShell 5.1 and 7). Top-level values are
// found with a small string-aware bracket scanner and each event object is parsed on
// its own with nlohmann::json, so one damaged event costs only itself.
#include <hellotrace/time.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "internal.hpp"

namespace hellotrace::eventexport {
namespace {

using nlohmann::json;
constexpr int kMaxDepth = 64;
constexpr std::string_view kEventPropertyType = "System.Diagnostics.Eventing.Reader.EventProperty";

// End (one past) of the object/array starting at `pos`; npos when not closed or nested
// deeper than kMaxDepth (`too_deep` set).
size_t value_end(std::string_view t, size_t pos, bool& too_deep) {
  int depth = 0;
  bool str = false;
  too_deep = false;
  for (size_t i = pos; i < t.size(); ++i) {
    const char c = t[i];
    if (str) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        str = false;
      continue;
    }
    if (c == '"') {
      str = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) {
        too_deep = true;
        return std::string_view::npos;
      }
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

const json* find_ci(const json& o, std::string_view key) {
  if (!o.is_object()) return nullptr;
  auto it = o.find(std::string(key));
  if (it != o.end()) return &*it;
  for (auto i = o.begin(); i != o.end(); ++i)
    if (text::iequals(i.key(), key)) return &i.value();
  return nullptr;
}

// "/Date(1731578401123)/" (also with a "+0300" suffix, which does not change the
// instant) → ms since the epoch.
std::optional<int64_t> ms_date(std::string_view s) {
  if (!s.starts_with("/Date(")) return std::nullopt;
  s.remove_prefix(6);
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  auto v = detail::parse_int64(s.substr(0, i));
  if (!v || s.find(")/", i) == std::string_view::npos) return std::nullopt;
  if (*v > INT64_MAX / 10'000 || *v < INT64_MIN / 10'000 + 1) return std::nullopt;
  return v;
}

std::optional<uint64_t> as_u64(const json* j) {
  if (!j || j->is_null()) return std::nullopt;
  if (j->is_number_unsigned()) return j->get<uint64_t>();
  if (j->is_number_integer()) return static_cast<uint64_t>(j->get<int64_t>());
  if (j->is_string()) {
    const std::string& s = j->get_ref<const std::string&>();
    if (auto v = detail::parse_int64(s)) return static_cast<uint64_t>(*v);
    return detail::parse_uint<uint64_t>(s);
  }
  return std::nullopt;
}

std::string as_text(const json* j) {
  if (!j || j->is_null()) return {};
  if (j->is_string()) return j->get<std::string>();
  if (j->is_object()) {  // SecurityIdentifier {"BinaryLength":…,"Value":"S-1-…"}
    if (const json* v = find_ci(*j, "Value")) return as_text(v);
    return {};
  }
  return j->dump();
}

std::string render(const json& j, ValueKind kind) {
  switch (j.type()) {
    case json::value_t::null:
      return {};
    case json::value_t::boolean:
      return j.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      if (kind == ValueKind::kHexInt32) return detail::hex32(static_cast<uint32_t>(*as_u64(&j)));
      return j.dump();
    case json::value_t::number_float:
      return j.dump();
    case json::value_t::string: {
      const std::string& s = j.get_ref<const std::string&>();
      if (auto ms = ms_date(s)) return time::format_iso(*ms * 10'000);
      if (kind == ValueKind::kGuid) return detail::braced_guid(s);
      return s;
    }
    case json::value_t::object:
      if (const json* v = find_ci(j, "Value")) return render(*v, kind);
      return j.dump();
    case json::value_t::array: {
      bool bytes = !j.empty();
      for (const auto& e : j)
        if (!e.is_number_unsigned() && !e.is_number_integer())
          bytes = false;
        else if (e.get<int64_t>() < 0 || e.get<int64_t>() > 255)
          bytes = false;
      std::string out;
      if (bytes) {
        static const char* kHex = "0123456789ABCDEF";
        for (const auto& e : j) {
          const int v = static_cast<int>(e.get<int64_t>());
          out += kHex[v >> 4];
          out += kHex[v & 15];
        }
        return out;
      }
      for (const auto& e : j) {
        if (!out.empty()) out += ", ";
        out += render(e, ValueKind::kText);
      }
      return out;
    }
    default:
      return j.dump();
  }
}

struct Context {
  detail::Reporter& report;
  const Options& options;
  int64_t zone;
  std::set<std::pair<std::string, uint32_t>> told_unknown;
  bool told_depth = false;
};

// Returns false when the object is not an event (no Id).
bool fill(const json& o, eventlog::Record& r, RecordNotes& notes, Context& ctx, uint64_t line) {
  const json* id = find_ci(o, "Id");
  auto idv = as_u64(id);
  if (!idv || *idv > UINT32_MAX) {
    ctx.report(line, HT_NO_NUMBER, "JSON object without a numeric Id (not an event)");
    return false;
  }
  r.event_id = static_cast<uint32_t>(*idv);
  if (auto v = as_u64(find_ci(o, "Version"))) r.version = static_cast<uint8_t>(*v);
  if (auto v = as_u64(find_ci(o, "Qualifiers"))) r.qualifiers = static_cast<uint16_t>(*v);
  if (auto v = as_u64(find_ci(o, "Level"))) r.level = static_cast<uint8_t>(*v);
  if (auto v = as_u64(find_ci(o, "Task"))) r.task = static_cast<uint16_t>(*v);
  if (auto v = as_u64(find_ci(o, "Opcode"))) r.opcode = static_cast<uint8_t>(*v);
  if (auto v = as_u64(find_ci(o, "Keywords"))) r.keywords = *v;
  if (auto v = as_u64(find_ci(o, "RecordId"))) r.record_id = *v;
  r.provider = as_text(find_ci(o, "ProviderName"));
  if (std::string g = as_text(find_ci(o, "ProviderId")); !g.empty())
    r.provider_guid = detail::braced_guid(g);
  r.channel = as_text(find_ci(o, "LogName"));
  if (auto v = as_u64(find_ci(o, "ProcessId"))) r.process_id = static_cast<uint32_t>(*v);
  if (auto v = as_u64(find_ci(o, "ThreadId"))) r.thread_id = static_cast<uint32_t>(*v);
  r.computer = as_text(find_ci(o, "MachineName"));
  r.user_sid = as_text(find_ci(o, "UserId"));
  if (std::string g = as_text(find_ci(o, "ActivityId")); !g.empty())
    r.activity_id = detail::braced_guid(g);
  if (std::string g = as_text(find_ci(o, "RelatedActivityId")); !g.empty())
    r.related_activity_id = detail::braced_guid(g);
  r.message = as_text(find_ci(o, "Message"));

  // TimeCreated: "/Date(ms)/" (5.1), ISO with offset (7), or {"value": …} (5.1 PSObject).
  const json* tc = find_ci(o, "TimeCreated");
  if (tc && tc->is_object()) tc = find_ci(*tc, "value");
  if (tc && tc->is_string()) {
    const std::string& s = tc->get_ref<const std::string&>();
    if (auto ms = ms_date(s)) {
      r.time = *ms * 10'000;
      notes.time_precision_ticks = 10'000;
    } else {
      bool zone_given = false;
      if (auto ticks = time::parse_iso(s, true, &zone_given)) {
        r.time = *ticks;
        if (!zone_given) {
          r.time -= ctx.zone;
          notes.time_flags |= HT_TIME_ZONE_ASSUMED;
        }
      } else {
        ctx.report(line, HT_NO_NUMBER, "TimeCreated not understood: '" + s + "'");
      }
    }
  } else if (tc && !tc->is_null()) {
    ctx.report(line, HT_NO_NUMBER, "TimeCreated is neither a string nor a date object");
  }

  // Properties: positional EventData values.
  const json* props = find_ci(o, "Properties");
  if (!props || !props->is_array()) {
    notes.data_values_missing = true;
    return true;
  }
  auto names = manifest_names(r.provider, r.event_id, r.version);
  size_t i = 0;
  for (const json& p : *props) {
    if (p.is_string() && p.get_ref<const std::string&>() == kEventPropertyType) {
      notes.data_values_missing = true;
      r.data.clear();
      if (!ctx.told_depth) {
        ctx.told_depth = true;
        ctx.report(line, HT_NO_NUMBER,
                   "Properties were cut by the ConvertTo-Json depth (use -Depth 3 or more); "
                   "EventData values are not in this file",
                   HT_DIAG_INFO);
      }
      break;
    }
    const json* v = p.is_object() ? find_ci(p, "Value") : &p;
    DataName dn{};
    if (names && i < names->size()) dn = (*names)[i];
    r.data.push_back({std::string(dn.name), v ? render(*v, dn.kind) : std::string()});
    ++i;
  }
  if (!r.data.empty()) {
    if (!names) {
      notes.data_names_unknown = true;
      if (ctx.told_unknown.emplace(r.provider, r.event_id).second)
        ctx.report(line, HT_NO_NUMBER,
                   "EventData names of " + r.provider + " event " + std::to_string(r.event_id) +
                       " are not known; values kept unnamed in order",
                   HT_DIAG_INFO);
    } else if (r.data.size() > names->size()) {
      notes.data_names_partial = true;
    }
  }
  return true;
}

}  // namespace

Stats read_event_json(std::span<const uint8_t> bytes, const RecordFn& on_record,
                      const ProblemFn& on_problem, const Options& options) {
  Stats stats;
  detail::Reporter report{on_problem, stats};
  const detail::Decoded in = detail::decode_input(bytes, report);
  const std::string_view t = in.text;
  text::LineCounter lines(t);
  int64_t zone = 0;
  if (auto z = time::parse_offset(options.timezone)) zone = *z;
  Context ctx{report, options, zone, {}, false};
  eventlog::Record r;
  int array_depth = 0;  // inside a top-level array
  size_t pos = 0;
  bool any_value = false;
  bool saw_array = false;
  uint64_t failed_scan_bytes = 0;
  bool in_junk = false;
  auto skip_ws = [&] {
    while (pos < t.size() &&
           (t[pos] == ' ' || t[pos] == '\t' || t[pos] == '\r' || t[pos] == '\n' || t[pos] == ','))
      ++pos;
  };
  while (true) {
    skip_ws();
    if (pos >= t.size()) break;
    const char c = t[pos];
    if (c == '[' && array_depth == 0) {
      array_depth = 1;
      saw_array = true;
      ++pos;
      continue;
    }
    if (c == ']' && array_depth == 1) {
      array_depth = 0;
      ++pos;
      continue;
    }
    const uint64_t line = lines.line_at(pos);
    if (c != '{') {
      // Not an object: skip to the next line that may start one.
      if (!in_junk)  // once per stretch of junk
        report(line, in.file_offset(pos), "unexpected text where an event object was expected");
      in_junk = true;
      const size_t nl = t.find('\n', pos);
      const size_t line_end = nl == std::string_view::npos ? t.size() : nl + 1;
      const size_t brace = t.substr(pos, line_end - pos).find('{');
      pos = brace == std::string_view::npos ? line_end : pos + brace;
      continue;
    }
    in_junk = false;
    bool too_deep = false;
    const size_t end = value_end(t, pos, too_deep);
    if (end == std::string_view::npos) {
      // Each failed scan may run to the end of the text; bound the total work so that
      // many damaged objects cannot make reading quadratic.
      failed_scan_bytes += t.size() - pos;
      if (failed_scan_bytes > 64 * (t.size() + 1024)) {
        report(line, in.file_offset(pos),
               "too many damaged event objects; rest of the file skipped");
        break;
      }
      report(line, in.file_offset(pos),
             too_deep ? "JSON nested too deeply" : "event object cut short (no closing brace)");
      // Resync: the next line starting an object.
      size_t next = t.find("\n{", pos + 1);
      if (next == std::string_view::npos) break;
      pos = next + 1;
      continue;
    }
    any_value = true;
    json o = json::parse(t.substr(pos, end - pos), nullptr, false);
    pos = end;
    if (o.is_discarded()) {
      report(line, in.file_offset(pos), "bad JSON in event object");
      continue;
    }
    // PS 5.1 sometimes wraps an array as {"value": [...], "Count": n}.
    const json* wrapped = find_ci(o, "Id") ? nullptr : find_ci(o, "value");
    const bool many = wrapped && wrapped->is_array();
    const size_t count = many ? wrapped->size() : 1;
    for (size_t k = 0; k < count; ++k) {
      r.clear();
      r.line = line;
      RecordNotes notes;
      if (!fill(many ? (*wrapped)[k] : o, r, notes, ctx, line)) continue;
      ++stats.records;
      if (on_record && !on_record(r, notes)) {
        stats.stopped = true;
        return stats;
      }
    }
  }
  if (!any_value && stats.problems == 0) {
    // ConvertTo-Json of nothing writes nothing (or "[]"): not an error.
    const bool empty = text::trim(t).empty() || text::trim(t) == "[]" || saw_array;
    report(1, in.file_offset(0), empty ? "no events in the file" : "no JSON event object found",
           empty ? HT_DIAG_INFO : HT_DIAG_ERROR);
  }
  return stats;
}

}  // namespace hellotrace::eventexport
