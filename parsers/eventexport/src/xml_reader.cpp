// Event XML: <Event> elements cut out of the decoded text one by one and parsed with
// pugixml, so a damaged event costs only itself and memory stays at one event's DOM.
#include <algorithm>
#include <cstring>
#include <hellotrace/text/xml_names.hpp>
#include <hellotrace/time.hpp>
#include <pugixml.hpp>

#include "internal.hpp"

namespace hellotrace::eventexport {
namespace {

using detail::braced_guid;
using detail::parse_uint;

using text::xml::child;
using text::xml::local_name;

// Text of the direct text/CDATA children, concatenated.
std::string text_of(const pugi::xml_node& n) {
  std::string out;
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  return out;
}

bool has_element_children(const pugi::xml_node& n) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element) return true;
  return false;
}

// UserData: leaf elements below the provider element, named by their path.
void flatten(const pugi::xml_node& n, const std::string& path, eventlog::Record& r) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string p =
        path.empty() ? std::string(local_name(c)) : path + "/" + std::string(local_name(c));
    if (has_element_children(c))
      flatten(c, p, r);
    else
      r.data.push_back({std::move(p), text_of(c)});
  }
}

// Fills `r` from an <Event> element; returns a reason when something was wrong (the
// record is still yielded when System/EventID was readable).
void fill(const pugi::xml_node& ev, eventlog::Record& r, std::vector<std::string>& issues) {
  const pugi::xml_node sys = child(ev, "System");
  if (!sys) issues.push_back("event without <System>");
  if (auto p = child(sys, "Provider")) {
    r.provider = p.attribute("Name").value();
    r.provider_guid = braced_guid(p.attribute("Guid").value());
    r.event_source_name = p.attribute("EventSourceName").value();
  }
  if (auto e = child(sys, "EventID")) {
    if (auto v = parse_uint<uint32_t>(text_of(e)))
      r.event_id = *v;
    else
      issues.push_back("bad EventID '" + text_of(e) + "'");
    if (auto q = parse_uint<uint16_t>(e.attribute("Qualifiers").value())) r.qualifiers = *q;
  } else {
    issues.push_back("event without EventID");
  }
  auto num = [&](std::string_view name, auto& out) {
    if (auto e = child(sys, name)) {
      using T = std::remove_reference_t<decltype(out)>;
      const std::string t = text_of(e);
      if (auto v = parse_uint<T>(t))
        out = *v;
      else if (!t.empty())
        issues.push_back("bad " + std::string(name) + " '" + t + "'");
    }
  };
  num("Version", r.version);
  num("Level", r.level);
  num("Task", r.task);
  num("Opcode", r.opcode);
  num("Keywords", r.keywords);
  num("EventRecordID", r.record_id);
  if (auto t = child(sys, "TimeCreated")) {
    const std::string_view st = t.attribute("SystemTime").value();
    if (auto ticks = time::parse_iso(st))
      r.time = *ticks;
    else if (!st.empty())
      issues.push_back("bad TimeCreated SystemTime '" + std::string(st) + "'");
  }
  if (auto c = child(sys, "Correlation")) {
    r.activity_id = braced_guid(c.attribute("ActivityID").value());
    r.related_activity_id = braced_guid(c.attribute("RelatedActivityID").value());
  }
  if (auto x = child(sys, "Execution")) {
    if (auto v = parse_uint<uint32_t>(x.attribute("ProcessID").value())) r.process_id = *v;
    if (auto v = parse_uint<uint32_t>(x.attribute("ThreadID").value())) r.thread_id = *v;
  }
  r.channel = text_of(child(sys, "Channel"));
  r.computer = text_of(child(sys, "Computer"));
  if (auto s = child(sys, "Security")) r.user_sid = s.attribute("UserID").value();

  if (auto ed = child(ev, "EventData")) {
    for (pugi::xml_node d = ed.first_child(); d; d = d.next_sibling()) {
      if (d.type() != pugi::node_element) continue;
      if (local_name(d) == "Data") {
        r.data.push_back({d.attribute("Name").value(), text_of(d)});
      } else if (local_name(d) == "Binary") {
        std::string b = text_of(d);
        if (!b.empty()) r.data.push_back({"Binary", std::move(b)});
      }
    }
  } else if (auto ud = child(ev, "UserData")) {
    r.user_data = true;
    for (pugi::xml_node p = ud.first_child(); p; p = p.next_sibling()) {
      if (p.type() != pugi::node_element) continue;
      if (has_element_children(p))
        flatten(p, "", r);
      else
        r.data.push_back({std::string(local_name(p)), text_of(p)});
      break;  // one provider-specific element
    }
  }
  if (auto ri = child(ev, "RenderingInfo")) r.message = text_of(child(ri, "Message"));
}

bool is_event_start(std::string_view t, size_t pos) {
  if (t.compare(pos, 6, "<Event") != 0) return false;
  if (pos + 6 >= t.size()) return true;  // cut short: still an event start
  const char n = t[pos + 6];
  return n == ' ' || n == '>' || n == '\t' || n == '\r' || n == '\n' || n == '/';
}

size_t find_event_start(std::string_view t, size_t from) {
  while (true) {
    const size_t p = t.find("<Event", from);
    if (p == std::string_view::npos || is_event_start(t, p)) return p;
    from = p + 6;
  }
}

// Finds closing tags; remembers the last one found so that many starts before one
// close (damaged input) do not rescan the text: the search is linear overall.
class CloseFinder {
 public:
  explicit CloseFinder(std::string_view t) : t_(t) {}
  // End (one past '>') of the first "</Event>" at or after `from`, npos if none.
  size_t end_after(size_t from) {
    if (close_ != kUnset && (close_ == std::string_view::npos || close_ >= from)) return end_;
    size_t f = from;
    while (true) {
      const size_t p = t_.find("</Event", f);
      if (p == std::string_view::npos) {
        close_ = end_ = std::string_view::npos;
        return end_;
      }
      size_t q = p + 7;
      while (q < t_.size() && (t_[q] == ' ' || t_[q] == '\t' || t_[q] == '\r' || t_[q] == '\n'))
        ++q;
      if (q < t_.size() && t_[q] == '>') {
        close_ = p;
        end_ = q + 1;
        return end_;
      }
      f = p + 7;  // "</EventData>" etc.
    }
  }

 private:
  static constexpr size_t kUnset = std::string_view::npos - 1;
  std::string_view t_;
  size_t close_ = kUnset, end_ = kUnset;
};

// End of the element starting at `start` (self-closing or up to its "</Event>"), npos
// if none; `next` receives the next event start after `start`.
size_t find_event_end(std::string_view t, size_t start, size_t& next, CloseFinder& closes) {
  next = find_event_start(t, start + 6);
  const std::string_view head =
      t.substr(start, next == std::string_view::npos ? std::string_view::npos : next - start);
  const size_t gt = head.find('>');
  if (gt != std::string_view::npos && gt > 0 && head[gt - 1] == '/') return start + gt + 1;
  return closes.end_after(start + 6);
}

}  // namespace

Stats read_event_xml(std::span<const uint8_t> bytes, const RecordFn& on_record,
                     const ProblemFn& on_problem, const Options& options) {
  Stats stats;
  detail::Reporter report{on_problem, stats};
  const detail::Decoded in = detail::decode_input(bytes, report);
  const std::string_view t = in.text;
  text::LineCounter lines(t);
  eventlog::Record r;
  std::vector<std::string> issues;
  size_t pos = find_event_start(t, 0);
  if (pos == std::string_view::npos) {
    // An empty log saved by Event Viewer is "<Events></Events>": nothing wrong.
    const bool empty = text::trim(t).empty() || t.find("<Events") != std::string_view::npos;
    report(1, in.file_offset(0), empty ? "no events in the file" : "no <Event> element found",
           empty ? HT_DIAG_INFO : HT_DIAG_ERROR);
    return stats;
  }
  const unsigned flags = pugi::parse_cdata | pugi::parse_escapes | pugi::parse_wconv_attribute;
  CloseFinder closes(t);
  while (pos != std::string_view::npos) {
    size_t next = std::string_view::npos;
    const size_t end = find_event_end(t, pos, next, closes);
    const uint64_t line = lines.line_at(pos);
    if (end == std::string_view::npos) {
      uint64_t more = 0;
      for (size_t p = next; p != std::string_view::npos; p = find_event_start(t, p + 6)) ++more;
      report(line, in.file_offset(pos),
             "event cut short (no </Event> until the end of the file)" +
                 (more ? " and " + std::to_string(more) + " more event start(s) after it"
                       : std::string()));
      break;
    }
    if (next != std::string_view::npos && next < end) {
      report(line, in.file_offset(pos), "event cut short (next <Event> before </Event>)");
      pos = next;
      continue;
    }
    pugi::xml_document doc;
    const pugi::xml_parse_result res =
        doc.load_buffer(t.data() + pos, end - pos, flags, pugi::encoding_utf8);
    if (!res) {
      const size_t at = pos + std::min(static_cast<size_t>(res.offset), end - pos);
      const uint64_t at_line =
          line + static_cast<uint64_t>(std::count(t.begin() + pos, t.begin() + at, '\n'));
      report(at_line, in.file_offset(at), std::string("bad event XML: ") + res.description());
      pos = find_event_start(t, end);
      continue;
    }
    r.clear();
    issues.clear();
    fill(doc.document_element(), r, issues);
    r.line = line;
    for (const auto& i : issues) report(line, in.file_offset(pos), i);
    const bool usable = std::none_of(issues.begin(), issues.end(), [](const std::string& i) {
      return i.starts_with("event without") || i.starts_with("bad EventID");
    });
    if (usable) {
      ++stats.records;
      if (on_record && !on_record(r, RecordNotes{})) {
        stats.stopped = true;
        return stats;
      }
    }
    pos = find_event_start(t, end);
  }
  (void)options;
  return stats;
}

}  // namespace hellotrace::eventexport
