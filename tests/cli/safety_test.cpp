// End-to-end: the guarantees of docs/CLI.md "Safety" — what reaches a terminal is
// inert, --redact holds everywhere, memory and report size stay bounded, text that is
// not text is said once per file. Hostile inputs are made here, at run time.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cli_run.hpp"

namespace {

// UTF-16LE bytes of a UTF-8 string of code points below U+10000.
std::string utf16le(const std::u16string& s) {
  std::string out;
  for (char16_t c : s) {
    out.push_back(static_cast<char>(c & 0xFF));
    out.push_back(static_cast<char>(c >> 8));
  }
  return out;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

// The first byte sequence in `text` that steers a terminal: a C0 control other than
// the line feed that ends a line, DEL, a C1 control (U+0080–U+009F, or a lone byte
// 0x80–0x9F), a bidi or line-separator control. "" when there is none.
std::string first_control(const std::string& text) {
  static const std::vector<std::string> kUnicode = {
      "\xD8\x9C",     "\xE2\x80\x8E", "\xE2\x80\x8F", "\xE2\x80\xA8", "\xE2\x80\xA9",
      "\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD", "\xE2\x80\xAE",
      "\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8", "\xE2\x81\xA9"};
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if ((b < 0x20 && b != '\n') || b == 0x7F)
      return "byte " + std::to_string(b) + " at " + std::to_string(i);
    if (b == 0xC2 && i + 1 < text.size()) {
      const auto n = static_cast<unsigned char>(text[i + 1]);
      if (n >= 0x80 && n <= 0x9F) return "C1 U+00" + std::to_string(n) + " at " + std::to_string(i);
    }
    if (b >= 0x80 && b <= 0x9F && (i == 0 || static_cast<unsigned char>(text[i - 1]) < 0xC0) &&
        (i == 0 || static_cast<unsigned char>(text[i - 1]) < 0x80))
      return "lone C1 byte at " + std::to_string(i);
    for (const std::string& u : kUnicode)
      if (text.compare(i, u.size(), u) == 0) return "bidi/separator at " + std::to_string(i);
  }
  return "";
}

bool has_line_starting(const std::string& text, const std::string& start) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(start, 0) == 0) return true;
  return false;
}

}  // namespace

// Item 4 of issue 17: a GPO name with a line feed that forges a diagnostic, C1 and
// bidi controls; a file name with OSC sequences (window title, hyperlink); a rule file
// whose texts carry escape sequences. None of it reaches the terminal raw.
TEST(Safety, NothingFromTheInputsSteersTheTerminal) {
  TempDir dir("inject");
  const fs::path in = dir.path / "in", rules = dir.path / "rules";
  fs::create_directories(in);
  fs::create_directories(rules);
  const fs::path scenario = source_path("tests/scenarios/policy-gpresult-user-disabled");
  fs::copy_file(scenario / "dsregcmd-status-ws0777.txt", in / "dsregcmd-status-ws0777.txt");
  std::string gpresult = slurp(scenario / "gpresult-kiosk01-ws0777.xml");
  const std::string gpo = utf16le(u"WHfB - Hybrid Key Trust");
  ASSERT_NE(gpresult.find(gpo), std::string::npos);
  replace_all(gpresult, gpo,
              utf16le(u"WHfB\nhellotrace: forged.txt:1: error: forged\u009b2J\u202eevil\u2028x"));
  write_file(in / "gpresult-kiosk01-ws0777.xml", gpresult);
  write_file(
      in / "note\x1b]0;pwned\x07\nhellotrace: forged-name \x1b]8;;mailto:x@evil.example\x1b\\.bin",
      "nothing a parser knows");
  write_file(rules / "hostile.json",
             R"({"rules": [{"id": "custom.hostile", "title": "\u001b[2Jcleared\u001b]0;title\u0007",
                 "severity": "info", "category": "custom", "summary": "x",
                 "match": [{"kind": "no.such.kind"}], "remediation": "none",
                 "documentation": "https://learn.microsoft.com/"}]})");
  write_file(
      rules / "broken.json",
      R"({"rules": [{"id": "custom.broken\u001b[2J\nhellotrace: forged-rule", "severity": 7}]})");

  std::vector<std::pair<std::string, Outcome>> runs;
  runs.emplace_back("analyze", run("analyze " + quote(in.string())));
  runs.emplace_back("timeline", run("timeline " + quote(in.string())));
  runs.emplace_back("rules", run("rules --rules " + quote(rules.string())));
  for (const auto& [what, r] : runs) {
    EXPECT_EQ(first_control(r.out), "") << what << " stdout:\n" << r.out;
    EXPECT_EQ(first_control(r.err), "") << what << " stderr:\n" << r.err;
    for (const std::string* stream : {&r.out, &r.err}) {
      EXPECT_FALSE(has_line_starting(*stream, "hellotrace: forged")) << what << ":\n" << *stream;
      EXPECT_FALSE(has_line_starting(*stream, "hellotrace: custom.broken")) << what;
    }
  }
  // The values are shown, escaped — not dropped.
  const Outcome& analyze = runs[0].second;
  const Outcome& timeline = runs[1].second;
  EXPECT_NE(analyze.err.find("note\\x1b]0;pwned\\x07\\nhellotrace: forged-name \\x1b]8;;"),
            std::string::npos)
      << analyze.err;
  EXPECT_NE(timeline.out.find(
                "WHfB\\nhellotrace: forged.txt:1: error: forged\\u009b2J\\u202eevil\\u2028x"),
            std::string::npos)
      << timeline.out;
  EXPECT_NE(runs[2].second.out.find("\\x1b[2Jcleared\\x1b]0;title\\x07"), std::string::npos)
      << runs[2].second.out;
  EXPECT_NE(runs[2].second.err.find("\\x1b[2J\\nhellotrace: forged-rule"), std::string::npos)
      << runs[2].second.err;
}

// Item 8: text that is not text becomes U+FFFD (UTF-16) or is kept (UTF-8), and the
// parser says so once per file, at the first bad byte.
TEST(Safety, TextThatIsNotTextIsReportedOncePerFile) {
  TempDir dir("decode");
  fs::create_directories(dir.path);
  const fs::path scenario = source_path("tests/scenarios/policy-gpresult-user-disabled");
  std::string dsreg = slurp(scenario / "dsregcmd-status-ws0777.txt");
  // Two lone surrogates (a low one, then a high one before "S") in a value, and an odd
  // length.
  const std::string joined = utf16le(u"AzureAdJoined : YES");
  const size_t at = dsreg.find(joined);
  ASSERT_NE(at, std::string::npos);
  dsreg.insert(at + joined.size() - 2, utf16le(u"\xDC41\xD800"));
  dsreg.push_back('\x41');
  write_file(dir.path / "dsregcmd-status-ws0777.txt", dsreg);
  Outcome r = run("events " + quote(dir.path.string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string expected = "dsregcmd-status-ws0777.txt: offset 0x" + [&] {
    std::ostringstream hex;
    hex << std::hex << at + joined.size() - 2;
    return hex.str();
  }() + ": warning: invalid UTF-16LE at byte offset";
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(3 places), shown as U+FFFD (the odd last byte dropped)"),
            std::string::npos)
      << r.err;
  size_t warnings = 0;
  for (size_t p = r.err.find("invalid UTF-16"); p != std::string::npos;
       p = r.err.find("invalid UTF-16", p + 1))
    ++warnings;
  EXPECT_EQ(warnings, 1u) << r.err;
  // What was read around the bad bytes is kept.
  EXPECT_NE(r.out.find("\"AzureAdJoined\""), std::string::npos);
  EXPECT_NE(r.out.find("\xEF\xBF\xBD"), std::string::npos);
}

// Item 5: with --redact, no name of the bundle survives anywhere: not in stdout, stderr
// (held, then redacted: a DN in a key-integrity warning, skipped files), NDJSON, HTML,
// Markdown or the database, not in file and folder names (get-aduser-sofia.txt,
// dsregcmd-status-pc1504.txt, cases/sofia.marquez/), connector names or DC host names.
TEST(Safety, RedactLeavesNoNameInAnyOutputOrMessage) {
  TempDir dir("redact");
  const fs::path in = dir.path / "cases";
  struct Copy {
    const char* from;
    const char* to;
  };
  const Copy copies[] = {
      {"samples/device-tpm-policy", "sofia.marquez"},
      {"tests/scenarios/permission-issue", "grace-sync"},
      {"tests/scenarios/onprem-signin-ok", "alex"},
      {"tests/scenarios/keys-tampered-and-stale", "ad"},
  };
  for (const Copy& c : copies) {
    fs::create_directories(in / c.to);
    for (const auto& f : fs::directory_iterator(source_path(c.from)))
      if (f.path().filename() != "README.md" && f.path().filename() != "expected.json")
        fs::copy_file(f.path(), in / c.to / f.path().filename());
  }
  // A file no parser reads, named after the user: its "skipped" message names it.
  write_file(in / "sofia.marquez" / "notes-sofia-pc1504.bin", "\x01\x02");
  const fs::path out = dir.path / "out";
  fs::create_directories(out);
  const std::string outputs = " --json " + quote((out / "f.ndjson").string()) + " --html " +
                              quote((out / "r.html").string()) + " --markdown " +
                              quote((out / "r.md").string()) + " --db " +
                              quote((out / "r.db").string());
  const Outcome analyze = run("analyze --redact " + quote(in.string()) + outputs);
  ASSERT_EQ(analyze.exit_code, 0) << analyze.err;
  const Outcome timeline = run("timeline --redact " + quote(in.string()));
  ASSERT_EQ(timeline.exit_code, 0) << timeline.err;
  // The runs did read those names: without --redact they are there.
  const Outcome plain = run("analyze " + quote(in.string()));
  for (const char* name : {"sofia", "pc1504", "OU=Staff"})
    EXPECT_NE((plain.out + plain.err).find(name), std::string::npos) << name;

  const std::vector<std::pair<std::string, std::string>> texts = {
      {"analyze stdout", analyze.out},     {"analyze stderr", analyze.err},
      {"timeline stdout", timeline.out},   {"timeline stderr", timeline.err},
      {"NDJSON", slurp(out / "f.ndjson")}, {"HTML", slurp(out / "r.html")},
      {"Markdown", slurp(out / "r.md")},   {"database", slurp(out / "r.db")}};
  // People (UPN parts, CNs, accounts), devices (with and without hyphen), the DC, the
  // domain and tenant, the connectors, the OU.
  const char* const names[] = {"sofia",  "marquez", "grace",   "alex",    "rosa",
                               "diaz",   "pc1504",  "pc-1504", "pc0844",  "pc-0844",
                               "pc0201", "pc-0201", "dc01",    "contoso", "staff"};
  for (const auto& [what, text] : texts) {
    ASSERT_FALSE(text.empty()) << what;
    std::string lower = text;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* name : names) {
      const size_t at = lower.find(name);
      EXPECT_EQ(at, std::string::npos)
          << name << " in " << what << ": …" << text.substr(at < 80 ? 0 : at - 80, 160) << "…";
    }
  }
  // Redacted, not dropped: the pseudonyms are there, the same in every output.
  EXPECT_NE(analyze.err.find("CN=user-"), std::string::npos) << analyze.err;
  EXPECT_NE(analyze.err.find("notes-user-"), std::string::npos) << analyze.err;
  EXPECT_NE(texts[5].second.find("connector-"), std::string::npos);
}

// Item 6, through the command: a 3 MB line in a dsregcmd output, capped at 1000 bytes;
// one warning names the file and the line; the database takes the event.
TEST(Safety, LongValuesAreCutWithOneWarningNamingFileAndLine) {
  TempDir dir("cap");
  fs::create_directories(dir.path);
  std::string text = slurp(source_path("samples/pending-sync/dsregcmd-status-pc0517.txt"));
  const std::string tenant = "TenantName : Contoso";
  const size_t at = text.find(tenant);
  ASSERT_NE(at, std::string::npos);
  text.insert(at + tenant.size(), std::string(3 << 20, 'x'));
  const uint64_t line = std::count(text.begin(), text.begin() + at, '\n') + 1;
  write_file(dir.path / "dsregcmd-status-pc0517.txt", text);
  Outcome r = run("events --max-field-bytes 1000 --db " + quote((dir.path / "e.db").string()) +
                  " " + quote((dir.path / "dsregcmd-status-pc0517.txt").string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The position is the event's: the line of the section that holds the field.
  const std::string warning = fmt::format(
      ": warning: field TenantName is {} bytes long: kept the first 1000 (--max-field-bytes)",
      7 + (3 << 20));
  const size_t w = r.err.find(warning);
  ASSERT_NE(w, std::string::npos) << r.err;
  const size_t colon = r.err.rfind("dsregcmd-status-pc0517.txt:", w);
  ASSERT_NE(colon, std::string::npos) << r.err;
  const uint64_t at_line = std::stoull(r.err.substr(colon + 27, w - colon - 27));
  EXPECT_GT(at_line, 1u);
  EXPECT_LE(at_line, line);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  const std::string cut = "Contoso" + std::string(993, 'x') + "\u2026[" +
                          std::to_string(7 + (3 << 20) - 1000) + " bytes cut]";
  EXPECT_NE(r.out.find("\"TenantName\":\"" + cut + "\""), std::string::npos);
  EXPECT_LT(r.out.size(), 100000u);
  EXPECT_LT(fs::file_size(dir.path / "e.db"), 1u << 20);
  for (const char* bad : {"0", "15", "-5", "1e6", "100000001", "64k"}) {
    Outcome u = run(std::string("events --max-field-bytes ") + bad + " x");
    EXPECT_EQ(u.exit_code, 2) << bad;
    EXPECT_NE(u.err.find(std::string("--max-field-bytes takes a number of bytes from 16 to "
                                     "100000000, not '") +
                         bad + "'"),
              std::string::npos)
        << u.err;
  }
}
