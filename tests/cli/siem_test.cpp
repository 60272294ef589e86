// End-to-end: what a SIEM takes in (issue 20, SOC) — stable finding ids and detection
// times in the NDJSON, ECS documents and the ingest recipes of docs/SIEM.md, CSV for
// Excel, Timesketch JSONL — on the sample bundles as an admin exports them.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "cli_run.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// "rule user device" → id, for the findings of one run.
std::map<std::string, std::string> ids_by_subject(const std::vector<json>& findings) {
  std::map<std::string, std::string> out;
  auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : std::string("-"); };
  for (const json& f : findings)
    out[f["rule"].get<std::string>() + " " + text(f["user"]["sid"]) + " " + text(f["user"]["upn"]) +
        " " + text(f["device"]["name"])] = f["id"];
  return out;
}

// Copies a bundle's input files (not its expected.json / README.md) under `to`.
void copy_inputs(const std::string& rel, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(source_path(rel)))
    if (e.path().filename() != "expected.json" && e.path().filename() != "README.md")
      fs::copy_file(e.path(), to / e.path().filename());
}

}  // namespace

TEST(Siem, TwoRunsOnTheSameInputsGiveTheSameFindingIds) {
  // The second run reads a copy elsewhere, one file at a time, with the files named in
  // another order: none of that is the finding's identity.
  TempDir copy("ids");
  copy_inputs("samples/prereq-several-users", copy.path / "bundle-copy");
  const std::string dir = source_path("samples/prereq-several-users");
  Outcome a = run("analyze --quiet --json - " + quote(dir));
  std::string reversed;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(copy.path / "bundle-copy"))
    files.push_back(e.path().string());
  std::sort(files.rbegin(), files.rend());
  for (const auto& f : files) reversed += " " + quote(f);
  Outcome b = run("analyze --quiet --threads 1 --json -" + reversed);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const auto first = ids_by_subject(ndjson(a.out)), second = ids_by_subject(ndjson(b.out));
  ASSERT_EQ(first.size(), 9u) << a.out;  // the nine findings of the bundle's expected.json
  EXPECT_EQ(first, second);

  // Different subjects, different ids: prereq.no_prt fires for two people.
  std::set<std::string> distinct;
  std::set<std::string> no_prt;
  for (const auto& [subject, id] : first) {
    distinct.insert(id);
    if (subject.starts_with("prereq.no_prt ")) no_prt.insert(id);
  }
  EXPECT_EQ(distinct.size(), first.size());
  EXPECT_EQ(no_prt.size(), 2u);
}

TEST(Siem, TheIdDoesNotMoveWithTheReferenceTimeAndDetectedDoes) {
  // samples/pending-sync: sync.pending's summary counts minutes to the ETA, which
  // depend on --now; the finding is the same one.
  const std::string dir = source_path("samples/pending-sync");
  Outcome a = run("analyze --quiet --json - --now 2024-11-14T13:46:00Z " + quote(dir));
  Outcome b = run("analyze --quiet --json - --now 2024-11-14T13:48:30Z " + quote(dir));
  const auto fa = ndjson(a.out), fb = ndjson(b.out);
  ASSERT_EQ(fa.size(), 1u) << a.out << a.err;
  ASSERT_EQ(fb.size(), 1u) << b.out << b.err;
  EXPECT_EQ(fa[0]["rule"], "sync.pending");
  EXPECT_NE(fa[0]["summary"], fb[0]["summary"]);
  EXPECT_EQ(fa[0]["id"], fb[0]["id"]);
  EXPECT_EQ(fa[0]["detected"], "2024-11-14T13:46:00.0000000Z");
  EXPECT_EQ(fb[0]["detected"], "2024-11-14T13:48:30.0000000Z");
  // Without --now, the newest time in the inputs: samples/permission-issue was
  // collected at 12:22:10 (the export error); key.not_in_ad's first evidence is the
  // AD export's older key, of May.
  Outcome c = run("analyze --quiet --json - " + quote(source_path("samples/permission-issue")));
  const auto fc = ndjson(c.out);
  ASSERT_EQ(fc.size(), 3u) << c.err;
  for (const json& f : fc) EXPECT_EQ(f["detected"], "2024-11-14T12:22:10.0000000Z") << f["rule"];
  EXPECT_EQ(fc[0]["rule"], "key.not_in_ad");
  EXPECT_EQ(fc[0]["time"], "2024-05-21T07:30:12.0000000Z");
}

TEST(Siem, RedactedIdsAreStableAndDifferFromTheNamedOnes) {
  const std::string dir = source_path("samples/prereq-several-users");
  Outcome plain = run("analyze --quiet --json - " + quote(dir));
  Outcome a = run("analyze --quiet --redact --json - " + quote(dir));
  Outcome b = run("analyze --quiet --redact --json - " + quote(dir));
  std::set<std::string> named, redacted_a, redacted_b;
  for (const json& f : ndjson(plain.out)) named.insert(f["id"]);
  for (const json& f : ndjson(a.out)) redacted_a.insert(f["id"]);
  for (const json& f : ndjson(b.out)) redacted_b.insert(f["id"]);
  ASSERT_EQ(redacted_a.size(), 9u) << a.err;
  EXPECT_EQ(redacted_a, redacted_b);
  for (const auto& id : redacted_a)
    EXPECT_FALSE(named.count(id)) << "a redacted id equals a named one: it would confirm a guess";
}

namespace {

// Runs a Python snippet with arguments; "" when it exits 0, else what it printed.
std::string python(const std::string& code, const std::vector<std::string>& args) {
  std::string cmd = "/usr/bin/python3 -c " + quote(code);
  for (const auto& a : args) cmd += " " + quote(a);
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "" : (out.empty() ? "python failed" : out);
}

const std::vector<std::string> kBundles = {"samples/prereq-several-users",
                                           "samples/permission-issue", "samples/pending-sync",
                                           "samples/device-tpm-policy", "samples/prereq-no-prt"};

// tests/cli/check_siem.py on an ECS and an NDJSON file of one run: "" or its problems.
std::string check_siem(const fs::path& ecs, const fs::path& native) {
  return python(
      "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], "
      "run_name='__main__')",
      {source_path("tests/cli/check_siem.py"), HT_SOURCE_DIR, ecs.string(), native.string()});
}

// A copy of samples/prereq-several-users whose device names an attacker chose: a
// spreadsheet formula, a quote, a comma, a line of its own and bytes that are no UTF-8.
fs::path hostile_bundle(const fs::path& at) {
  copy_inputs("samples/prereq-several-users", at);
  auto rename_device = [&](const std::string& file, const std::string& from,
                           const std::string& to) {
    std::string text = slurp(at / file);
    const size_t i = text.find(from);
    EXPECT_NE(i, std::string::npos) << file;
    if (i != std::string::npos) text.replace(i, from.size(), to);
    std::ofstream(at / file, std::ios::binary) << text;
  };
  rename_device("dsregcmd-pc0366-policy.txt", "PC-0366.corp.contoso.com",
                "=HYPERLINK(\"http://evil.invalid\",\"x\")");
  rename_device("dsregcmd-vm0377-hardware.txt", "VM-0377", "@SUM(1+1)\xFF\xFE,\"VM-0377\"");
  return at;
}

}  // namespace

TEST(Siem, EcsDocumentsAndTheRecipesOfSiemMdHoldOnTheSamples) {
  TempDir dir("ecs");
  fs::create_directories(dir.path);
  std::string ecs_all, native_all;
  for (const std::string& bundle : kBundles) {
    const fs::path ecs = dir.path / "findings.ecs.ndjson", native = dir.path / "findings.ndjson";
    Outcome r = run("analyze --quiet --ecs " + quote(ecs.string()) + " --json " +
                    quote(native.string()) + " " + quote(source_path(bundle)));
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << bundle << ": " << r.err;
    EXPECT_NE(r.out.find("findings (ECS): " + ecs.string()), std::string::npos) << r.out;
    ecs_all += slurp(ecs);
    native_all += slurp(native);
  }
  std::ofstream(dir.path / "all.ecs") << ecs_all;
  std::ofstream(dir.path / "all.ndjson") << native_all;
  const std::string problems = check_siem(dir.path / "all.ecs", dir.path / "all.ndjson");
  EXPECT_EQ(problems, "");
  // The check can fail: a string severity breaks the ECS type.
  std::string bad = ecs_all;
  const size_t at = bad.find("\"severity\":73");
  ASSERT_NE(at, std::string::npos);
  bad.replace(at, 13, "\"severity\":\"73\"");
  std::ofstream(dir.path / "bad.ecs") << bad;
  EXPECT_NE(check_siem(dir.path / "bad.ecs", dir.path / "all.ndjson").find("event.severity"),
            std::string::npos);

  // On stdout too, and identical to the file (the summary then stays off stdout).
  Outcome out = run("analyze --quiet --ecs - " + quote(source_path(kBundles[0])));
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, ecs_all.substr(0, out.out.size()));
  EXPECT_EQ(out.out.find("finding(s)"), std::string::npos);
}

TEST(Siem, CsvReadsBackInPythonAndNeverStartsAFormula) {
  TempDir dir("csv");
  const fs::path bundle = hostile_bundle(dir.path / "bundle");
  const fs::path csv = dir.path / "findings.csv", ecs = dir.path / "findings.ecs";
  Outcome r = run("analyze --quiet --csv " + quote(csv.string()) + " --ecs " + quote(ecs.string()) +
                  " --json - " + quote(bundle.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto findings = ndjson(r.out);
  ASSERT_EQ(findings.size(), 9u);
  // The ECS documents of the same run stay valid JSON (nlohmann refuses invalid UTF-8)
  // and keep the name as a string: JSON has no formulas to neutralise.
  const auto documents = ndjson(slurp(ecs));
  ASSERT_EQ(documents.size(), 9u);
  bool formula_kept = false;
  for (const auto& d : documents)
    formula_kept |= d.contains("host") && d["host"].value("name", "").starts_with("=HYPERLINK(");
  EXPECT_TRUE(formula_kept);
  std::string ids;
  for (const auto& f : findings)
    ids += f["rule"].get<std::string>() + "\t" + f["severity"].get<std::string>() + "\t" +
           f["id"].get<std::string>() + "\n";
  std::ofstream(dir.path / "ids.tsv") << ids;
  const std::string raw = slurp(csv);
  ASSERT_GE(raw.size(), 3u);
  EXPECT_EQ(raw.substr(0, 3), "\xEF\xBB\xBF") << "UTF-8 byte order mark for Excel";
  const std::string problems = python(R"PY(
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline=''), strict=True))
want = [l.rstrip('\n').split('\t') for l in open(sys.argv[2])]
header = ['rule', 'severity', 'user', 'device', 'summary', 'first evidence', 'fix', 'id']
assert rows[0] == header, rows[0]
assert len(rows) == 1 + len(want), (len(rows), len(want))
for row, (rule, severity, fid) in zip(rows[1:], want):
    assert len(row) == len(header), row
    assert (row[0], row[1], row[7]) == (rule, severity, fid), (row, rule)
    for cell in row:
        assert cell[:1] not in ('=', '+', '-', '@', '\t', '\r'), cell
devices = [row[3] for row in rows[1:]]
assert "'=HYPERLINK(\"http://evil.invalid\",\"x\")" in devices, devices
assert any(d.startswith("'@SUM(1+1)") and ',"VM-0377"' in d for d in devices), devices
raw = open(sys.argv[1], 'rb').read()
assert raw.count(b'\r\n') >= len(rows), 'rows end with CRLF'
first = rows[1][5]
assert ':' in first and '(' in first, first
)PY",
                                      {csv.string(), (dir.path / "ids.tsv").string()});
  EXPECT_EQ(problems, "");
}

TEST(Siem, TimesketchLinesAreTheTimelinesEventsInTimeOrder) {
  TempDir dir("timesketch");
  fs::create_directories(dir.path);
  // samples/permission-issue: an AD export, the device's event log, Entra Connect's run
  // history (dsregcmd-only bundles have no times to put on a timeline).
  const std::string bundle = source_path("samples/permission-issue");
  const fs::path jsonl = dir.path / "events.jsonl";
  Outcome r = run("timeline --quiet --timesketch " + quote(jsonl.string()) + " " + quote(bundle));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("hellotrace timeline"), std::string::npos) << "the story still prints";
  Outcome events = run("events --quiet " + quote(bundle));
  ASSERT_EQ(events.exit_code, 0) << events.err;
  std::ofstream(dir.path / "events.ndjson") << events.out;
  const std::string problems = python(R"PY(
import json, sys, datetime
lines = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
events = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
assert len(lines) >= 4, len(lines)
known = {}
for e in events:
    o = e['origin']
    known[(e['kind'], o['line'], o['record'])] = e['time']
previous = None
for l in lines:
    for k in ('message', 'datetime', 'timestamp_desc', 'timestamp'):
        assert l.get(k) not in (None, ''), (k, l)
    t = datetime.datetime.fromisoformat(l['datetime'])
    assert t.utcoffset() == datetime.timedelta(0), l['datetime']
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    assert (t - epoch) // datetime.timedelta(microseconds=1) == l['timestamp'], l
    assert previous is None or previous <= t, 'time order'
    previous = t
    key = (l['kind'], l.get('line'), l.get('record'))
    assert key in known, ('not an event of the inputs', key)
    assert known[key][:26] == l['datetime'][:26], (known[key], l['datetime'])
    assert l['users'] and all(u in l['message'] for u in l['users']), l
)PY",
                                      {jsonl.string(), (dir.path / "events.ndjson").string()});
  EXPECT_EQ(problems, "");
  // To stdout: the JSONL only, and --user keeps that person's events.
  Outcome one =
      run("timeline --quiet --timesketch - --user grace.taylor@contoso.com " + quote(bundle));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto lines = ndjson(one.out);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(one.out.find("hellotrace timeline"), std::string::npos) << "stdout carries the JSONL";
  EXPECT_NE(one.err.find("--timesketch: 1 event(s) without a time left out"), std::string::npos)
      << one.err;
  for (const auto& l : lines) EXPECT_EQ(l["users"], json::array({"grace.taylor@contoso.com"}));
}

TEST(Siem, RedactCoversEcsCsvAndTimesketch) {
  TempDir dir("redact");
  fs::create_directories(dir.path);
  const fs::path ecs = dir.path / "f.ecs", csv = dir.path / "f.csv", ts = dir.path / "t.jsonl";
  Outcome a = run("analyze --quiet --redact --ecs " + quote(ecs.string()) + " --csv " +
                  quote(csv.string()) + " " + quote(source_path("samples/prereq-several-users")));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  Outcome t = run("timeline --quiet --redact --timesketch " + quote(ts.string()) + " " +
                  quote(source_path("samples/permission-issue")));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  struct Case {
    fs::path file;
    std::vector<std::string> names;
  };
  for (const Case& c :
       {Case{ecs,
             {"olivia", "carter", "contoso", "pc-0366", "vm-0377", "3623811015",
              "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f60366"}},
        Case{csv, {"olivia", "carter", "contoso", "pc-0366", "vm-0377", "3623811015"}},
        Case{ts,
             {"grace", "taylor", "gtaylor", "contoso", "pc-0844", "3623811015",
              "4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e0844"}}}) {
    std::string text = slurp(c.file);
    for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    ASSERT_GT(text.size(), 100u) << c.file;
    for (const std::string& name : c.names)
      EXPECT_EQ(text.find(name), std::string::npos) << c.file.filename() << " names " << name;
    EXPECT_NE(text.find("redacted"), std::string::npos) << c.file.filename();
  }
}

TEST(Siem, TheNewOutputsFollowTheOutputRules) {
  TempDir dir("outputs");
  copy_inputs("samples/pending-sync", dir.path / "in");
  const fs::path input = dir.path / "in" / "get-adsyncscheduler.txt";
  const std::string original = slurp(input);
  for (const char* option : {"--ecs", "--csv"}) {
    Outcome r = run("analyze " + quote((dir.path / "in").string()) + " " + option + " " +
                    quote(input.string()));
    EXPECT_EQ(r.exit_code, 2) << option;
    EXPECT_NE(r.err.find(std::string(option) + " " + input.string() + ": refused"),
              std::string::npos)
        << r.err;
  }
  Outcome t = run("timeline " + quote((dir.path / "in").string()) + " --timesketch " +
                  quote(input.string()));
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_NE(t.err.find("--timesketch " + input.string() + ": refused"), std::string::npos) << t.err;
  EXPECT_EQ(slurp(input), original);
  // Two outputs on standard output would mix: refused.
  Outcome both = run("analyze " + quote((dir.path / "in").string()) + " --json - --ecs -");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("--ecs -: refused: --json writes to standard output already"),
            std::string::npos)
      << both.err;
  // An earlier output of the same kind is replaced; the option names its role.
  const fs::path ecs = dir.path / "f.ecs";
  for (int i = 0; i < 2; ++i) {
    Outcome r = run("analyze --quiet " + quote((dir.path / "in").string()) + " --ecs " +
                    quote(ecs.string()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(ndjson(slurp(ecs)).size(), 1u);
  Outcome help = run("analyze --help");
  EXPECT_NE(help.out.find("--ecs FILE|-"), std::string::npos);
  EXPECT_NE(help.out.find("--csv FILE|-"), std::string::npos);
  EXPECT_NE(run("timeline --help").out.find("--timesketch FILE|-"), std::string::npos);
}
