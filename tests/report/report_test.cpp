// The support and privacy outputs on Reports built by the real Analysis from
// hand-made events, hostile values included.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "engine/timeline.hpp"
#include "outputs/output_json.hpp"
#include "outputs/redact.hpp"
#include "outputs/report_html.hpp"
#include "outputs/report_markdown.hpp"

using namespace hellotrace;
using namespace hellotrace::host;
namespace fs = std::filesystem;

namespace {

constexpr const char* kScript = "<script>alert(1)</script>";
constexpr const char* kImg = "\"><img src=x onerror=alert(1)>";
constexpr const char* kJsLink = "javascript:alert(1)";
constexpr const char* kCheckScript = HT_SOURCE_DIR "/tests/report/check_html.py";

int64_t at(const char* iso) { return *time::parse_iso(iso); }

// The identifiers of the scenario (what redaction must remove).
constexpr const char* kUpn = "jdoe@contoso.com";
constexpr const char* kSid = "S-1-5-21-1111111111-2222222222-3333333333-1104";
constexpr const char* kDn = "CN=John Doe,OU=Staff,DC=contoso,DC=com";
constexpr const char* kDevice = "PC-0142";
constexpr const char* kDeviceId = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b";
constexpr const char* kTenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr const char* kKeyId = "9a4b1c2d-0000-4000-8000-000000000001";
constexpr const char* kSid2 = "S-1-5-21-4444444444-5555555555-6666666666-2201";

Event base(const char* kind, const char* source, const char* when) {
  Event e;
  e.kind = kind;
  e.source = source;
  if (when) e.time = at(when);
  e.file = std::string("/home/analyst/tickets/jdoe/") + source + ".txt";
  e.origin.line = 10;
  return e;
}

Event user1(Event e) {
  e.subject.user_sid = kSid;
  e.subject.user_upn = kUpn;
  e.subject.device_name = kDevice;
  e.subject.tenant_id = kTenantId;
  return e;
}

RuleSet rules_with_hostile_rule() {
  RuleSet rules;
  rules.load(HT_SOURCE_DIR "/rules");
  rules.load_text(R"json({"rules": [{
      "id": "test.hostile", "title": "Hostile <b>rule</b> title", "severity": "medium",
      "summary": "{user} on {device} sent a hostile value",
      "match": [{"kind": "test.hostile"}], "evidence": ["Payload", "Long"],
      "remediation": "Do not run <script>alert(1)</script>; ask the user.",
      "documentation": "javascript:alert(1)"}]})json",
                  "hostile.json");
  EXPECT_TRUE(rules.problems().empty()) << rules.problems().front().text();
  return rules;
}

struct Scenario {
  size_t many = 0;           // extra events for the first user
  bool no_time_user = true;  // a user whose only event has no time
  bool hostile = true;       // a user with hostile values
};

Report build(const Scenario& s = {}) {
  static RuleSet rules = rules_with_hostile_rule();
  AnalysisOptions o;
  o.now = at("2025-03-05T08:00:00Z");
  Analysis a(rules, o);

  Event dev = base("device.state", "dsregcmd", "2025-03-04T08:00:00Z");
  dev.subject.device_name = kDevice;
  dev.subject.device_id = kDeviceId;
  dev.subject.tenant_id = kTenantId;
  dev.add("AzureAdJoined", "YES");
  dev.add("DomainJoined", "YES");
  dev.add("DomainName", "CONTOSO");
  dev.add("DeviceId", kDeviceId);
  dev.add("TenantId", kTenantId);
  a.observe(dev);

  Event pre = user1(base("prereq.check", "udr", "2025-03-04T08:05:00Z"));
  pre.event_id = 360;
  pre.add("AADPrt", "No");
  pre.add("DeviceIsJoined", "Yes");
  pre.add("NgcPolicyEnabled", "Yes");
  pre.add("UserAccount", std::string("CONTOSO\\jdoe"));
  pre.origin = {};
  pre.origin.record = 41;
  a.observe(pre);

  Event sso = user1(base("sso.state", "dsregcmd", "2025-03-04T08:06:00Z"));
  sso.add("AzureAdPrt", "NO");
  sso.add("Note",
          std::string("signed in as jdoe@contoso.com on PC-0142.contoso.com, object ") + kDeviceId);
  a.observe(sso);

  Event note = user1(base("hello.note", "hello", "2025-03-04T08:07:00Z"));
  note.add("Object", std::string("object ") + kDeviceId);
  note.add("Seen", "PC-0142.contoso.com JDOE@contoso.com");
  note.add("Cut", std::string("signed in on PC-0142.contoso.com as JDOE@contoso.com, device ") +
                      kDeviceId);
  a.observe(note);

  Event pass = user1(base("prereq.check", "udr", "2025-03-04T09:55:00Z"));
  pass.event_id = 358;
  pass.add("AADPrt", "Yes");
  pass.add("DeviceIsJoined", "Yes");
  a.observe(pass);

  // The next morning the PRT is gone again: the failure stands at --now (the 358 of the
  // day before clears only the observations before it; rules/prereq.json "state").
  Event lost = user1(base("sso.state", "dsregcmd", "2025-03-05T07:30:00Z"));
  lost.add("AzureAdPrt", "NO");
  a.observe(lost);

  Event reg = user1(base("ngc.key_registered", "udr", "2025-03-04T10:00:00Z"));
  reg.event_id = 300;
  reg.subject.ngc_key_id = kKeyId;
  reg.add("KeyId", kKeyId);
  reg.add("UPN", kUpn);
  reg.add("Attestation", "ATT_HARD");
  a.observe(reg);

  Event sched = base("sync.scheduler", "entra-sync", nullptr);
  sched.add("CurrentlyEffectiveSyncCycleInterval", "00:30:00");
  sched.add("NextSyncCycleStartTimeInUTC", "2025-03-04T10:30:00Z");
  sched.add("SyncCycleEnabled", "True");
  sched.add("SchedulerSuspended", "True");
  sched.add("StagingModeEnabled", "False");
  a.observe(sched);

  Event ad = base("ad.key_credential", "keycred", "2024-01-01T09:00:00Z");
  ad.subject.user_dn = kDn;
  ad.subject.user_upn = kUpn;
  ad.add("Usage", "NGC");
  ad.add("KeyId", "olderkeyhash0123456789");
  ad.add("DistinguishedName", kDn);
  a.observe(ad);

  for (size_t i = 0; i < s.many; ++i) {
    Event m = user1(base("hello.operational", i % 2 ? "hello" : "udr",
                         time::format_iso(at("2025-03-04T08:00:00Z") +
                                          static_cast<int64_t>(i) * 3 * time::kTicksPerHour)
                             .c_str()));
    m.event_id = 5000 + static_cast<int64_t>(i % 7);
    m.add("Step", std::to_string(i));
    m.origin.line = 100 + i;
    a.observe(m);
  }

  // A second person with hostile values everywhere a log can put them.
  if (s.hostile) {
    Event bad = base("test.hostile", kScript, "2025-03-04T11:00:00Z");
    bad.subject.user_sid = kSid2;
    bad.subject.user_sam = std::string("CONTOSO\\") + kScript;
    bad.subject.device_name = kImg;
    std::string payload = std::string(kScript) + " " + kImg + " " + kJsLink +
                          " bad bytes \xff\xfe\xc3 end ' & `tick` | pipe";
    payload += "\nsecond line <!-- comment --> ]]> </title></svg></style>";
    bad.add("Payload", payload);
    bad.add("Long", std::string(50000, 'A') + kScript);
    bad.file = std::string("C:\\Users\\jdoe\\Desktop\\") + kImg + std::string(3000, 'B') + ".evtx";
    a.observe(bad);
  }

  if (s.no_time_user) {
    Event nt = base("user.state", "dsregcmd", nullptr);
    nt.subject.user_upn = "notime@contoso.com";
    nt.add("NgcSet", "NO");
    a.observe(nt);
  }
  return a.finish();
}

ReportMeta meta() {
  ReportMeta m;
  m.version = "1.2.3-test";
  m.generated = at("2025-03-05T09:00:00Z");
  m.input_files = 7;
  return m;
}

std::string html_of(const Report& r, const ReportMeta& m = meta()) {
  std::ostringstream out;
  write_html(r, out, m);
  return out.str();
}
// The text of the HTML without the line-break hints (<wbr>) between parts of paths and ids.
std::string nowbr(std::string html) {
  for (size_t p; (p = html.find("<wbr>")) != std::string::npos;) html.erase(p, 5);
  return html;
}
std::string md_of(const Report& r, const ReportMeta& m = meta()) {
  std::ostringstream out;
  write_markdown(r, out, m);
  return out.str();
}

std::string expected_title(const Report& r) {
  return "hellotrace report: " + std::to_string(r.users.size()) + " user(s), " +
         std::to_string(r.findings.size()) + " blocker(s)";
}

std::string lower(std::string s) { return text::to_lower(s); }

struct Proc {
  int status = -1;
  std::string out;
};
Proc run(const std::string& command) {
  Proc r;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return r;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/hellotrace-report-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path write(const std::string& name, const std::string& content) const {
    std::ofstream(path / name, std::ios::binary) << content;
    return path / name;
  }
};

// Debian's python3 (the one python3-html5lib installs into), not whatever is first on PATH.
std::string python() {
  return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}
bool have_html5lib() { return run(python() + " -c 'import html5lib' 2>/dev/null").status == 0; }

// Validates HTML with html5lib (strict parse + safety checks of check_html.py).
void expect_valid_html(const std::string& html, const std::string& title, bool strict = true) {
  if (!have_html5lib()) {
    // Fallback: libxml2's HTML 4 parser must read it without errors other than the
    // HTML 5 / SVG tags it does not know.
    TempDir dir;
    const fs::path f = dir.write("r.html", html);
    const Proc r = run("xmllint --html --noout " + quote(f.string()) +
                       " 2>&1 | grep 'parser error' | grep -v 'Tag [a-z]* invalid'");
    EXPECT_EQ(r.out, "") << "(python3-html5lib is not installed: checked with xmllint only)";
    return;
  }
  TempDir dir;
  const fs::path f = dir.write("r.html", html);
  const Proc r = run(python() + " " + quote(kCheckScript) + " " + quote(f.string()) + " " +
                     quote(title) + (strict ? " strict" : "") + " 2>&1");
  EXPECT_EQ(r.status, 0) << r.out;
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

const Finding* find(const Report& r, std::string_view rule) {
  for (const auto& f : r.findings)
    if (f.rule == rule) return &f;
  return nullptr;
}

}  // namespace

// ---- the scenario itself -------------------------------------------------------

TEST(ReportScenario, HasTheUsersAndBlockersTheTestsRelyOn) {
  const Report r = build();
  ASSERT_EQ(r.users.size(), 3u);  // jdoe, the hostile one, the one without times
  EXPECT_NE(find(r, "prereq.no_prt"), nullptr);
  EXPECT_NE(find(r, "sync.scheduler_suspended"), nullptr);
  const Finding* hostile = find(r, "test.hostile");
  ASSERT_NE(hostile, nullptr);
  EXPECT_EQ(hostile->documentation, kJsLink);
}

// ---- HTML ----------------------------------------------------------------------

TEST(ReportHtml, WellFormedSelfContainedAndEveryHostileValueEscaped) {
  const Report r = build();
  const std::string raw = html_of(r), html = nowbr(raw);
  expect_valid_html(raw, expected_title(r));
  const std::string l = lower(html);
  EXPECT_EQ(l.find("<script"), std::string::npos);
  EXPECT_EQ(l.find("<img"), std::string::npos);
  EXPECT_EQ(l.find("<b>rule"), std::string::npos);
  EXPECT_EQ(l.find("href=\"javascript"), std::string::npos);
  EXPECT_EQ(l.find("<link"), std::string::npos);
  EXPECT_FALSE(std::regex_search(l, std::regex("<[^<>]*\\s(src|on[a-z]+)\\s*=")));
  EXPECT_EQ(l.find("url("), std::string::npos);
  EXPECT_EQ(l.find("@import"), std::string::npos);
  EXPECT_EQ(l.find("http://"), l.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
  EXPECT_NE(html.find("content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\""),
            std::string::npos);
  // The payloads are there, escaped — in text, in SVG titles and lane labels.
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("&#39; &amp; `tick`"), std::string::npos);
  EXPECT_EQ(html.find("<!-- comment -->"), std::string::npos);
  EXPECT_NE(html.find("&lt;/title&gt;&lt;/svg&gt;&lt;/style&gt;"), std::string::npos);
  // The javascript: documentation link is shown as text, never as a link.
  EXPECT_NE(html.find("Documentation (not a https link, shown as text): javascript:alert(1)"),
            std::string::npos);
  // Real documentation links are links.
  EXPECT_NE(html.find("<a href=\"https://learn.microsoft.com/"), std::string::npos);
  // Invalid UTF-8 became U+FFFD.
  EXPECT_TRUE(text::is_valid_utf8(html));
  EXPECT_NE(html.find("bad bytes \xEF\xBF\xBD"), std::string::npos);
  // Very long fields are cut in cells.
  EXPECT_EQ(html.find(std::string(1000, 'B')), std::string::npos);
  EXPECT_NE(html.find(std::string(100, 'B') + "…"), std::string::npos);
  // The file's folder names stay (not redacted), escaped.
  EXPECT_NE(html.find("C:\\Users\\jdoe\\Desktop\\&quot;&gt;&lt;img"), std::string::npos);
}

TEST(ReportHtml, SummaryPhasesTimelineAndBlockers) {
  const Report r = build();
  const std::string html = nowbr(html_of(r));
  EXPECT_NE(html.find("What to do next"), std::string::npos);
  EXPECT_NE(html.find("Reference time <b>2025-03-05T08:00:00Z</b>"), std::string::npos);
  EXPECT_NE(html.find("1.2.3-test"), std::string::npos);
  EXPECT_NE(html.find("7 input file(s)"), std::string::npos);
  // Phase strip: colour and a text label for each phase.
  EXPECT_NE(html.find("✓ done</div><div class=\"ti\">6. Key registered in Entra ID"),
            std::string::npos);
  EXPECT_NE(html.find("? unknown"), std::string::npos);
  // One SVG per user with timed events, axis in UTC, a legend, red evidence marks.
  EXPECT_EQ(count(html, "<svg "), 2u);
  EXPECT_NE(html.find("time axis: UTC+00:00"), std::string::npos);
  EXPECT_NE(html.find("evidence of a blocker"), std::string::npos);
  EXPECT_NE(html.find("fill=\"#dc2626\""), std::string::npos);
  EXPECT_NE(html.find("No timed events for this user"), std::string::npos);  // notime@
  // Event table with where, evidence rows flagged.
  EXPECT_NE(html.find("udr.txt record 41"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"ev\">"), std::string::npos);
  // Each finding's rule and remediation is in the page.
  for (const Finding& f : r.findings) EXPECT_NE(html.find(f.rule), std::string::npos) << f.rule;
  EXPECT_NE(html.find("Entra Connect sync"), std::string::npos);
}

// Issue 20: the story in order. The suspended scheduler (a tenant-wide finding) holds
// jdoe's key back: it comes first in jdoe's section, the key findings under it; the old
// failed prerequisite check that a later pass cleared is shown superseded, not as a
// blocker; details are key/value rows, not JSON.
TEST(ReportHtml, CausesFirstSupersededGreyDetailsAsRows) {
  const Report r = build();
  const std::string html = nowbr(html_of(r)), md = md_of(r);
  const size_t jdoe = html.find("jdoe@contoso.com</h2>");
  const size_t end = html.find("</section>", jdoe);
  ASSERT_NE(jdoe, std::string::npos);
  const std::string section = html.substr(jdoe, end - jdoe);
  auto card = [&](const std::string& rule) {
    return section.find("<span class=\"rule\">" + rule + "</span></h4>");
  };
  ASSERT_NE(card("sync.scheduler_suspended"), std::string::npos)
      << "tenant cause not in jdoe's section";
  ASSERT_NE(card("sync.overdue"), std::string::npos);
  ASSERT_NE(card("key.not_in_ad"), std::string::npos);
  EXPECT_LT(card("sync.scheduler_suspended"), card("sync.overdue"));
  EXPECT_LT(card("sync.scheduler_suspended"), card("key.not_in_ad"));
  EXPECT_EQ(count(section, "a consequence of <span class=\"rule\">sync.scheduler_suspended</span>"),
            2u);
  EXPECT_EQ(count(section, "<div class=\"card finding sev-high under\">"), 2u);
  // Markdown: the same order, consequences quoted under their cause.
  const size_t md_jdoe = md.find("## jdoe@contoso.com");
  const size_t cause = md.find("(`sync.scheduler_suspended`)\n", md_jdoe);
  ASSERT_NE(cause, std::string::npos);
  EXPECT_LT(cause, md.find("> #### [high] Key not in AD after the expected sync (`sync.overdue`)",
                           md_jdoe));
  EXPECT_LT(cause, md.find("> #### [high] Registered key missing", md_jdoe));
  // The 360 of 08:05 (record 41) was cleared by the 358 at 09:55: superseded, greyed.
  const size_t row = html.rfind("<tr", html.find("udr.txt record 41</td>"));
  ASSERT_NE(row, std::string::npos);
  const std::string tr = html.substr(row, html.find("</tr>", row) - row);
  EXPECT_EQ(tr.find("BLOCKER"), std::string::npos) << tr;
  EXPECT_NE(tr.find("<tr class=\"sup\">"), std::string::npos) << tr;
  EXPECT_NE(tr.find("SUPERSEDED"), std::string::npos) << tr;
  EXPECT_NE(tr.find("superseded by"), std::string::npos) << tr;
  // The PRT lost at 08:06 and regained at 09:55 sits at the same file:line as the loss
  // of the next morning (the evidence): still superseded, not a blocker.
  const size_t early = html.find("<td class=\"t\">2025-03-04T08:06:00Z</td>");
  ASSERT_NE(early, std::string::npos);
  EXPECT_EQ(html.rfind("<tr class=\"sup\">", early), html.rfind("<tr", early));
  // The failure of the next morning still stands: a blocker.
  EXPECT_NE(html.find("<tr class=\"ev\"><td class=\"t\">2025-03-05T07:30:00Z"), std::string::npos);
  // Details: rows, times shortened, lists joined; no JSON.
  EXPECT_NE(
      html.find("<dt>eta basis</dt><dd>scheduler&#39;s next start and effective interval</dd>"),
      std::string::npos);
  EXPECT_NE(html.find("<dt>eta</dt><dd>2025-03-04T10:30:00Z</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>explained by</dt><dd>sync.scheduler_suspended</dd>"), std::string::npos);
  for (const std::string& out : {html, md}) {
    EXPECT_EQ(out.find("[\""), std::string::npos);
    EXPECT_EQ(out.find("{\""), std::string::npos);
    EXPECT_EQ(out.find("&quot;]"), std::string::npos);
  }
  EXPECT_NE(md.find("> - eta basis: scheduler's next start and effective interval\n"),
            std::string::npos);
}

TEST(ReportHtml, EmptyReportIsStillAReport) {
  RuleSet rules;
  Analysis a(rules, {});
  const Report r = a.finish();
  const std::string html = html_of(r);
  expect_valid_html(html, expected_title(r));
  EXPECT_NE(html.find("No users were found in the inputs."), std::string::npos);
  EXPECT_NE(html.find("No blockers found"), std::string::npos);
  EXPECT_NE(html.find("Reference time <b>unknown</b>"), std::string::npos);
  const std::string md = md_of(r);
  EXPECT_NE(md.find("No users were found in the inputs."), std::string::npos);
}

TEST(ReportHtml, ThousandsOfEventsAreCappedAndCounted) {
  Scenario s;
  s.many = 6000;
  const Report r = build(s);
  const std::string html = html_of(r);
  expect_valid_html(html, expected_title(r));
  // jdoe's two busy lanes hold 2500 events each over two years: marks are capped per lane.
  const size_t start = html.find("jdoe@contoso.com</h2>");
  ASSERT_NE(start, std::string::npos);
  const size_t svg = html.find("<svg ", start), svg_end = html.find("</svg>", svg);
  const std::string first_svg = html.substr(svg, svg_end - svg);
  EXPECT_LE(count(first_svg, "<circle"), 6u * 300u + 2u);  // lanes × cap, + legend
  EXPECT_NE(first_svg.find("event(s) not drawn"), std::string::npos);
  EXPECT_NE(html.find("more event(s) not shown here"), std::string::npos);
  EXPECT_LT(html.size(), 8u << 20);
  fs::create_directories(fs::path(HT_BINARY_DIR) / "artifacts");
  std::ofstream(fs::path(HT_BINARY_DIR) / "artifacts" / "report-many.html", std::ios::binary)
      << html;
}

// Issue 17, item 6: a fleet's report summarizes. 2500 people, every third one without a
// PRT (a high blocker): the users table lists 2000, the most blocked first; 200 get a
// section, all of them blocked; notes say what was left out, in HTML and Markdown.
TEST(ReportHtml, AFleetIsSummarizedWithinTheDocumentedBound) {
  static RuleSet rules = rules_with_hostile_rule();
  AnalysisOptions o;
  o.now = at("2025-03-05T08:00:00Z");
  Analysis a(rules, o);
  constexpr size_t kPeople = 2500;
  for (size_t i = 0; i < kPeople; ++i) {
    Event e = base("prereq.check", "udr", "2025-03-04T08:05:00Z");
    e.event_id = i % 3 == 0 ? 360 : 358;
    e.subject.user_upn = fmt::format("u{:04}@contoso.com", i);
    e.subject.user_sid = fmt::format("S-1-5-21-1111111111-2222222222-3333333333-{}", 5000 + i);
    e.subject.device_name = fmt::format("PC-{:04}", i);
    e.add("AADPrt", i % 3 == 0 ? "No" : "Yes");
    e.add("DeviceIsJoined", "Yes");
    e.file = fmt::format("/fleet/PC-{:04}/udr.xml", i);
    a.observe(e);
  }
  const Report r = a.finish();
  ASSERT_EQ(r.users.size(), kPeople);
  const std::string html = html_of(r);
  expect_valid_html(html, expected_title(r));
  EXPECT_EQ(count(html, "<section id=\"user-"), report_detail::kMaxUsersDetailed);
  EXPECT_EQ(count(html, "<tr><td><a href=\"#user-"), report_detail::kMaxUsersListed);
  EXPECT_NE(html.find("500 more user(s) not listed"), std::string::npos);
  EXPECT_NE(html.find("2300 user(s) (634 of them blocked) have no section here"),
            std::string::npos);
  // The sections are the blocked users' (every third person).
  for (size_t p = html.find("<section id=\"user-"); p != std::string::npos;
       p = html.find("<section id=\"user-", p + 1)) {
    const size_t name = html.find("<h2>u", p);
    ASSERT_NE(name, std::string::npos);
    EXPECT_EQ(std::stoul(html.substr(name + 5, 4)) % 3, 0u) << html.substr(name, 30);
  }
  EXPECT_LT(html.size(), 40u << 20);
  const std::string md = md_of(r);
  EXPECT_EQ(count(md, "\n## u"), report_detail::kMaxUsersDetailed);
  EXPECT_NE(md.find("_500 more user(s) not listed"), std::string::npos);
  EXPECT_NE(md.find("_2300 user(s) (634 of them blocked) have no section here"), std::string::npos);
}

TEST(ReportHtml, DocumentationLinksMustBePlainHttps) {
  using report_detail::safe_https_url;
  EXPECT_TRUE(safe_https_url("https://learn.microsoft.com/x?y=1#z"));
  EXPECT_FALSE(safe_https_url("javascript:alert(1)"));
  EXPECT_FALSE(safe_https_url("http://example.com"));
  EXPECT_FALSE(safe_https_url("HTTPS://example.com"));
  EXPECT_FALSE(safe_https_url("https://a\"onmouseover=alert(1)"));
  EXPECT_FALSE(safe_https_url("https://a b"));
  EXPECT_FALSE(safe_https_url("https://"));
  EXPECT_FALSE(safe_https_url(" https://example.com"));
  EXPECT_EQ(report_detail::time_utc(at("2025-03-04T10:00:00.25Z")), "2025-03-04T10:00:00.25Z");
  EXPECT_EQ(report_detail::time_utc(at("2025-03-04T10:00:00Z")), "2025-03-04T10:00:00Z");
}

// A real browser renders the page: screenshot for people, DOM for the test.
TEST(ReportHtml, RendersInHeadlessChromiumWithoutRunningAnyPayload) {
  const char* chromium = "/usr/bin/chromium";
  if (::access(chromium, X_OK) != 0)
    GTEST_SKIP() << "/usr/bin/chromium is absent (apt-get install chromium)";
  const Report r = build();
  const std::string html = html_of(r);
  const fs::path artifacts = fs::path(HT_BINARY_DIR) / "artifacts";
  fs::create_directories(artifacts);
  const fs::path page = artifacts / "report.html";
  std::ofstream(page, std::ios::binary) << html;
  TempDir profile;
  const std::string flags =
      std::string(chromium) +
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
      " --disable-background-networking --disable-component-update --disable-sync"
      " --hide-scrollbars --user-data-dir=" +
      quote(profile.path.string());
  const fs::path png = artifacts / "report.png";
  fs::remove(png);
  const Proc shot = run("timeout 180 " + flags + " --screenshot=" + quote(png.string()) +
                        " --window-size=1280,2000 " + quote("file://" + page.string()) + " 2>&1");
  EXPECT_EQ(shot.status, 0) << shot.out;
  ASSERT_TRUE(fs::exists(png)) << shot.out;
  EXPECT_GT(fs::file_size(png), 10000u);
  std::printf("screenshot: %s\n", png.c_str());

  const Proc dom = run("timeout 180 " + flags + " --dump-dom " + quote("file://" + page.string()) +
                       " 2>/dev/null");
  ASSERT_EQ(dom.status, 0);
  ASSERT_NE(dom.out.find("</html>"), std::string::npos) << dom.out.substr(0, 500);
  // The payloads are text in the rendered DOM; no element carries an onerror handler,
  // no script or img element exists, the title is ours.
  EXPECT_NE(dom.out.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(dom.out.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_EQ(lower(dom.out).find("<script"), std::string::npos);
  EXPECT_EQ(lower(dom.out).find("<img"), std::string::npos);
  EXPECT_EQ(std::regex_search(dom.out, std::regex("<[^>]*\\sonerror\\s*=", std::regex::icase)),
            false);
  EXPECT_NE(dom.out.find("<title>" + expected_title(r) + "</title>"), std::string::npos);
  // A clean, redacted report for people to look at (docs/report-screenshot.png).
  Scenario clean;
  clean.hostile = false;
  Report cr = build(clean);
  redact(cr);
  ReportMeta cm = meta();
  cm.redacted = true;
  const fs::path clean_page = artifacts / "report-clean.html";
  std::ofstream(clean_page, std::ios::binary) << html_of(cr, cm);
  const fs::path clean_png = artifacts / "report-clean.png";
  fs::remove(clean_png);
  const Proc shot2 =
      run("timeout 180 " + flags + " --screenshot=" + quote(clean_png.string()) +
          " --window-size=1280,2400 " + quote("file://" + clean_page.string()) + " 2>&1");
  EXPECT_EQ(shot2.status, 0) << shot2.out;
  EXPECT_TRUE(fs::exists(clean_png));
  std::printf("screenshot (clean, redacted): %s\n", clean_png.c_str());
  if (have_html5lib()) {
    TempDir dir;
    const fs::path f = dir.write("dom.html", dom.out);
    const Proc check = run(python() + " " + quote(kCheckScript) + " " + quote(f.string()) + " " +
                           quote(expected_title(r)) + " 2>&1");
    EXPECT_EQ(check.status, 0) << check.out;
  }
}

// Lays the page out in Chromium at `width` px and reports the words (letters and
// digits) that a line break cut although they are narrower than half the window, i.e.
// would have fitted their line: {"broken": N, "samples": [...], "scroll": px}. The script
// goes into a copy of the page (the report itself allows no script).
const char* kBreakScript = R"js(<script>
(function(){
  const vw = document.documentElement.clientWidth, samples = [];
  let broken = 0, words = 0, node;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while ((node = walker.nextNode())) {
    if (node.parentElement.closest('svg,style,script')) continue;
    const re = /[A-Za-z0-9]{2,}/g;
    let m;
    while ((m = re.exec(node.data))) {
      ++words;
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      if (new Set(rects.map(r => Math.round(r.top))).size < 2) continue;
      const w = rects.reduce((a, r) => a + r.width, 0);
      if (w >= vw / 2) continue;
      ++broken;
      if (samples.length < 15)
        samples.push(m[0] + ' in <' + node.parentElement.tagName.toLowerCase() + ' class=' +
                     node.parentElement.className + '>');
    }
  }
  parent.postMessage(JSON.stringify({width: vw, words: words, broken: broken, samples: samples,
                                     scroll: document.documentElement.scrollWidth}), '*');
})();
</script>)js";

std::string chromium_flags(const fs::path& profile) {
  return "timeout 180 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic"
         " --no-first-run --disable-background-networking --disable-component-update"
         " --disable-sync --hide-scrollbars --user-data-dir=" +
         quote(profile.string());
}

// Issue 20: the report reads at 360, 800 and 1280 px without cutting a word that fits
// its line, and a one-user report prints on at most two A4 pages.
TEST(ReportHtml, ReadsAtThreeWidthsWithoutMidWordBreaksAndPrintsShort) {
  if (::access("/usr/bin/chromium", X_OK) != 0)
    GTEST_SKIP() << "/usr/bin/chromium is absent (apt-get install chromium)";
  const fs::path artifacts = fs::path(HT_BINARY_DIR) / "artifacts";
  fs::create_directories(artifacts);
  TempDir dir;
  // Hostile values included: their 2000-byte tokens may (must) break, nothing else.
  std::string page = html_of(build());
  const size_t csp = page.find("<meta http-equiv=\"Content-Security-Policy\"");
  ASSERT_NE(csp, std::string::npos);
  page.erase(csp, page.find('>', csp) + 1 - csp);
  page.insert(page.rfind("</body>"), kBreakScript);
  dir.write("probe.html", page);
  for (int width : {360, 800, 1280}) {
    // Headless windows are 500 px wide at least: the page goes into a frame of `width`,
    // whose script posts what it measured to this one.
    const fs::path frame =
        dir.write("frame.html",
                  "<!DOCTYPE html><html><body style=\"margin:0\"><iframe src=\"probe.html\" "
                  "style=\"border:0;width:" +
                      std::to_string(width) +
                      "px;height:1500px\"></iframe><script>addEventListener('message', e => {"
                      "const p = document.createElement('pre'); p.id = 'ht-breaks'; "
                      "p.textContent = e.data; document.body.appendChild(p); });"
                      "</script></body></html>");
    TempDir profile;
    const Proc dom = run(chromium_flags(profile.path) +
                         " --window-size=1300,1600 --virtual-time-budget=10000 --dump-dom " +
                         quote("file://" + frame.string()) + " 2>/dev/null");
    ASSERT_EQ(dom.status, 0);
    const size_t at = dom.out.find("<pre id=\"ht-breaks\">");
    ASSERT_NE(at, std::string::npos) << "the measuring script did not run at " << width;
    const size_t from = at + 20;
    std::string found = dom.out.substr(from, dom.out.find("</pre>", from) - from);
    for (size_t p; (p = found.find("&lt;")) != std::string::npos;) found.replace(p, 4, "<");
    for (size_t p; (p = found.find("&gt;")) != std::string::npos;) found.replace(p, 4, ">");
    for (size_t p; (p = found.find("&amp;")) != std::string::npos;) found.replace(p, 5, "&");
    const nlohmann::json m = nlohmann::json::parse(found);
    std::printf("%d px: %s\n", width, found.c_str());
    EXPECT_EQ(m["width"].get<int>(), width);
    EXPECT_GT(m["words"].get<int>(), 500) << found;
    EXPECT_EQ(m["broken"].get<int>(), 0) << width << " px: " << found;
  }
  // Print: one user (the clean scenario), A4, Chromium's own PDF.
  Scenario one;
  one.hostile = false;
  one.no_time_user = false;
  const Report r = build(one);
  ASSERT_EQ(r.users.size(), 1u);
  const fs::path html = artifacts / "report-one-user.html";
  std::ofstream(html, std::ios::binary) << html_of(r);
  const fs::path pdf = artifacts / "report-one-user.pdf";
  fs::remove(pdf);
  TempDir profile;
  const Proc print = run(chromium_flags(profile.path) + " --no-pdf-header-footer --print-to-pdf=" +
                         quote(pdf.string()) + " " + quote("file://" + html.string()) + " 2>&1");
  ASSERT_EQ(print.status, 0) << print.out;
  std::ifstream in(pdf, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_EQ(bytes.rfind("%PDF", 0), 0u);
  const std::regex page_object("/Type\\s*/Page[^s]");
  const std::ptrdiff_t pages = std::distance(
      std::sregex_iterator(bytes.begin(), bytes.end(), page_object), std::sregex_iterator());
  std::printf("one-user report: %td printed page(s): %s\n", pages, pdf.c_str());
  EXPECT_GE(pages, 1);
  EXPECT_LE(pages, 2);
}

// ---- Markdown ------------------------------------------------------------------

// Unescaped pipes of a table row.
size_t cells(const std::string& row) {
  size_t n = 0;
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '\\') {
      ++i;
      continue;
    }
    if (row[i] == '|') ++n;
  }
  return n;
}

TEST(ReportMarkdown, TableCellsAreEscapedAndEveryRowKeepsItsColumns) {
  const Report r = build();
  const std::string md = md_of(r);
  EXPECT_TRUE(text::is_valid_utf8(md));
  // Outside code fences (where text is shown verbatim) no tag from the inputs.
  std::string prose;
  bool fenced = false;
  std::istringstream lines(md);
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind("```", 0) == 0)
      fenced = !fenced;
    else if (!fenced)
      prose += l + "\n";
    else
      EXPECT_EQ(l.find("```"), std::string::npos) << l;
  }
  EXPECT_EQ(lower(prose).find("<script"), std::string::npos);
  EXPECT_EQ(lower(prose).find("<img"), std::string::npos);
  EXPECT_EQ(md.find("<!--"), std::string::npos);
  EXPECT_NE(md.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(md.find("\\`tick\\` \\| pipe<br>second line"), std::string::npos);
  EXPECT_EQ(md.find("<javascript"), std::string::npos);
  EXPECT_NE(md.find("(documentation, not a https link: javascript:alert(1))"), std::string::npos);
  EXPECT_NE(md.find("<https://learn.microsoft.com/"), std::string::npos);
  EXPECT_EQ(md.find(std::string(1000, 'B')), std::string::npos);
  // Tables: every row has as many cells as its header.
  std::istringstream in(md);
  std::string line;
  size_t header = 0, rows = 0;
  bool in_fence = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) in_fence = !in_fence;
    if (in_fence || line.empty() || line[0] != '|') {
      header = 0;
      continue;
    }
    if (!header)
      header = cells(line);
    else {
      EXPECT_EQ(cells(line), header) << line.substr(0, 300);
      ++rows;
    }
  }
  EXPECT_GT(rows, 20u);
  // Every text line outside code fences that starts a table is a table; the text
  // timeline is fenced.
  EXPECT_NE(md.find("```text\n"), std::string::npos);
  EXPECT_NE(md.find("(UTC+00:00)"), std::string::npos);
}

TEST(ReportMarkdown, SameUsersAndFindingsAsTheHtml) {
  const Report r = build();
  const std::string md = md_of(r), html = nowbr(html_of(r));
  fs::create_directories(fs::path(HT_BINARY_DIR) / "artifacts");
  std::ofstream(fs::path(HT_BINARY_DIR) / "artifacts" / "report.md", std::ios::binary) << md;
  for (const UserTimeline& t : r.users) {
    const std::string name = r.identities[t.identity].display();
    EXPECT_NE(md.find("## " + report_detail::md_escape(name)), std::string::npos) << name;
    std::string escaped;
    for (char c : name)
      escaped += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&quot;" : std::string(1, c);
    EXPECT_NE(html.find("<h2>" + escaped + "</h2>"), std::string::npos) << name;
  }
  for (const Finding& f : r.findings) {
    EXPECT_NE(md.find("(`" + f.rule + "`)"), std::string::npos) << f.rule;
    EXPECT_NE(html.find("<span class=\"rule\">" + f.rule + "</span></h4>"), std::string::npos)
        << f.rule;
  }
  // Each finding once per section that shows it: the suspended scheduler (tenant-wide,
  // explaining jdoe's sync.overdue) under jdoe in full, and named in the tenant section.
  EXPECT_EQ(count(md, "#### ["), r.findings.size());
  EXPECT_NE(md.find("(`sync.scheduler_suspended`): shown in full under jdoe@contoso.com"),
            std::string::npos);
  EXPECT_EQ(count(html, "<div class=\"card finding "), r.findings.size() + 1);
  EXPECT_EQ(count(html, "<div class=\"card finding compact "), 1u);
}

// ---- redaction -----------------------------------------------------------------

std::string findings_json(const Report& r) {
  std::string out;
  for (const Finding& f : r.findings) out += dump_line(finding_to_json(f, r.now)) + "\n";
  return out;
}

TEST(Redact, NoOriginalIdentifierRemainsInAnyOutput) {
  Report r = build();
  redact(r);
  ReportMeta m = meta();
  m.redacted = true;
  const std::string html = html_of(r, m), md = md_of(r, m), json = findings_json(r);
  const std::vector<std::string> originals = {"jdoe",
                                              "john doe",
                                              "contoso",
                                              "s-1-5-21-1111111111",
                                              "1111111111-2222222222",
                                              "s-1-5-21-4444444444",
                                              lower(kDevice),
                                              kDeviceId,
                                              kTenantId,
                                              kKeyId,
                                              "ou=staff",
                                              "/home/analyst",
                                              "notime",
                                              "users\\",
                                              "olderkeyhash0123456789",
                                              "3f2a9c1e",
                                              "9a4b1c2d"};
  for (const auto* out : {&html, &md, &json})
    for (const std::string& o : originals)
      EXPECT_EQ(lower(*out).find(o), std::string::npos)
          << "'" << o << "' in "
          << (out == &html ? "HTML"
              : out == &md ? "Markdown"
                           : "JSON")
          << ": ..."
          << out->substr(std::min(out->size(),
                                  lower(*out).find(o) - std::min<size_t>(lower(*out).find(o), 80)),
                         200);
  EXPECT_NE(html.find("REDACTED"), std::string::npos);
  EXPECT_NE(html.find("@redacted.invalid"), std::string::npos);
  EXPECT_NE(json.find("S-1-5-21-0-0-1-1001"), std::string::npos);  // domain 1, first RID
  EXPECT_NE(json.find("S-1-5-21-0-0-2-1002"), std::string::npos);
  EXPECT_NE(html.find("DEVICE-1"), std::string::npos);
  // Still valid, still safe.
  expect_valid_html(html, expected_title(r));
  // The hostile user's account became a pseudonym too, with the domain.
  const Finding* hostile = find(r, "test.hostile");
  ASSERT_NE(hostile, nullptr);
  EXPECT_EQ(hostile->subject.user_sam.rfind("REDACTED\\user-", 0), 0u) << hostile->subject.user_sam;
  EXPECT_EQ(hostile->subject.device_name.rfind("DEVICE-", 0), 0u) << hostile->subject.device_name;
  // Rule documentation links are left intact.
  const Finding* suspended = find(r, "sync.scheduler_suspended");
  ASSERT_NE(suspended, nullptr);
  Report original = build();
  EXPECT_EQ(suspended->documentation, find(original, "sync.scheduler_suspended")->documentation);
}

TEST(Redact, PseudonymsAreStableAndConsistentAcrossFields) {
  Report a = build(), b = build();
  redact(a);
  redact(b);
  EXPECT_EQ(html_of(a), html_of(b));
  EXPECT_EQ(findings_json(a), findings_json(b));
  // Same value → same pseudonym: the identity's UPN is the finding subject's UPN.
  const Finding* f = find(a, "prereq.no_prt");
  ASSERT_NE(f, nullptr);
  const Identity* jdoe = nullptr;
  for (const Identity& id : a.identities)
    if (!id.upns.empty() && id.upns.front() == f->subject.user_upn) jdoe = &id;
  ASSERT_NE(jdoe, nullptr) << f->subject.user_upn;
  ASSERT_FALSE(jdoe->sids.empty());
  EXPECT_EQ(jdoe->sids.front(), f->subject.user_sid);
  EXPECT_EQ(f->subject.user_sid.rfind("S-1-5-21-0-0-", 0), 0u) << f->subject.user_sid;
  EXPECT_NE(f->subject.user_upn.find("@redacted.invalid"), std::string::npos)
      << f->subject.user_upn;
  // The device id in free text got the pseudonym of the device identity.
  std::string device_id;
  for (const Identity& id : a.identities)
    if (id.is_device && !id.device_ids.empty()) device_id = id.device_ids.front();
  ASSERT_EQ(device_id.size(), 36u);
  bool in_summary = false;
  for (const UserTimeline& t : a.users)
    for (const TimelineEntry& e : t.entries)
      in_summary |= e.summary.find(device_id) != std::string::npos;
  EXPECT_TRUE(in_summary);
  // File names keep only their base name.
  for (const UserTimeline& t : a.users)
    for (const TimelineEntry& e : t.entries)
      EXPECT_EQ(e.file.find_first_of("/\\"), std::string::npos) << e.file;
  // A salt changes the GUID pseudonyms, reproducibly.
  Report c = build(), d = build();
  redact(c, "secret");
  redact(d, "secret");
  EXPECT_EQ(findings_json(c), findings_json(d));
  EXPECT_NE(findings_json(a), findings_json(c));
}

TEST(Redact, ShapesInFreeText) {
  const std::string in =
      "mail a.b-c@Fabrikam.co.uk, sid S-1-5-21-10-20-30-500 and S-1-5-21-10-20-30-7777, "
      "system S-1-5-18, guid {0A1B2C3D-0000-4000-8000-00000000ABCD} and "
      "0a1b2c3d-0000-4000-8000-00000000abcd, "
      "entra S-1-12-1-1-2-3-4";
  const std::string out = redact_text(in);
  EXPECT_EQ(out.find("Fabrikam"), std::string::npos) << out;
  EXPECT_NE(out.find("user-1@redacted.invalid"), std::string::npos) << out;
  EXPECT_NE(out.find("S-1-5-21-0-0-1-500 "), std::string::npos) << out;  // well-known RID kept
  EXPECT_NE(out.find("S-1-5-21-0-0-1-1001"), std::string::npos) << out;
  EXPECT_NE(out.find("S-1-5-18"), std::string::npos) << out;
  EXPECT_NE(out.find("S-1-12-1-0-0-0-"), std::string::npos) << out;
  EXPECT_EQ(lower(out).find("0a1b2c3d"), std::string::npos) << out;
  // Both spellings of the GUID got the same pseudonym.
  const std::regex guid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::vector<std::string> found;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), guid); it != std::sregex_iterator();
       ++it)
    found.push_back(it->str());
  ASSERT_EQ(found.size(), 2u) << out;
  EXPECT_EQ(found[0], found[1]);
  EXPECT_EQ(redact_text(in), out);
}

TEST(Redact, EventsGetTheReportsPseudonyms) {
  Report r = build();
  Redaction redaction;
  redaction.apply(r);
  Event e = user1(base("ngc.key_registered", "udr", "2025-03-04T10:00:00Z"));
  e.subject.ngc_key_id = kKeyId;
  e.add("KeyId", kKeyId);
  e.add("UPN", "JDoe@Contoso.com");
  e.add("Message", std::string("key of CN=John Doe, OU=Staff, DC=contoso, DC=com on ") + kDevice);
  redaction.apply(e);
  const std::string json = dump_line(event_to_json(e));
  for (const std::string o :
       {"jdoe", "john doe", "contoso", "staff", "pc-0142", "9a4b1c2d", "1111111111", "/home"})
    EXPECT_EQ(lower(json).find(o), std::string::npos) << o << " in " << json;
  const Finding* f = find(r, "prereq.no_prt");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(e.subject.user_upn, f->subject.user_upn);
  EXPECT_EQ(e.subject.user_sid, f->subject.user_sid);
  EXPECT_EQ(e.subject.device_name, f->subject.device_name);
  EXPECT_EQ(*e.field("UPN"), f->subject.user_upn);
  EXPECT_EQ(e.file, "udr.txt");
}
