// End-to-end: the command's contract (docs/CLI.md) — output streams, exit codes,
// NDJSON that validates against the shipped schemas.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "swtpm.hpp"

namespace fs = std::filesystem;

namespace {

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

Outcome run(const std::string& args) {
  static int counter = 0;
  const fs::path err = fs::temp_directory_path() / ("hellotrace-cli-" + std::to_string(::getpid()) +
                                                    "-" + std::to_string(++counter));
  const std::string cmd = quote(HELLOTRACE_EXE) + " " + args + " 2>" + quote(err.string());
  Outcome r;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = slurp(err);
  fs::remove(err);
  return r;
}

std::vector<nlohmann::json> ndjson(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

// Validates NDJSON against a schema with Debian's python3-jsonschema.
std::string schema_problems(const std::string& ndjson_text, const std::string& schema) {
  const fs::path data =
      fs::temp_directory_path() / ("hellotrace-ndjson-" + std::to_string(::getpid()));
  std::ofstream(data) << ndjson_text;
  const std::string cmd = "/usr/bin/python3 -c " +
                          quote(
                              "import json,sys,jsonschema\n"
                              "s=json.load(open(sys.argv[1]))\n"
                              "v=jsonschema.Draft202012Validator(s)\n"
                              "bad=0\n"
                              "for i,l in enumerate(open(sys.argv[2]),1):\n"
                              "  for e in v.iter_errors(json.loads(l)):\n"
                              "    bad+=1; print('line',i,':',e.message)\n"
                              "sys.exit(1 if bad else 0)\n") +
                          " " + quote(std::string(HT_SOURCE_DIR "/docs/schema/") + schema) + " " +
                          quote(data.string()) + " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  fs::remove(data);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0
             ? ""
             : (out.empty() ? "validator failed to run" : out);
}

const std::string kTestPlugins = std::string("--plugin-dir ") + TEST_PLUGIN_DIR;

std::string source_path(const std::string& rel) { return std::string(HT_SOURCE_DIR "/") + rel; }

// A fresh, empty folder under the temp dir, removed by the destructor.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path = fs::temp_directory_path() / ("hellotrace-cli-" + tag + "-" + std::to_string(::getpid()) +
                                        "-" + std::to_string(++counter));
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

// The rule ids of `analyze --json -` on the same input: what a plan must be about.
std::set<std::string> analyzed_rules(const std::string& args) {
  Outcome r = run("analyze --quiet --json - " + args);
  std::set<std::string> rules;
  for (const auto& f : ndjson(r.out)) rules.insert(f["rule"].get<std::string>());
  return rules;
}

// A real software TPM for the probe tests (a missing swtpm is a failure: scripts/bootstrap
// installs it).
std::unique_ptr<hellotrace::tpmv::testing::Swtpm> start_swtpm() {
  const std::string binary = hellotrace::tpmv::testing::find_swtpm();
  if (binary.empty()) {
    ADD_FAILURE() << "swtpm is not installed; run scripts/bootstrap";
    return nullptr;
  }
  return std::make_unique<hellotrace::tpmv::testing::Swtpm>(binary);
}

const std::string kHealthyBundle = "tests/scenarios/healthy-device-bundle";
const std::string kHealthyNow = "2024-11-18T09:40:00Z";

}  // namespace

TEST(Cli, VersionAndHelpExitZeroOnEveryCommand) {
  for (const char* cmd : {"", "analyze ", "events ", "plugins ", "rules "}) {
    Outcome v = run(std::string(cmd) + "--version");
    EXPECT_EQ(v.exit_code, 0) << cmd;
    EXPECT_NE(v.out.find("hellotrace 0."), std::string::npos) << cmd;
    Outcome h = run(std::string(cmd) + "--help");
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_NE(h.out.find("Usage"), std::string::npos) << cmd;
  }
}

TEST(Cli, UsageErrorsExitTwoWithAMessage) {
  Outcome r = run("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos);
  r = run("analyze --bogus x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown option --bogus"), std::string::npos);
  r = run("analyze");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no input"), std::string::npos);
  r = run("analyze /nonexistent/file.txt");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/file.txt: no such file or folder"), std::string::npos);
  r = run("analyze --now yesterday x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--now takes an ISO 8601 time"), std::string::npos);
  r = run("analyze --timezone Mars x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  // An option the command would ignore is refused, not silently dropped.
  r = run("timeline --html report.html x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--html does not apply to 'timeline'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists("report.html"));
  r = run("rules --threads 2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--threads does not apply to 'rules'"), std::string::npos) << r.err;
}

TEST(Cli, PluginsListsLoadedOnesAndNamesRefusedFiles) {
  Outcome r = run("plugins " + kTestPlugins);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("lines"), std::string::npos);
  EXPECT_NE(r.err.find("future.so: incompatible plugin API version"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not-a-plugin.so: not a hellotrace plugin"), std::string::npos) << r.err;
  Outcome j = run("plugins --json " + kTestPlugins);
  const auto list = nlohmann::json::parse(j.out);
  bool found = false;
  for (const auto& p : list)
    if (p["name"] == "lines") {
      found = true;
      EXPECT_EQ(p["kind"], "parser");
      EXPECT_EQ(p["version"], "1.2.3");
    }
  EXPECT_TRUE(found);
}

TEST(Cli, EventsPrintsSchemaValidNdjsonAndListsSkippedFiles) {
  const fs::path dir =
      fs::temp_directory_path() / ("hellotrace-cli-events-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "a.txt") << "LINES\nhello \xFF world\n<script>\n";
  std::ofstream(dir / "b.bin") << "unknown";
  Outcome r = run("events " + kTestPlugins + " " + quote(dir.string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto events = ndjson(r.out);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["fields"]["text"], "hello \xEF\xBF\xBD world");
  EXPECT_EQ(events[1]["origin"]["line"], 3);
  EXPECT_EQ(events[1]["source"], "lines");
  EXPECT_NE(r.err.find("skipped " + (dir / "b.bin").string() + ": no parser recognised its format"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(schema_problems(r.out, "event.schema.json"), "");
  fs::remove_all(dir);
}

TEST(Cli, RulesValidateNamesFileAndLine) {
  const fs::path dir =
      fs::temp_directory_path() / ("hellotrace-cli-rules-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "mine.json")
      << "// my rules\n{\"rules\": [\n  {\"id\": \"custom.x\", \"title\": \"t\",\n   \"severity\": "
         "\"urgent\", \"remediation\": \"r\", \"match\": {\"kind\": \"k\"}}\n]}\n";
  Outcome r = run("rules --validate " + quote(dir.string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("mine.json:3: rule custom.x: severity \"urgent\""), std::string::npos)
      << r.out;
  Outcome ok = run(std::string("rules --validate ") + HT_SOURCE_DIR "/rules");
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  Outcome list = run("rules");
  EXPECT_NE(list.out.find("prereq.no_prt"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Cli, PlanWritesTheScriptTheMarkdownAndTheManifestForTheFindings) {
  const std::string input =
      quote(source_path("samples/device-tpm-policy")) + " --now 2024-11-19T10:00:00Z";
  const std::set<std::string> rules = analyzed_rules(input);
  ASSERT_GE(rules.size(), 3u) << "the sample lost its findings";
  TempDir out("plan");
  Outcome r = run("plan " + input + " --out " + quote(out.path.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // stdout lists the files written, one path a line (the data); messages go to stderr.
  std::set<std::string> listed;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) listed.insert(line);
  for (const char* name : {"reenroll-plan.ps1", "reenroll-plan.md", "plan.json"})
    EXPECT_TRUE(listed.count((out.path / name).string())) << name << " not listed: " << r.out;
  EXPECT_NE(r.err.find("written to " + out.path.string()), std::string::npos) << r.err;

  const std::string ps1 = slurp(out.path / "reenroll-plan.ps1");
  const std::string md = slurp(out.path / "reenroll-plan.md");
  const std::string manifest = slurp(out.path / "plan.json");
  ASSERT_FALSE(ps1.empty());
  ASSERT_FALSE(md.empty());
  ASSERT_FALSE(manifest.empty());
  // Windows PowerShell 5.1 reads a BOM-less script as ANSI.
  EXPECT_EQ(ps1.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_NE(ps1.find("SupportsShouldProcess"), std::string::npos);

  const auto plan = nlohmann::json::parse(manifest);
  std::set<std::string> planned;
  for (const auto& step : plan["steps"])
    for (const auto& rule : step["rules"]) planned.insert(rule.get<std::string>());
  EXPECT_EQ(planned, rules) << "every finding gets a step, and no step is about anything else";
  for (const auto& rule : rules) {
    EXPECT_NE(ps1.find(rule), std::string::npos) << rule << " not in reenroll-plan.ps1";
    // The Markdown escapes punctuation: tpm.absent is written tpm\.absent outside code spans.
    EXPECT_TRUE(md.find(rule) != std::string::npos ||
                md.find(std::string(rule).replace(rule.find('.'), 1, "\\.")) != std::string::npos)
        << rule << " not in reenroll-plan.md";
  }
}

TEST(Cli, PlanWithoutOutIsAUsageError) {
  TempDir cwd("plan-no-out");
  fs::create_directories(cwd.path);
  Outcome r = run("plan " + quote(source_path("tests/scenarios/tpm-roca-firmware")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("plan needs --out DIR"), std::string::npos) << r.err;
  r = run("plan --out " + quote((cwd.path / "plan").string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no input"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(cwd.path / "plan" / "plan.json"));
}

TEST(Cli, PluginsJsonListsTheTpmPolicyProbeAndActionPlugins) {
  Outcome r = run("plugins --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto list = nlohmann::json::parse(r.out);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& p : list) by_name[p["name"].get<std::string>()] = p;
  auto kinds = [&](const std::string& name) {
    std::set<std::string> out;
    std::stringstream ss(by_name[name]["kind"].get<std::string>());
    for (std::string k; std::getline(ss, k, ',');) out.insert(k);
    return out;
  };
  auto consumes = [&](const std::string& name) {
    return by_name[name]["consumes"].get<std::set<std::string>>();
  };
  for (const char* name : {"tpm", "policy", "tpm-verifier", "reenroll"})
    ASSERT_TRUE(by_name.count(name)) << name << " not listed: " << r.out;

  EXPECT_EQ(kinds("tpm"), (std::set<std::string>{"parser", "analyzer"}));
  EXPECT_EQ(kinds("policy"), (std::set<std::string>{"parser", "analyzer"}));
  EXPECT_EQ(kinds("tpm-verifier"), (std::set<std::string>{"probe"}));
  EXPECT_EQ(kinds("reenroll"), (std::set<std::string>{"action"}));
  // Analyzers say what they read: TPM facts (exports, 5555, the probe), the policy that
  // decides the severity and the prerequisite check; the policy analyzer its own events.
  EXPECT_EQ(consumes("tpm"), (std::set<std::string>{"tpm.info", "policy.setting", "prereq.check"}));
  EXPECT_EQ(consumes("policy"), (std::set<std::string>{"policy.*", "prereq.check"}));
  EXPECT_TRUE(consumes("tpm-verifier").empty());
  EXPECT_TRUE(consumes("reenroll").empty());
  EXPECT_TRUE(by_name["tpm"]["formats"].get<std::set<std::string>>().count("get-tpm"));
  EXPECT_TRUE(by_name["policy"]["formats"].get<std::set<std::string>>().count("reg"));
}

TEST(Cli, ProbeTpmVerifierReadsASoftwareTpm) {
  auto tpm = start_swtpm();
  ASSERT_TRUE(tpm);
  Outcome r = run("probe tpm-verifier --option " + quote("tcti=" + tpm->tcti()) +
                  " --option device=PC-1511");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto events = ndjson(r.out);
  ASSERT_EQ(events.size(), 2u) << r.out;
  const nlohmann::json *info = nullptr, *attestation = nullptr;
  for (const auto& e : events) {
    if (e["kind"] == "tpm.info") info = &e;
    if (e["kind"] == "tpm.attestation") attestation = &e;
  }
  ASSERT_TRUE(info && attestation) << r.out;
  EXPECT_EQ((*info)["source"], "tpm-verifier");
  EXPECT_EQ((*info)["device"]["name"], "PC-1511");
  EXPECT_EQ((*info)["fields"]["ManufacturerIdTxt"], "IBM");  // swtpm's manufacturer
  EXPECT_EQ((*info)["fields"]["TpmPresent"], "True");
  EXPECT_EQ((*info)["fields"]["TpmVersion"], "2.0");
  EXPECT_EQ((*info)["fields"]["Tcti"], tpm->tcti());
  EXPECT_EQ((*attestation)["fields"]["Verified"], "True") << (*attestation)["fields"].dump();
  EXPECT_EQ((*attestation)["fields"]["Reason"], "verified");
  EXPECT_EQ(schema_problems(r.out, "event.schema.json"), "");
}

TEST(Cli, AnalyzeWithAHealthyProbedTpmReportsNoTpmFinding) {
  auto tpm = start_swtpm();
  ASSERT_TRUE(tpm);
  // device=PC-1511: the probe's facts join the device of the bundle (not this host's name).
  const std::string args = quote(source_path(kHealthyBundle)) + " --now " + kHealthyNow +
                           " --probe tpm-verifier --option " + quote("tcti=" + tpm->tcti()) +
                           " --option device=PC-1511";
  Outcome r = run("analyze --json - " + args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& f : ndjson(r.out))
    EXPECT_NE(f["rule"].get<std::string>().rfind("tpm.", 0), 0u) << f.dump();
  EXPECT_EQ(schema_problems(r.out, "finding.schema.json"), "");
  // The probe was read and tied to Nina's device: its events are in her story.
  Outcome t = run("timeline " + args);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const size_t nina = t.out.find("== nina.alvarez@contoso.com");
  ASSERT_NE(nina, std::string::npos) << t.out;
  const size_t attested = t.out.find("tpm.attestation", nina);
  ASSERT_NE(attested, std::string::npos) << t.out;
  EXPECT_NE(t.out.find("tpm-verifier", attested), std::string::npos) << t.out;
}

TEST(Cli, TheTimelineTakesThePolicyPhaseFromTheEffectivePolicy) {
  // Event 300 of Alex on PC-0201 (the 358 that would say "policy enabled" left out) and
  // the computer's gpresult /x: no event covers the policy phase, the policy analyzer's
  // reading of the RSoP does, naming the GPO.
  TempDir dir("policy-phase");
  fs::create_directories(dir.path);
  const std::string udr =
      slurp(source_path("tests/scenarios/healthy-key-in-ad/udr-admin-pc0201.xml"));
  const size_t first = udr.find("<Event xmlns");
  const size_t second = udr.find("<Event xmlns", first + 1);
  ASSERT_NE(second, std::string::npos);
  { std::ofstream(dir.path / "udr-admin.xml") << udr.substr(0, first) << udr.substr(second); }
  std::string rsop = slurp(source_path("plugins/policy/samples/gpresult-healthy.xml"));
  for (size_t at;
       (at = rsop.find(std::string("W\0S\0-\0\x30\0\x31\0\x34\0\x32\0", 14))) != std::string::npos;)
    rsop.replace(at, 14, std::string("P\0C\0-\0\x30\0\x32\0\x30\0\x31\0", 14));  // UTF-16LE
  { std::ofstream(dir.path / "gpresult.xml") << rsop; }
  Outcome t = run("timeline " + quote(dir.path.string()));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const size_t policy = t.out.find("WHfB policy applied");
  ASSERT_NE(policy, std::string::npos) << t.out;
  const std::string line = t.out.substr(policy, t.out.find('\n', policy) - policy);
  EXPECT_NE(t.out.rfind("[done", policy), std::string::npos);
  EXPECT_GT(t.out.rfind("[done", policy), t.out.rfind('\n', policy)) << t.out;  // this line
  EXPECT_NE(line.find("GPO 'WHfB - Hybrid Key Trust'"), std::string::npos) << line;
  EXPECT_NE(line.find("gpresult.xml:"), std::string::npos) << line;
}

TEST(Cli, TimelineRedactReplacesNamesAsAnalyzeDoes) {
  const std::string dir = quote(source_path("tests/scenarios/policy-gpresult-user-disabled"));
  Outcome plain = run("timeline " + dir);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.out.find("kiosk01@contoso.com"), std::string::npos);
  Outcome t = run("timeline --redact " + dir);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(t.out.find("kiosk01"), std::string::npos) << t.out;
  EXPECT_EQ(t.out.find("7a0e9c21-4b6d-4e2f-8a13-c5d7e9f10777"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("== user-1@redacted.invalid"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("PolicyEnabled = NO"), std::string::npos);  // the story stays
}

TEST(Cli, ProbeWithNoTpmListeningExitsTwoNamingTheTcti) {
  const std::string tcti =
      "swtpm:host=127.0.0.1,port=" + std::to_string(hellotrace::tpmv::testing::closed_port());
  Outcome r = run("probe tpm-verifier --option " + quote("tcti=" + tcti));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("probe tpm-verifier"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"" + tcti + "\""), std::string::npos) << r.err;
}
