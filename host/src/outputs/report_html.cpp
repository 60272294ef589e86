#include "outputs/report_html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>
#include <map>
#include <set>

#include "engine/finding.hpp"

namespace hellotrace::host {

// ---- HTML ----------------------------------------------------------------------

namespace {

using namespace report_detail;

constexpr size_t kMaxCell = 2000;         // bytes of one table cell
constexpr size_t kMaxTitle = 400;         // bytes of an SVG tooltip
constexpr size_t kMaxRowsPerUser = 2000;  // event table rows per user
constexpr size_t kMaxMarksPerLane = 300;  // SVG marks per lane (after merging per pixel)
constexpr size_t kMaxLanes = 16;          // SVG lanes per user
constexpr size_t kMaxEvidenceShown = 20;  // evidence items per finding
constexpr size_t kMaxCyclesShown = 50;    // sync cycles listed

// Escapes for HTML text and attribute values (also SVG text and titles).
std::string esc(std::string_view s, size_t max_bytes = kMaxCell) {
  const std::string c = clean(s, max_bytes);
  std::string out;
  out.reserve(c.size() + c.size() / 8);
  for (char ch : c) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(ch);
    }
  }
  return out;
}

// esc(), with a line break allowed after the separators of paths and ids (/ \\ . _ @ , ;)
// so that a narrow column breaks "C:\\Logs\\udr.evtx" between its parts, not inside a word.
std::string breakable(std::string_view s, size_t max_bytes = kMaxCell) {
  const std::string e = esc(s, max_bytes);
  std::string out;
  out.reserve(e.size() + e.size() / 6);
  for (size_t i = 0; i < e.size(); ++i) {
    out.push_back(e[i]);
    const char c = e[i];
    if ((c == '/' || c == '\\' || c == '.' || c == '_' || c == '@' || c == ',' || c == ';') &&
        i + 1 < e.size() && e[i + 1] != ' ')
      out += "<wbr>";
  }
  return out;
}

const char* severity_class(std::string_view s) {
  const int r = severity_rank(s);
  return r == 3   ? "sev-critical"
         : r == 2 ? "sev-high"
         : r == 1 ? "sev-medium"
         : r == 0 ? "sev-info"
                  : "sev-other";
}

const char* state_symbol(PhaseState s) {
  switch (s) {
    case PhaseState::kDone:
      return "✓";
    case PhaseState::kFailed:
      return "✗";
    case PhaseState::kPending:
      return "◔";
    case PhaseState::kUnknown:
      break;
  }
  return "?";
}

const char* state_colour(PhaseState s) {
  switch (s) {
    case PhaseState::kDone:
      return "#15803d";
    case PhaseState::kFailed:
      return "#b91c1c";
    case PhaseState::kPending:
      return "#b45309";
    case PhaseState::kUnknown:
      break;
  }
  return "#6b7280";
}

const char* kCss = R"css(
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;--accent:#1d4ed8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","DejaVu Sans",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:18px;margin:32px 0 10px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:15px;margin:20px 0 8px}
.meta{color:var(--muted);font-size:12.5px;margin-bottom:18px}
.meta b{color:var(--ink);font-weight:600}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin:10px 0}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.stat{flex:1 1 130px;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.stat .n{font-size:26px;font-weight:700;line-height:1.1}
.stat .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.sev{display:inline-block;min-width:64px;text-align:center;border-radius:4px;padding:1px 7px;font-size:11.5px;font-weight:700;text-transform:uppercase;letter-spacing:.03em;color:#fff}
.sev-critical{background:#7f1d1d}.sev-high{background:#dc2626}.sev-medium{background:#d97706}.sev-info{background:#2563eb}.sev-other{background:#6b7280}
.stat.sev-critical,.stat.sev-high,.stat.sev-medium,.stat.sev-info,.stat.sev-other{background:var(--card);border-top:4px solid}
.stat.sev-critical{border-top-color:#7f1d1d}.stat.sev-high{border-top-color:#dc2626}.stat.sev-medium{border-top-color:#d97706}.stat.sev-info{border-top-color:#2563eb}
ol.todo{margin:6px 0 0;padding-left:22px}
ol.todo li{margin:8px 0}
.rule{font-family:"DejaVu Sans Mono",ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;color:#374151}
.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;background:var(--card);font-size:12.5px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f1f5f9;font-weight:600;position:sticky;top:0}
td.t{white-space:nowrap;font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:11.5px}
td.w{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:11.5px}
td{overflow-wrap:break-word}
.tw{overflow-x:auto}
table.events{table-layout:fixed}
table.events td{overflow-wrap:break-word}
table.events td.t{white-space:normal}
tr.ev td{background:#fef2f2}
tr.ev td:first-child{box-shadow:inset 3px 0 0 #dc2626}
tr.sup td{color:var(--muted)}
.tag{display:inline-block;font-size:10.5px;font-weight:700;color:#b91c1c;border:1px solid #fca5a5;border-radius:3px;padding:0 4px;margin-left:4px}
.tag.sup{color:#4b5563;border-color:#d1d5db}
.phases{display:grid;grid-template-columns:repeat(auto-fill,minmax(118px,1fr));gap:6px;margin:8px 0 14px}
.ph{border:1px solid var(--line);border-top:5px solid;border-radius:6px;background:var(--card);padding:6px 7px;font-size:11.5px;min-height:86px}
.ph .st{font-weight:700;text-transform:uppercase;font-size:11px;letter-spacing:.03em}
.ph .ti{font-weight:600;margin:2px 0}
.ph .no{color:var(--muted);overflow-wrap:break-word}
.ph.unknown{border-style:dashed;border-top-style:solid;background:#f9fafb}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:12.5px}
.facts dt{color:var(--muted)}.facts dd{margin:0;min-width:0;overflow-wrap:anywhere;font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:12px}
dl.kv{display:grid;grid-template-columns:minmax(90px,max-content) 1fr;gap:1px 12px;margin:4px 0 6px;font-size:12.5px}
dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;min-width:0;overflow-wrap:anywhere}
.finding{border-left:5px solid #6b7280}
.finding.sev-critical{border-left-color:#7f1d1d}.finding.sev-high{border-left-color:#dc2626}.finding.sev-medium{border-left-color:#d97706}.finding.sev-info{border-left-color:#2563eb}
.finding.card{background:var(--card)}
.finding h4{margin:0 0 4px;font-size:14px}
.finding.under{margin-left:26px;border-left-style:double}
.finding.under2{margin-left:52px;border-left-style:double}
.cause{font-size:12px;color:var(--muted);margin:0 0 4px}
.finding.compact{padding:6px 12px}
.finding .fix{background:#f0fdf4;border:1px solid #bbf7d0;border-radius:6px;padding:6px 10px;margin:8px 0 4px}
.finding ul{margin:4px 0;padding-left:18px;font-size:12.5px}
.card,.finding li,dd{overflow-wrap:break-word}
.svgwrap{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px}
svg text{font-family:system-ui,"DejaVu Sans",Arial,sans-serif}
.note{font-size:12px;color:var(--muted);margin:4px 0}
a{color:var(--accent)}
code{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:12px;background:#f1f5f9;padding:0 3px;border-radius:3px;overflow-wrap:anywhere}
footer{margin-top:36px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:10px}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:11.5px;font-weight:700;background:#fde68a;color:#78350f}
@media screen and (max-width:1000px){
main{padding:16px 14px 36px}
table.events,table.events tbody,table.events tr,table.events td{display:block;width:auto}
table.events colgroup,table.events thead{display:none}
table.events tr{border-bottom:1px solid var(--line);padding:4px 0}
table.events td{border:0;padding:1px 8px}
table.events td.t,table.events td.src,table.events td.id{display:inline-block;padding-right:4px}
table.events td.id:not(:empty)::before{content:"event "}
table.events td.w{color:var(--muted)}
.finding.under,.finding.under2{margin-left:14px}
}
@media print{
@page{size:A4;margin:9mm}
body{background:#fff;font-size:9.5px;line-height:1.3}
main{max-width:none;padding:0}
h1{font-size:16px}
h2{font-size:13px;margin:10px 0 4px;padding-bottom:2px}
h3{font-size:11px;margin:6px 0 3px}
.meta{margin-bottom:6px;font-size:9px}
th{position:static}
section.user+section.user{break-before:page}
.card,.ph,tr,.svgwrap,dl.kv,.stat,li{break-inside:avoid}
h2,h3,h4{break-after:avoid}
.cards{gap:4px}
.stat{flex:1 1 70px;padding:2px 8px;border-radius:4px}
.stat .n{font-size:14px}.stat .l{font-size:7.5px}
.card{padding:4px 8px;margin:4px 0;border-radius:4px}
ol.todo li{margin:2px 0}
.phases{grid-template-columns:repeat(9,1fr);gap:3px;margin:3px 0 6px}
.ph{min-height:0;padding:2px 4px;font-size:7.5px;border-top-width:3px}
.ph .st{font-size:7.5px}
table{font-size:8.5px}
th,td{padding:1px 4px}
td.t,td.w,code,.facts dd{font-size:8px}
.facts{font-size:9px}
.finding h4{font-size:10.5px;margin:0 0 2px}
.finding ul{margin:1px 0;font-size:8.5px}
dl.kv{grid-template-columns:max-content 1fr max-content 1fr;font-size:8.5px;margin:2px 0}
.finding .fix{padding:2px 6px;margin:3px 0 1px}
.cause{font-size:8.5px;margin:0}
.sev{min-width:0;font-size:8px;padding:0 4px}
.svgwrap{padding:0;border:0}
.note{font-size:8.5px}
footer{margin-top:8px;padding-top:4px;font-size:8.5px}
ol.todo .rem,.finding .lbl{display:none}
.svgwrap svg{max-height:125px}
.finding ul{padding-left:12px}
.facts.card{grid-template-columns:max-content 1fr max-content 1fr}
table.events col:nth-child(1){width:92px!important}
table.events col:nth-child(2){width:52px!important}
table.events col:nth-child(3){width:92px!important}
table.events col:nth-child(4){width:30px!important}
table.events col:nth-child(6){width:120px!important}
.fix a[href^="https:"]::after{content:" <" attr(href) ">";font-size:7.5px;color:var(--muted);overflow-wrap:anywhere}
}
)css";

class HtmlWriter {
 public:
  HtmlWriter(const Report& r, std::ostream& out, const CountingBuf& counted, const ReportMeta& meta)
      : r_(r),
        out_(out),
        counted_(&counted),
        meta_(meta),
        view_(r),
        detailed_(r.users.size(), false) {}

  void write() {
    const auto counts = severity_counts(r_);
    out_ << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:\">\n"
         << "<meta name=\"referrer\" content=\"no-referrer\">\n"
         << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         << fmt::format("<title>hellotrace report: {} user(s), {} blocker(s)</title>\n",
                        r_.users.size(), r_.findings.size())
         << "<style>" << kCss << "</style>\n</head>\n<body>\n<main>\n";
    header();
    summary(counts);
    conflicts();
    user_sections();
    tenant_wide();
    sync_state();
    out_ << "<footer>Generated by hellotrace " << esc(meta_.version)
         << ". All times are UTC (UTC+00:00), ISO 8601. "
         << (meta_.redacted ? "Identifiers in this report are pseudonyms (redacted)."
                            : "This report is not redacted: it names users and devices.")
         << "</footer>\n</main>\n</body>\n</html>\n";
  }

 private:
  std::string display(int identity) const { return view_.display(identity); }
  int64_t reference() const { return meta_.now != HT_NO_TIME ? meta_.now : r_.now; }

  // One section per user, as many as the report's bounds allow (report_html.hpp).
  void user_sections() {
    const std::vector<size_t> order = users_first(r_, kMaxUsersDetailed);
    size_t shown = 0;
    for (; shown < order.size() && counted_->bytes() < kDetailBudgetBytes; ++shown) {
      user(order[shown]);
      detailed_[order[shown]] = true;
    }
    const size_t left = r_.users.size() - shown;
    if (!left) return;
    std::vector<size_t> rest;
    for (size_t u = 0; u < r_.users.size(); ++u)
      if (!detailed_[u]) rest.push_back(u);
    out_ << "<section id=\"left-out\">\n<p class=\"note\">" << left << " user(s) ("
         << blocked_users(r_, rest)
         << " of them blocked) have no section here: a report details at most " << kMaxUsersDetailed
         << " users and " << (kDetailBudgetBytes >> 20)
         << " MiB, users with the most severe blockers first. Their blockers are in the NDJSON "
            "findings (--json); 'hellotrace analyze --user UPN --html FILE' gives one user's "
            "full report.</p>\n</section>\n";
  }

  void header() {
    out_ << "<h1>Windows Hello for Business enrollment report</h1>\n<div class=\"meta\">";
    out_ << "Reference time <b>"
         << (reference() == HT_NO_TIME ? "unknown" : esc(time_utc(reference()))) << "</b>";
    if (meta_.generated != HT_NO_TIME)
      out_ << " · generated <b>" << esc(time_utc(meta_.generated)) << "</b>";
    out_ << " · hellotrace <b>" << esc(meta_.version) << "</b>";
    out_ << " · " << meta_.input_files << " input file(s)";
    out_ << " · hybrid key trust";
    if (meta_.redacted) out_ << " · <span class=\"badge\">REDACTED</span>";
    out_ << "</div>\n";
  }

  void summary(const std::array<size_t, 5>& counts) {
    out_ << "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n";
    out_ << "<div class=\"stat\"><div class=\"n\">" << r_.users.size()
         << "</div><div class=\"l\">users</div></div>\n";
    size_t blocked = 0;
    for (const UserTimeline& t : r_.users)
      for (size_t i : t.findings)
        if (i < r_.findings.size() && severity_rank(r_.findings[i].severity) >= 2) {
          ++blocked;
          break;
        }
    out_ << "<div class=\"stat\"><div class=\"n\">" << blocked
         << "</div><div class=\"l\">users blocked (high or worse)</div></div>\n";
    for (size_t s = 0; s < 4; ++s)
      out_ << "<div class=\"stat " << severity_class(kSeverities[s]) << "\"><div class=\"n\">"
           << counts[s] << "</div><div class=\"l\">" << kSeverities[s] << "</div></div>\n";
    if (counts[4])
      out_ << "<div class=\"stat sev-other\"><div class=\"n\">" << counts[4]
           << "</div><div class=\"l\">other severity</div></div>\n";
    out_ << "</div>\n";

    out_ << "<div class=\"card\"><h3 style=\"margin-top:0\">What to do next</h3>\n";
    const auto remedies = top_remedies(r_);
    if (remedies.empty()) {
      out_ << "<p class=\"muted\">No blockers found in these inputs"
           << (r_.users.empty() ? " (and no users: check that the right exports were given)" : "")
           << ".</p>\n";
    } else {
      out_ << "<ol class=\"todo\">\n";
      for (size_t i = 0; i < remedies.size() && i < 5; ++i) {
        const Remedy& m = remedies[i];
        out_ << "<li><span class=\"sev " << severity_class(m.severity) << "\">" << esc(m.severity)
             << "</span> <b>" << esc(m.title.empty() ? m.rule : m.title)
             << "</b> <span class=\"rule\">" << esc(m.rule) << "</span> <span class=\"muted\">— "
             << m.subjects << " subject(s)</span><span class=\"rem\"><br>" << esc(m.remediation)
             << doc_link(m.documentation, " ") << "</span></li>\n";
      }
      out_ << "</ol>\n";
      if (remedies.size() > 5)
        out_ << "<p class=\"note\">" << remedies.size() - 5
             << " more kind(s) of blocker below, per user.</p>\n";
    }
    out_ << "</div>\n";

    if (!r_.users.empty()) {
      out_ << "<h3>Users</h3>\n<table>\n<thead><tr><th>User</th><th>Devices</th><th>Phases</th>"
              "<th>Blockers</th></tr></thead>\n<tbody>\n";
      const std::vector<size_t> listed = users_first(r_, kMaxUsersListed);
      for (size_t u : listed) {
        const UserTimeline& t = r_.users[u];
        out_ << "<tr><td><a href=\"#user-" << u + 1 << "\">" << esc(display(t.identity))
             << "</a></td><td>";
        for (size_t d = 0; d < t.devices.size(); ++d)
          out_ << (d ? ", " : "") << esc(display(t.devices[d]));
        if (t.devices.empty()) out_ << "<span class=\"muted\">none seen</span>";
        size_t n[4] = {};
        std::string first_failed;
        for (const PhaseStatus& p : t.phases) {
          n[static_cast<size_t>(p.state)]++;
          if (p.state == PhaseState::kFailed && first_failed.empty())
            first_failed = phase_title(p.phase);
        }
        out_ << "</td><td>" << n[1] << " done, " << n[2] << " failed, " << n[3] << " pending, "
             << n[0] << " unknown";
        if (!first_failed.empty())
          out_ << "<br><span class=\"muted\">first failed: " << first_failed << "</span>";
        out_ << "</td><td>";
        const std::vector<FindingItem> items = view_.user_findings(u);
        if (items.empty()) out_ << "<span class=\"muted\">none</span>";
        for (const FindingItem& it : items) {
          const Finding& f = r_.findings[it.finding];
          out_ << (it.depth ? "<span class=\"muted\">↳ </span>" : "") << "<span class=\"sev "
               << severity_class(f.severity) << "\">" << esc(f.severity)
               << "</span> <span class=\"rule\">" << breakable(f.rule, 200) << "</span>"
               << (it.own ? "" : " <span class=\"muted\">(device/tenant)</span>") << "<br>";
        }
        out_ << "</td></tr>\n";
      }
      out_ << "</tbody></table>\n";
      if (listed.size() < r_.users.size())
        out_ << "<p class=\"note\">" << r_.users.size() - listed.size()
             << " more user(s) not listed: the table shows at most " << kMaxUsersListed
             << " users, the most severely blocked first.</p>\n";
    } else {
      out_ << "<p class=\"muted\">No users were found in the inputs.</p>\n";
    }
    out_ << "</section>\n";
  }

  std::string doc_link(const std::string& url, const char* before) const {
    if (url.empty()) return {};
    if (safe_https_url(url))
      return std::string(before) + "<a href=\"" + esc(url) +
             "\" rel=\"noopener noreferrer\">Documentation</a>";
    return std::string(before) +
           "<span class=\"muted\">Documentation (not a https link, shown as text): " +
           esc(url, 300) + "</span>";
  }

  void conflicts() {
    if (r_.conflicts.empty()) return;
    out_
        << "<section id=\"conflicts\">\n<h2>Identity conflicts</h2>\n<p class=\"note\">These facts "
           "appeared together but were not merged into one person or "
           "device.</p>\n<table><thead><tr>"
           "<th>Kept</th><th>Not merged</th><th>Reason</th><th>Where</th></tr></thead><tbody>\n";
    for (const Conflict& c : r_.conflicts)
      out_ << "<tr><td><code>" << esc(c.kept) << "</code></td><td><code>" << esc(c.refused)
           << "</code></td><td>" << esc(c.reason) << "</td><td class=\"w\">"
           << breakable(where(c.file, c.at)) << "</td></tr>\n";
    out_ << "</tbody></table>\n</section>\n";
  }

  void facts(const char* label, const std::vector<std::string>& v) {
    if (v.empty()) return;
    out_ << "<dt>" << label << "</dt><dd>";
    for (size_t i = 0; i < v.size() && i < 20; ++i) out_ << (i ? ", " : "") << esc(v[i], 300);
    if (v.size() > 20) out_ << " … and " << v.size() - 20 << " more";
    out_ << "</dd>\n";
  }

  void user(size_t index) {
    const UserTimeline& t = r_.users[index];
    out_ << "<section id=\"user-" << index + 1 << "\" class=\"user\">\n<h2>"
         << esc(display(t.identity)) << "</h2>\n";
    out_ << "<dl class=\"facts\">\n";
    if (t.identity >= 0 && static_cast<size_t>(t.identity) < r_.identities.size()) {
      const Identity& id = r_.identities[t.identity];
      facts("UPN", id.upns);
      facts("SID", id.sids);
      facts("DN", id.dns);
      facts("Account", id.sams);
      facts("NGC keys", id.ngc_keys);
    }
    std::vector<std::string> devices;
    for (int d : t.devices) {
      std::string s = display(d);
      if (d >= 0 && static_cast<size_t>(d) < r_.identities.size() &&
          !r_.identities[d].device_ids.empty() && r_.identities[d].device_ids.front() != s)
        s += " (" + r_.identities[d].device_ids.front() + ")";
      devices.push_back(std::move(s));
    }
    facts("Devices", devices);
    out_ << "</dl>\n";

    out_ << "<h3>Enrollment phases</h3>\n<div class=\"phases\">\n";
    for (size_t i = 0; i < t.phases.size(); ++i) {
      const PhaseStatus& p = t.phases[i];
      out_ << "<div class=\"ph " << phase_state_name(p.state)
           << "\" style=\"border-top-color:" << state_colour(p.state)
           << "\"><div class=\"st\" style=\"color:" << state_colour(p.state) << "\">"
           << state_symbol(p.state) << " " << phase_state_name(p.state)
           << "</div><div class=\"ti\">" << i + 1 << ". " << phase_title(p.phase)
           << "</div><div class=\"no\">"
           << (p.state == PhaseState::kUnknown ? std::string("no source covers it")
                                               : esc(p.note, 300));
      if (p.time != HT_NO_TIME) out_ << "<br>" << esc(time_utc(p.time));
      out_ << "</div></div>\n";
    }
    out_ << "</div>\n";

    out_ << "<h3>Timeline</h3>\n";
    svg_timeline(t);
    event_table(t);

    out_ << "<h3>Blockers</h3>\n";
    const std::vector<FindingItem> items = view_.user_findings(index);
    if (items.empty()) out_ << "<p class=\"muted\">No blockers found for this user.</p>\n";
    for (const FindingItem& it : items) finding(it);
    out_ << "</section>\n";
  }

  // ---- the SVG timeline ----------------------------------------------------------

  static int64_t pick_step(int64_t span) {
    static const int64_t kSteps[] = {
        time::kTicksPerSecond,      5 * time::kTicksPerSecond, 15 * time::kTicksPerSecond,
        time::kTicksPerMinute,      5 * time::kTicksPerMinute, 15 * time::kTicksPerMinute,
        30 * time::kTicksPerMinute, time::kTicksPerHour,       3 * time::kTicksPerHour,
        6 * time::kTicksPerHour,    12 * time::kTicksPerHour,  time::kTicksPerDay,
        2 * time::kTicksPerDay,     7 * time::kTicksPerDay,    14 * time::kTicksPerDay,
        30 * time::kTicksPerDay,    91 * time::kTicksPerDay,   365 * time::kTicksPerDay};
    for (int64_t s : kSteps)
      if (span / s <= 8) return s;
    int64_t s = 365 * time::kTicksPerDay;
    while (span / s > 8) s *= 2;
    return s;
  }

  static std::string tick_label(int64_t t, int64_t step, bool first) {
    const time::Civil c = time::civil_from_ticks(t);
    if (step >= time::kTicksPerDay) return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
    std::string hm = step < time::kTicksPerMinute
                         ? fmt::format("{:02}:{:02}:{:02}", c.hour, c.minute, c.second)
                         : fmt::format("{:02}:{:02}", c.hour, c.minute);
    if (first || (c.hour == 0 && c.minute == 0 && c.second == 0))
      return fmt::format("{:02}-{:02} {}", c.month, c.day, hm);
    return hm;
  }

  void svg_timeline(const UserTimeline& t) {
    int64_t lo = HT_NO_TIME, hi = HT_NO_TIME;
    size_t untimed = 0;
    for (const TimelineEntry& e : t.entries) {
      if (e.time == HT_NO_TIME) {
        ++untimed;
        continue;
      }
      if (lo == HT_NO_TIME || e.time < lo) lo = e.time;
      if (hi == HT_NO_TIME || e.time > hi) hi = e.time;
    }
    if (lo == HT_NO_TIME) {
      out_ << "<p class=\"muted\">No timed events for this user: nothing to draw on a time axis"
           << (untimed ? fmt::format(" ({} event(s) without a time are listed below)", untimed)
                       : std::string())
           << ".</p>\n";
      return;
    }
    // Old outliers (a key created a year ago) would squash the rest to a point: events
    // well before the bulk go to an "earlier" gutter left of the axis.
    std::vector<int64_t> times;
    for (const TimelineEntry& e : t.entries)
      if (e.time != HT_NO_TIME) times.push_back(e.time);
    std::sort(times.begin(), times.end());
    bool gutter = false;
    const size_t k = std::max<size_t>(1, times.size() / 10);
    if (times.size() >= 3 && times[k] - times[0] > 3 * (hi - times[k])) {
      gutter = true;
      lo = times[k];
    }
    const int64_t ref = reference();
    if (ref != HT_NO_TIME && ref >= lo && ref - hi <= (hi - lo) / 4 + time::kTicksPerHour)
      hi = std::max(hi, ref);
    int64_t span = hi - lo;
    if (span < time::kTicksPerMinute) {  // a single moment: one minute around it
      const int64_t mid = lo + span / 2;
      lo = mid - time::kTicksPerMinute / 2;
      hi = mid + time::kTicksPerMinute / 2;
      span = hi - lo;
    }
    const int64_t pad = span / 30;
    lo -= pad;
    hi += pad;
    span = hi - lo;

    // Lanes: one per source, in order of first appearance.
    std::vector<std::string> lanes;
    std::map<std::string, size_t> lane_of;
    for (const TimelineEntry& e : t.entries) {
      if (e.time == HT_NO_TIME) continue;
      const std::string name(e.source.empty() ? "(no source)" : e.source);
      if (!lane_of.count(name) && lanes.size() < kMaxLanes) {
        lane_of[name] = lanes.size();
        lanes.push_back(name);
      }
    }
    const bool overflow_lane = lane_of.size() < [&] {
      std::set<std::string> all;
      for (const TimelineEntry& e : t.entries)
        if (e.time != HT_NO_TIME)
          all.insert(std::string(e.source.empty() ? "(no source)" : e.source));
      return all.size();
    }();
    if (overflow_lane) lanes.push_back("(other sources)");

    constexpr int kWidth = 1140, kLeft = 170, kRight = 20, kTop = 58, kLane = 30, kBottom = 58,
                  kGutter = 64;
    const int plot_x = kLeft + (gutter ? kGutter : 0);
    const int plot_w = kWidth - plot_x - kRight;
    const int height = kTop + static_cast<int>(lanes.size()) * kLane + kBottom;
    auto x_of = [&](int64_t t) {
      if (t < lo) return kLeft + kGutter / 2.0 - 4;
      return plot_x + static_cast<double>(t - lo) / static_cast<double>(span) * plot_w;
    };

    // Marks, bucketed per lane and pixel; evidence marks drawn on top.
    struct Mark {
      size_t count = 0;
      bool evidence = false;
      const TimelineEntry* first = nullptr;
    };
    std::vector<std::map<int, Mark>> marks(lanes.size());
    std::vector<size_t> lane_events(lanes.size(), 0);
    for (const TimelineEntry& e : t.entries) {
      if (e.time == HT_NO_TIME) continue;
      auto it = lane_of.find(std::string(e.source.empty() ? "(no source)" : e.source));
      const size_t lane = it == lane_of.end() ? lanes.size() - 1 : it->second;
      ++lane_events[lane];
      const bool ev = view_.mark(e) == EntryMark::kEvidence;
      Mark& m = marks[lane][static_cast<int>(x_of(e.time)) * 2 + (ev ? 1 : 0)];
      if (!m.first) m.first = &e;
      m.evidence = ev;
      ++m.count;
    }

    out_ << "<div class=\"svgwrap\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
         << kWidth << " " << height
         << "\" width=\"100%\" role=\"img\" aria-label=\"Event timeline, UTC\">\n";
    out_ << "<title>Event timeline (UTC)</title>\n";
    // Phase markers (numbers match the phase strip).
    std::map<int, std::vector<size_t>> phase_at;
    for (size_t i = 0; i < t.phases.size(); ++i)
      if (t.phases[i].time != HT_NO_TIME && t.phases[i].state != PhaseState::kUnknown)
        phase_at[static_cast<int>(x_of(t.phases[i].time))].push_back(i);
    if (!phase_at.empty())
      out_ << "<text x=\"" << kLeft - 10
           << "\" y=\"20\" font-size=\"11\" text-anchor=\"end\" "
              "fill=\"#6b7280\">phases</text>\n";
    int last_x = -1000, row = 0;
    for (const auto& [x, list] : phase_at) {
      row = (x - last_x < 70) ? (row + 1) % 2 : 0;
      last_x = x;
      const PhaseStatus& p = t.phases[list.front()];
      std::string label, tip;
      PhaseState worst = p.state;
      for (PhaseState st : {PhaseState::kDone, PhaseState::kPending, PhaseState::kFailed}) {
        std::string nums;
        for (size_t i : list)
          if (t.phases[i].state == st) nums += (nums.empty() ? "" : ",") + std::to_string(i + 1);
        if (nums.empty()) continue;
        label += (label.empty() ? "" : " ") + std::string(state_symbol(st)) + nums;
        worst = st;  // failed beats pending beats done
      }
      for (size_t i : list)
        tip += fmt::format("{}{}. {} — {}", tip.empty() ? "" : "\n", i + 1,
                           phase_title(t.phases[i].phase), phase_state_name(t.phases[i].state));
      // `list` is passed, not captured: clang 14 (the fuzz build) cannot capture a
      // structured binding.
      const PhaseStatus& shown = [&](const auto& indices) -> const PhaseStatus& {
        for (size_t i : indices)
          if (t.phases[i].state == worst) return t.phases[i];
        return p;
      }(list);
      out_ << "<g><title>" << esc(tip, kMaxTitle) << "</title><line x1=\"" << x << "\" x2=\"" << x
           << "\" y1=\"" << 24 + row * 13 << "\" y2=\"" << height - kBottom << "\" stroke=\""
           << state_colour(shown.state)
           << "\" stroke-width=\"1\" stroke-dasharray=\"3 3\" opacity=\"0.7\"/><text x=\"" << x + 3
           << "\" y=\"" << 20 + row * 13 << "\" font-size=\"11\" font-weight=\"700\" fill=\""
           << state_colour(shown.state) << "\""
           << (x > plot_x + plot_w - 90 ? " text-anchor=\"end\"" : "") << ">" << esc(label)
           << "</text></g>\n";
    }
    // Axis, grid, ticks.
    const int axis_y = kTop - 6;
    out_ << "<line x1=\"" << plot_x << "\" x2=\"" << plot_x + plot_w << "\" y1=\"" << axis_y
         << "\" y2=\"" << axis_y << "\" stroke=\"#9ca3af\"/>\n";
    const int64_t step = pick_step(span);
    int64_t first_tick = lo - ((lo % step) + step) % step;
    if (first_tick < lo) first_tick += step;
    bool first = true;
    for (int64_t tk = first_tick; tk <= hi; tk += step) {
      const double x = x_of(tk);
      out_ << fmt::format(
          "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#eef0f3\"/>"
          "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{3}\" stroke=\"#9ca3af\"/>"
          "<text x=\"{0:.1f}\" y=\"{4}\" font-size=\"10.5\" text-anchor=\"{6}\" "
          "fill=\"#4b5563\">{5}</text>\n",
          x, axis_y, height - kBottom, axis_y - 4, axis_y - 8 + 0, esc(tick_label(tk, step, first)),
          x > plot_x + plot_w - 40 ? "end"
          : x < plot_x + 40        ? "start"
                                   : "middle");
      first = false;
    }
    // Lanes.
    for (size_t l = 0; l < lanes.size(); ++l) {
      const int y = kTop + static_cast<int>(l) * kLane;
      if (gutter)
        out_ << "<rect x=\"" << kLeft << "\" y=\"" << y + 3 << "\" width=\"" << kGutter - 8
             << "\" height=\"" << kLane - 6 << "\" fill=\"#fef9c3\" rx=\"3\"/>\n";
      out_ << "<rect x=\"" << plot_x << "\" y=\"" << y + 3 << "\" width=\"" << plot_w
           << "\" height=\"" << kLane - 6 << "\" fill=\"" << (l % 2 ? "#f8fafc" : "#f1f5f9")
           << "\" rx=\"3\"/>\n";
      out_ << "<text x=\"" << kLeft - 10 << "\" y=\"" << y + kLane / 2 + 4
           << "\" font-size=\"12\" text-anchor=\"end\" fill=\"#1f2937\">" << esc(lanes[l], 40)
           << "</text>\n";
      // Cap: evidence buckets first, then the others spread evenly.
      std::vector<const std::pair<const int, Mark>*> ev, other;
      for (const auto& kv : marks[l]) (kv.second.evidence ? ev : other).push_back(&kv);
      std::vector<const std::pair<const int, Mark>*> drawn;
      for (size_t i = 0; i < ev.size() && drawn.size() < kMaxMarksPerLane; ++i)
        drawn.push_back(ev[i]);
      const size_t room = kMaxMarksPerLane - drawn.size();
      if (other.size() <= room) {
        drawn.insert(drawn.begin(), other.begin(), other.end());
      } else if (room > 0) {
        std::vector<const std::pair<const int, Mark>*> pick;
        for (size_t i = 0; i < room; ++i) pick.push_back(other[i * other.size() / room]);
        drawn.insert(drawn.begin(), pick.begin(), pick.end());
      }
      size_t shown = 0;
      for (const auto* kv : drawn) shown += kv->second.count;
      std::stable_sort(drawn.begin(), drawn.end(),
                       [](auto* a, auto* b) { return !a->second.evidence && b->second.evidence; });
      const int cy = y + kLane / 2;
      for (const auto* kv : drawn) {
        const Mark& m = kv->second;
        const TimelineEntry& e = *m.first;
        std::string tip = fmt::format("{}  {} {}", time_utc(e.time), e.source, e.kind);
        if (e.event_id != HT_NO_EVENT_ID) tip += fmt::format(" (event {})", e.event_id);
        if (!e.summary.empty()) tip.append("\n").append(e.summary);
        if (m.evidence) tip += "\nEvidence of a blocker";
        if (m.count > 1) tip += fmt::format("\n+{} more event(s) at this point", m.count - 1);
        const double x = x_of(e.time);
        if (m.evidence)
          out_ << fmt::format(
              "<g><title>{}</title><circle cx=\"{:.1f}\" cy=\"{}\" r=\"6\" fill=\"#dc2626\" "
              "stroke=\"#7f1d1d\" stroke-width=\"1.5\"/></g>\n",
              esc(tip, kMaxTitle), x, cy);
        else
          out_ << fmt::format(
              "<g><title>{}</title><circle cx=\"{:.1f}\" cy=\"{}\" r=\"4.5\" fill=\"#3b82f6\" "
              "fill-opacity=\"0.75\" stroke=\"#1e40af\" stroke-width=\"0.8\"/></g>\n",
              esc(tip, kMaxTitle), x, cy);
      }
      if (shown < lane_events[l])
        out_ << "<text x=\"" << kLeft - 10 << "\" y=\"" << y + kLane / 2 + 14
             << "\" font-size=\"9.5\" text-anchor=\"end\" "
             << "fill=\"#b45309\">" << lane_events[l] - shown << " of " << lane_events[l]
             << " event(s) not drawn</text>\n";
    }
    if (gutter)
      out_ << "<g><title>events before " << esc(time_utc(lo))
           << " (outside the axis)</title><text x=\"" << kLeft + (kGutter - 8) / 2 << "\" y=\""
           << axis_y - 8
           << "\" font-size=\"10.5\" text-anchor=\"middle\" fill=\"#854d0e\">earlier</text></g>\n";
    // Reference time.
    if (ref != HT_NO_TIME && ref >= lo && ref <= hi) {
      const double x = x_of(ref);
      out_ << fmt::format(
          "<g><title>reference time {}</title><line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{}\" "
          "y2=\"{}\" "
          "stroke=\"#111827\" stroke-width=\"1.5\"/><text x=\"{:.1f}\" y=\"{}\" font-size=\"10.5\" "
          "text-anchor=\"end\" fill=\"#111827\">now</text></g>\n",
          esc(time_utc(ref)), x, x, axis_y, height - kBottom, x - 3, height - kBottom + 12);
    }
    // Legend and range.
    const int ly = height - 28;
    out_ << "<g font-size=\"11\" fill=\"#374151\">"
         << "<circle cx=\"" << kLeft + 6 << "\" cy=\"" << ly - 4
         << "\" r=\"4.5\" fill=\"#3b82f6\" fill-opacity=\"0.75\" stroke=\"#1e40af\" "
            "stroke-width=\"0.8\"/>"
         << "<text x=\"" << kLeft + 16 << "\" y=\"" << ly << "\">event</text>"
         << "<circle cx=\"" << kLeft + 76 << "\" cy=\"" << ly - 4
         << "\" r=\"6\" fill=\"#dc2626\" stroke=\"#7f1d1d\" stroke-width=\"1.5\"/>"
         << "<text x=\"" << kLeft + 88 << "\" y=\"" << ly << "\">evidence of a blocker</text>"
         << "<line x1=\"" << kLeft + 226 << "\" x2=\"" << kLeft + 226 << "\" y1=\"" << ly - 11
         << "\" y2=\"" << ly + 2 << "\" stroke=\"#15803d\" stroke-dasharray=\"3 3\"/>"
         << "<text x=\"" << kLeft + 232 << "\" y=\"" << ly
         << "\">phase reached (✓ done, ✗ failed, ◔ pending; numbers as above)</text>"
         << "<text x=\"" << kLeft << "\" y=\"" << ly + 18 << "\" fill=\"#6b7280\">"
         << "time axis: UTC+00:00 · " << esc(time_utc(lo + pad)) << " → " << esc(time_utc(hi - pad))
         << " · hover a mark for the event</text></g>\n";
    out_ << "</svg>\n</div>\n";
    if (untimed)
      out_ << "<p class=\"note\">" << untimed
           << " event(s) without a time are not on the axis (listed last below).</p>\n";
    if (overflow_lane)
      out_ << "<p class=\"note\">More than " << kMaxLanes
           << " sources: the rest share the last lane.</p>\n";
  }

  void event_table(const UserTimeline& t) {
    out_ << "<h3>Events</h3>\n";
    if (t.entries.empty()) {
      out_ << "<p class=\"muted\">No events.</p>\n";
      return;
    }
    out_ << "<table class=\"events\">\n<colgroup><col style=\"width:168px\"><col "
            "style=\"width:92px\">"
            "<col style=\"width:150px\"><col style=\"width:56px\"><col><col "
            "style=\"width:190px\"></colgroup>\n"
            "<thead><tr><th>Time (UTC)</th><th>Source</th><th>Kind</th><th>Event ID</th>"
            "<th>Summary</th><th>File:line / record</th></tr></thead>\n<tbody>\n";
    size_t rows = 0;
    for (const TimelineEntry& e : t.entries) {
      if (rows++ == kMaxRowsPerUser) break;
      const EntryMark mark = view_.mark(e);
      out_ << (mark == EntryMark::kEvidence     ? "<tr class=\"ev\">"
               : mark == EntryMark::kSuperseded ? "<tr class=\"sup\">"
                                                : "<tr>")
           << "<td class=\"t\">"
           << (e.time == HT_NO_TIME ? std::string("(no time)") : esc(time_utc(e.time)))
           << "</td><td class=\"src\">" << breakable(e.source, 200) << "</td><td>"
           << breakable(e.kind, 200)
           << (mark == EntryMark::kEvidence     ? "<span class=\"tag\">BLOCKER</span>"
               : mark == EntryMark::kSuperseded ? "<span class=\"tag sup\">SUPERSEDED</span>"
                                                : "")
           << (e.device_only ? " <span class=\"muted\">(device)</span>" : "")
           << "</td><td class=\"id\">"
           << (e.event_id == HT_NO_EVENT_ID ? std::string() : std::to_string(e.event_id))
           << "</td><td class=\"s\">" << esc(e.summary)
           << (e.superseded_by.empty() ? std::string()
                                       : " <span class=\"muted\">(superseded by " +
                                             breakable(e.superseded_by, 400) + ")</span>")
           << "</td><td class=\"w\">" << breakable(where(e.file, e.origin), 400) << "</td></tr>\n";
    }
    out_ << "</tbody></table>\n";
    const size_t left =
        (t.entries.size() > kMaxRowsPerUser ? t.entries.size() - kMaxRowsPerUser : 0) +
        t.entries_omitted;
    if (left)
      out_
          << "<p class=\"note\">" << left
          << " more event(s) not shown here; the NDJSON and SQLite outputs hold every event.</p>\n";
  }

  void finding(const FindingItem& it) {
    const Finding& f = r_.findings[it.finding];
    out_ << "<div class=\"card finding " << severity_class(f.severity)
         << (it.depth == 1  ? " under"
             : it.depth > 1 ? " under2"
                            : "")
         << "\">\n";
    if (it.cause >= 0)
      out_ << "<div class=\"cause\">↳ a consequence of <span class=\"rule\">"
           << breakable(r_.findings[it.cause].rule, 200) << "</span> above</div>\n";
    if (!it.own)
      out_ << "<div class=\"cause\">"
           << (f.subject.names_device() ? "about a device of this user" : "tenant-wide")
           << ", also listed under Tenant-wide and device blockers</div>\n";
    out_ << "<h4><span class=\"sev " << severity_class(f.severity) << "\">" << esc(f.severity, 40)
         << "</span> " << esc(f.title.empty() ? f.rule : f.title) << " <span class=\"rule\">"
         << breakable(f.rule, 200) << "</span></h4>\n<div>" << esc(f.summary) << "</div>\n";
    if (!f.evidence.empty()) {
      out_ << "<div class=\"muted lbl\" style=\"margin-top:6px\">Evidence</div><ul>\n";
      for (size_t i = 0; i < f.evidence.size() && i < kMaxEvidenceShown; ++i) {
        const Evidence& e = f.evidence[i];
        out_ << "<li><code>" << breakable(where(e.file, e.position), 400) << "</code>";
        if (e.time != HT_NO_TIME) out_ << " " << esc(time_utc(e.time));
        out_ << " " << esc(e.source, 100) << " " << esc(e.kind, 100);
        if (e.event_id != HT_NO_EVENT_ID) out_ << " (event " << e.event_id << ")";
        if (!e.excerpt.empty()) out_ << " — " << esc(e.excerpt);
        out_ << "</li>\n";
      }
      if (f.evidence.size() > kMaxEvidenceShown)
        out_ << "<li class=\"muted\">… " << f.evidence.size() - kMaxEvidenceShown << " more</li>\n";
      out_ << "</ul>\n";
    }
    if (const auto rows = detail_rows(f); !rows.empty()) {
      out_ << "<div class=\"muted lbl\">Details</div><dl class=\"kv\">\n";
      for (const DetailRow& d : rows)
        out_ << "<dt>" << esc(d.key, 200) << "</dt><dd>" << breakable(d.value, 600) << "</dd>\n";
      out_ << "</dl>\n";
    }
    out_ << "<div class=\"fix\"><b>Fix:</b> " << esc(f.remediation)
         << doc_link(f.documentation, "<br>") << "</div>\n";
    out_ << "</div>\n";
  }

  // Every finding about no user; those a user's section already showed in full are
  // named with a link there (the report prints shorter).
  void tenant_wide() {
    const auto rest = view_.unattached();
    if (rest.empty()) return;
    out_ << "<section id=\"tenant\">\n<h2>Tenant-wide and device blockers</h2>\n";
    for (const FindingItem& it : rest) {
      std::vector<size_t> in;
      for (size_t u : view_.shown_for(it.finding))
        if (detailed_[u]) in.push_back(u);
      if (in.empty()) {
        finding(it);
        continue;
      }
      const Finding& f = r_.findings[it.finding];
      out_ << "<div class=\"card finding compact " << severity_class(f.severity)
           << (it.depth ? " under" : "") << "\"><span class=\"sev " << severity_class(f.severity)
           << "\">" << esc(f.severity, 40) << "</span> " << esc(f.title.empty() ? f.rule : f.title)
           << " <span class=\"rule\">" << breakable(f.rule, 200) << "</span><div class=\"muted\">"
           << esc(f.summary) << "</div><div>Shown in full under ";
      for (size_t k = 0; k < in.size() && k < 10; ++k)
        out_ << (k ? ", " : "") << "<a href=\"#user-" << in[k] + 1 << "\">"
             << esc(display(r_.users[in[k]].identity)) << "</a>";
      if (in.size() > 10) out_ << " and " << in.size() - 10 << " more user(s)";
      out_ << ".</div></div>\n";
    }
    out_ << "</section>\n";
  }

  void sync_state() {
    const SyncState& s = r_.sync;
    if (!s.scheduler && s.cycles.empty()) return;
    out_ << "<section id=\"sync\">\n<h2>Entra Connect sync</h2>\n";
    if (s.scheduler) {
      const SchedulerState& c = *s.scheduler;
      auto b = [](const std::optional<bool>& v) { return v ? (*v ? "True" : "False") : "unknown"; };
      out_ << "<dl class=\"facts card\">\n<dt>Sync cycle enabled</dt><dd>" << b(c.enabled)
           << "</dd>\n<dt>Scheduler suspended</dt><dd>" << b(c.suspended)
           << "</dd>\n<dt>Staging mode</dt><dd>" << b(c.staging)
           << "</dd>\n<dt>Cycle in progress</dt><dd>" << b(c.in_progress)
           << "</dd>\n<dt>Interval</dt><dd>"
           << (c.interval_seconds > 0 ? fmt::format("{} min", c.interval_seconds / 60)
                                      : std::string("unknown"))
           << "</dd>\n<dt>Next cycle (UTC)</dt><dd>"
           << (c.next_start == HT_NO_TIME ? std::string("unknown") : esc(time_utc(c.next_start)))
           << "</dd>\n<dt>Exported at</dt><dd>"
           << (c.seen == HT_NO_TIME ? std::string("unknown") : esc(time_utc(c.seen)))
           << "</dd>\n<dt>Source</dt><dd>"
           << breakable(where(c.evidence.file, c.evidence.position), 400) << "</dd>\n</dl>\n";
    }
    if (!s.cycles.empty()) {
      out_ << "<table><thead><tr><th>Start (UTC)</th><th>End "
              "(UTC)</th><th>Connector</th><th>Profile</th>"
              "<th>Result</th><th>Where</th></tr></thead><tbody>\n";
      const size_t from = s.cycles.size() > kMaxCyclesShown ? s.cycles.size() - kMaxCyclesShown : 0;
      for (size_t i = from; i < s.cycles.size(); ++i) {
        const SyncCycle& c = s.cycles[i];
        out_ << "<tr><td class=\"t\">" << esc(time_utc(c.start)) << "</td><td class=\"t\">"
             << esc(time_utc(c.end)) << "</td><td>" << esc(c.connector, 300) << "</td><td>"
             << esc(c.profile, 300) << "</td><td>" << esc(c.result, 300) << "</td><td class=\"w\">"
             << breakable(where(c.evidence.file, c.evidence.position), 400) << "</td></tr>\n";
      }
      out_ << "</tbody></table>\n";
      if (from) out_ << "<p class=\"note\">" << from << " earlier cycle(s) not shown.</p>\n";
    }
    out_ << "</section>\n";
  }

  const Report& r_;
  std::ostream& out_;
  const CountingBuf* counted_;
  const ReportMeta& meta_;
  ReportView view_;
  std::vector<bool> detailed_;  // users with a section
};

}  // namespace

void write_html(const Report& r, std::ostream& out, const ReportMeta& meta) {
  CountingBuf counted(out.rdbuf());
  std::ostream through(&counted);
  HtmlWriter(r, through, counted, meta).write();
  through.flush();
  if (!through) out.setstate(std::ios::badbit);
}

}  // namespace hellotrace::host
