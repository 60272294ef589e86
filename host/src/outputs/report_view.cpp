#include "outputs/report_view.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>
#include <map>
#include <set>

namespace hellotrace::host {

// ---- story order ---------------------------------------------------------------

namespace {

// Do two subjects name the same person (any user fact in common)? A subject naming no
// person fits anyone: a tenant- or device-wide cause explains every user's consequence.
bool same_person_or_none(const Subject& cause, const Subject& of) {
  if (!cause.names_user()) return true;
  auto eq = [](const std::string& a, const std::string& b) {
    return !a.empty() && text::iequals(a, b);
  };
  return eq(cause.user_sid, of.user_sid) || eq(cause.user_upn, of.user_upn) ||
         eq(cause.user_dn, of.user_dn) || eq(cause.user_sam, of.user_sam);
}

std::vector<std::string> explained_by(const Finding& f) {
  std::vector<std::string> out;
  const auto it = f.details.find("explained_by");
  if (it == f.details.end()) return out;
  if (it->is_string()) out.push_back(it->get<std::string>());
  if (it->is_array())
    for (const auto& v : *it)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace

std::vector<FindingItem> story_order(const std::vector<Finding>& findings,
                                     const std::vector<size_t>& which) {
  const size_t n = which.size();
  // parent[i]: position in `which` of the finding that explains which[i] (the first
  // one in the given order: the most severe), or n.
  std::vector<size_t> parent(n, n);
  std::map<std::string, std::vector<size_t>> by_rule;
  for (size_t i = 0; i < n; ++i) by_rule[findings[which[i]].rule].push_back(i);
  auto reaches = [&](size_t from, size_t to) {  // is `to` an ancestor of `from` (or itself)?
    for (size_t k = from, steps = 0; k != n && steps <= n; k = parent[k], ++steps)
      if (k == to) return true;
    return false;
  };
  for (size_t i = 0; i < n; ++i) {
    const Finding& f = findings[which[i]];
    for (const std::string& rule : explained_by(f)) {
      const auto it = by_rule.find(rule);
      if (it == by_rule.end()) continue;
      for (size_t c : it->second)
        if (c != i && same_person_or_none(findings[which[c]].subject, f.subject) &&
            !reaches(c, i)) {
          parent[i] = c;
          break;
        }
      if (parent[i] != n) break;
    }
  }
  std::vector<std::vector<size_t>> children(n);
  std::vector<size_t> roots;
  for (size_t i = 0; i < n; ++i) (parent[i] == n ? roots : children[parent[i]]).push_back(i);
  // A tree weighs as its most severe finding.
  std::vector<int> worst(n, -2);
  std::function<int(size_t)> weigh = [&](size_t i) {
    if (worst[i] != -2) return worst[i];
    int w = severity_rank(findings[which[i]].severity);
    for (size_t c : children[i]) w = std::max(w, weigh(c));
    return worst[i] = w;
  };
  auto by_weight = [&](size_t a, size_t b) {
    if (weigh(a) != weigh(b)) return weigh(a) > weigh(b);
    return a < b;
  };
  std::vector<FindingItem> out;
  out.reserve(n);
  std::function<void(size_t, int)> walk = [&](size_t i, int depth) {
    out.push_back(
        {which[i], depth, parent[i] == n ? -1 : static_cast<int>(which[parent[i]]), true});
    std::sort(children[i].begin(), children[i].end(), by_weight);
    for (size_t c : children[i]) walk(c, depth + 1);
  };
  std::sort(roots.begin(), roots.end(), by_weight);
  for (size_t r : roots) walk(r, 0);
  return out;
}

// ---- details -------------------------------------------------------------------

namespace {

// "2025-03-04T10:30:00.0000000Z" as the reports write times; anything else unchanged.
std::string shorter_time(const std::string& s) {
  if (s.size() < 20 || s.size() > 30 || s.back() != 'Z' || s[4] != '-' || s[10] != 'T') return s;
  const auto t = time::parse_iso(s);
  return t ? report_detail::time_utc(*t) : s;
}

std::string scalar(const nlohmann::json& v) {
  if (v.is_string()) return shorter_time(v.get<std::string>());
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_null()) return "(none)";
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "eta_basis" → "eta basis".
std::string label(std::string key) {
  std::replace(key.begin(), key.end(), '_', ' ');
  return key;
}

void rows_of(const std::string& prefix, const nlohmann::json& v, std::vector<DetailRow>& out) {
  if (v.is_object()) {
    for (const auto& [k, x] : v.items())
      rows_of(prefix.empty() ? label(k) : prefix + " › " + k, x, out);
    return;
  }
  if (v.is_array()) {
    bool flat = true;
    for (const auto& x : v) flat = flat && !x.is_structured();
    if (!flat) {
      for (size_t i = 0; i < v.size(); ++i) rows_of(fmt::format("{} {}", prefix, i + 1), v[i], out);
      return;
    }
    std::string joined;
    for (const auto& x : v) joined += (joined.empty() ? "" : ", ") + scalar(x);
    out.push_back({prefix, joined});
    return;
  }
  out.push_back({prefix, scalar(v)});
}

}  // namespace

std::vector<DetailRow> detail_rows(const Finding& f, size_t max_rows) {
  std::vector<DetailRow> rows;
  if (!f.details.is_object()) return rows;
  for (const auto& [k, v] : f.details.items()) {
    // The explanation is already part of the summary.
    if (k == "explanation") continue;
    rows_of(label(k), v, rows);
  }
  if (rows.size() > max_rows) {
    const size_t left = rows.size() - (max_rows - 1);
    rows.resize(max_rows - 1);
    rows.push_back({"…", fmt::format("{} more detail(s) in the NDJSON findings", left)});
  }
  return rows;
}

// ---- shared helpers ------------------------------------------------------------

namespace report_detail {

std::string time_utc(int64_t ticks) {
  if (ticks == HT_NO_TIME) return {};
  std::string s = time::format_iso(ticks);  // 2025-03-04T10:00:00.1230000Z
  const size_t dot = s.find('.');
  if (dot == std::string::npos) return s;
  size_t end = s.size() - 1;  // the Z
  while (end > dot + 1 && s[end - 1] == '0') --end;
  if (end == dot + 1) return s.substr(0, dot) + "Z";
  return s.substr(0, end) + "Z";
}

std::string clean(std::string_view s, size_t max_bytes) {
  std::string valid = text::sanitize_utf8(s);
  std::string out;
  out.reserve(std::min(valid.size(), max_bytes) + 8);
  bool cut = false;
  for (size_t i = 0; i < valid.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(valid[i]);
    if (out.size() >= max_bytes && (c & 0xC0) != 0x80) {
      cut = true;
      break;
    }
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
      out += "\xEF\xBF\xBD";
    } else if (c == 0xC2 && i + 1 < valid.size() &&
               static_cast<unsigned char>(valid[i + 1]) < 0xA0) {
      out += "\xEF\xBF\xBD";  // C1 control characters
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (cut) out += "…";
  return out;
}

bool safe_https_url(std::string_view url) {
  if (url.size() <= 8 || url.substr(0, 8) != "https://" || url.size() > 2000) return false;
  for (char ch : url) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' ||
        c == '`')
      return false;
  }
  return true;
}

static std::string evidence_key(std::string_view file, const Position& p, std::string_view kind) {
  return fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}", file, p.line, p.offset, p.record, kind);
}

EvidenceIndex::EvidenceIndex(const Report& r) {
  for (const Finding& f : r.findings)
    for (const Evidence& e : f.evidence) keys.push_back(evidence_key(e.file, e.position, e.kind));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
}

bool EvidenceIndex::contains(const TimelineEntry& e) const {
  return std::binary_search(keys.begin(), keys.end(), evidence_key(e.file, e.origin, e.kind));
}

std::vector<Remedy> top_remedies(const Report& r) {
  std::map<std::string, Remedy> by_rule;
  std::map<std::string, std::set<std::string>> subjects;
  for (const Finding& f : r.findings) {
    Remedy& m = by_rule[f.rule];
    if (m.rule.empty()) {
      m.rule = f.rule;
      m.severity = f.severity;
      m.title = f.title;
      m.remediation = f.remediation;
      m.documentation = f.documentation;
    }
    if (severity_rank(f.severity) > severity_rank(m.severity)) m.severity = f.severity;
    ++m.findings;
    subjects[f.rule].insert(subject_key(f.subject));
  }
  std::vector<Remedy> out;
  for (auto& [rule, m] : by_rule) {
    m.subjects = subjects[rule].size();
    out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(), [](const Remedy& a, const Remedy& b) {
    if (severity_rank(a.severity) != severity_rank(b.severity))
      return severity_rank(a.severity) > severity_rank(b.severity);
    if (a.subjects != b.subjects) return a.subjects > b.subjects;
    return a.rule < b.rule;
  });
  return out;
}

std::vector<size_t> unattached_findings(const Report& r) {
  std::vector<bool> attached(r.findings.size(), false);
  for (const UserTimeline& t : r.users)
    for (size_t i : t.findings)
      if (i < attached.size()) attached[i] = true;
  std::vector<size_t> out;
  for (size_t i = 0; i < attached.size(); ++i)
    if (!attached[i]) out.push_back(i);
  return out;
}

static int worst_rank(const Report& r, const UserTimeline& t) {
  int worst = -1;
  for (size_t i : t.findings)
    if (i < r.findings.size()) worst = std::max(worst, severity_rank(r.findings[i].severity));
  return worst;
}

std::vector<size_t> users_first(const Report& r, size_t max) {
  std::vector<size_t> order(r.users.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (order.size() <= max) return order;
  std::vector<int> worst(order.size());
  for (size_t i = 0; i < order.size(); ++i) worst[i] = worst_rank(r, r.users[i]);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (worst[a] != worst[b]) return worst[a] > worst[b];
    return r.users[a].findings.size() > r.users[b].findings.size();
  });
  order.resize(max);
  return order;
}

size_t blocked_users(const Report& r, const std::vector<size_t>& users) {
  size_t n = 0;
  for (size_t u : users) n += worst_rank(r, r.users[u]) >= 2;
  return n;
}

std::array<size_t, 5> severity_counts(const std::vector<Finding>& findings) {
  std::array<size_t, 5> n{};
  for (const Finding& f : findings) {
    const int rank = severity_rank(f.severity);
    n[rank < 0 ? 4 : static_cast<size_t>(3 - rank)]++;
  }
  return n;
}

}  // namespace report_detail

// ---- the view ------------------------------------------------------------------

namespace {

// "PC-0142.contoso.com" and "pc-0142" are one device name.
std::string device_key(std::string_view name) {
  return text::to_lower(name.substr(0, name.find('.')));
}

}  // namespace

ReportView::ReportView(const Report& r) : r_(r), evidence_(r), shown_for_(r.findings.size()) {
  for (size_t i = 0; i < r_.findings.size(); ++i) {
    const Subject& s = r_.findings[i].subject;
    if (s.names_user()) continue;
    if (!s.names_device()) tenant_.push_back(i);
    if (!s.device_name.empty()) device_findings_["name:" + device_key(s.device_name)].push_back(i);
    if (!s.device_id.empty()) device_findings_["id:" + text::to_lower(s.device_id)].push_back(i);
  }
  for (size_t u = 0; u < r_.users.size(); ++u)
    for (size_t f : findings_of(u)) shown_for_[f].push_back(u);
}

std::string ReportView::display(int identity) const {
  if (identity < 0 || static_cast<size_t>(identity) >= r_.identities.size()) return "(unknown)";
  const std::string d = r_.identities[identity].display();
  return d.empty() ? "(unnamed)" : d;
}

std::vector<size_t> ReportView::findings_of(size_t user) const {
  const UserTimeline& t = r_.users[user];
  std::vector<size_t> out;
  for (size_t i : t.findings)
    if (i < r_.findings.size()) out.push_back(i);
  // Device-wide findings of the user's devices.
  std::set<size_t> seen(out.begin(), out.end());
  auto add = [&](const std::string& key) {
    if (auto it = device_findings_.find(key); it != device_findings_.end())
      for (size_t i : it->second)
        if (seen.insert(i).second) out.push_back(i);
  };
  for (int d : t.devices) {
    if (d < 0 || static_cast<size_t>(d) >= r_.identities.size()) continue;
    for (const auto& n : r_.identities[d].device_names) add("name:" + device_key(n));
    for (const auto& id : r_.identities[d].device_ids) add("id:" + text::to_lower(id));
  }
  // Tenant-wide findings that explain one of those (and what explains them, in turn).
  for (bool grew = true; grew;) {
    grew = false;
    std::set<std::string> wanted;
    for (size_t i : out)
      for (const std::string& rule : explained_by(r_.findings[i])) wanted.insert(rule);
    if (wanted.empty()) break;
    for (size_t i : tenant_)
      if (wanted.count(r_.findings[i].rule) && seen.insert(i).second) {
        out.push_back(i);
        grew = true;
      }
  }
  return out;
}

std::vector<FindingItem> ReportView::user_findings(size_t user) const {
  std::vector<FindingItem> items = story_order(r_.findings, findings_of(user));
  for (FindingItem& it : items) it.own = r_.findings[it.finding].subject.names_user();
  return items;
}

std::vector<FindingItem> ReportView::unattached() const {
  return story_order(r_.findings, report_detail::unattached_findings(r_));
}

EntryMark ReportView::mark(const TimelineEntry& e) const {
  if (!e.superseded_by.empty()) return EntryMark::kSuperseded;
  return evidence_.contains(e) ? EntryMark::kEvidence : EntryMark::kPlain;
}

std::array<size_t, 4> ReportView::phase_counts(size_t user) const {
  std::array<size_t, 4> n{};
  for (const PhaseStatus& p : r_.users[user].phases) n[static_cast<size_t>(p.state)]++;
  return n;
}

}  // namespace hellotrace::host
