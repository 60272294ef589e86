// End-to-end: the command's contract (docs/CLI.md) — output streams, exit codes,
// NDJSON that validates against the shipped schemas.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "cli_run.hpp"
#include "swtpm.hpp"

namespace fs = std::filesystem;

namespace {

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

// How to run hellotrace in a child process (beyond what popen() offers).
struct ChildOptions {
  bool as_nobody = false;    // drop to uid/gid 65534 first (root reads every folder)
  rlim_t max_file_size = 0;  // RLIMIT_FSIZE: a full disk without mounting one
  std::string stdout_to;     // e.g. /dev/full; default: captured
};

// Starts hellotrace with `args` (no shell); stdout and stderr go to the given files.
pid_t spawn(const std::vector<std::string>& args, const ChildOptions& options, const fs::path& out,
            const fs::path& err) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const std::string out_path = options.stdout_to.empty() ? out.string() : options.stdout_to;
  const int o = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (o < 0 || e < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0) ::_exit(120);
  if (options.max_file_size) {
    const rlimit limit{options.max_file_size, options.max_file_size};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(121);
  }
  if (options.as_nobody && ::geteuid() == 0 &&
      (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
    ::_exit(122);
  std::vector<char*> argv{const_cast<char*>(HELLOTRACE_EXE)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(HELLOTRACE_EXE, argv.data());
  ::_exit(123);
}

Outcome run_child(const std::vector<std::string>& args, const ChildOptions& options = {}) {
  static int counter = 0;
  const fs::path base =
      fs::temp_directory_path() /
      ("hellotrace-child-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  const fs::path out = base.string() + ".out", err = base.string() + ".err";
  const pid_t pid = spawn(args, options, out, err);
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

// Every "*.tmp-*" file under a folder: temporaries that outlived their run.
std::vector<std::string> leftover_temporaries(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".tmp-") != std::string::npos)
      found.push_back(e.path().string());
  return found;
}

void copy_sample(const std::string& rel, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(source_path(rel)))
    if (e.path().extension() == ".xml" || e.path().extension() == ".txt")
      fs::copy_file(e.path(), to / e.path().filename());
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
  std::ofstream(dir / "README.md") << "LINES\nnotes that would parse\n";
  std::ofstream(dir / "expected.json") << "LINES\n{}\n";
  Outcome r = run("events " + kTestPlugins + " " + quote(dir.string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto events = ndjson(r.out);
  ASSERT_EQ(events.size(), 2u);  // the notes are not read
  EXPECT_NE(r.err.find("skipped 2 file(s) that are notes, not inputs: README.md, expected.json"),
            std::string::npos)
      << r.err;
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

// One catalog (issue 19): `rules --json` lists every id of docs/BLOCKERS.md, those a
// plugin computes included (declared with "by"); a computed id names its plugin.
TEST(Cli, RulesJsonListsEveryDocumentedId) {
  Outcome list = run("rules --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const auto catalog = nlohmann::json::parse(list.out);
  std::map<std::string, std::string> listed;  // id → by
  for (const auto& r : catalog) listed[r.at("id")] = r.value("by", "");
  std::ifstream in(source_path("docs/BLOCKERS.md"));
  ASSERT_TRUE(in);
  size_t documented = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    const std::string id = line.substr(3, line.find('`', 3) - 3);
    ++documented;
    EXPECT_TRUE(listed.count(id)) << id << " is documented but not in `hellotrace rules --json`";
  }
  EXPECT_GE(documented, 40u);
  EXPECT_EQ(listed["sync.pending"], "keysync");
  EXPECT_EQ(listed["tpm.absent"], "tpm");
  EXPECT_EQ(listed["prereq.no_prt"], "");  // matched by the rule itself
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
  // decides the severity, the prerequisite check, and the key registrations and device
  // details that say whether a key is in software; the policy analyzer its own events.
  EXPECT_EQ(consumes("tpm"), (std::set<std::string>{"tpm.info", "policy.setting", "prereq.check",
                                                    "ngc.key_registered", "device.details"}));
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

// ---------------------------------------------------------------- safety (docs/CLI.md)
// Hostile and broken environments: unreadable inputs, outputs that must not be written,
// lost writes, loose values. Issue 17.

TEST(CliSafety, AnUnreadableInputFolderIsAnErrorNeverAnAllClear) {
  // Root reads every folder whatever its mode: the run drops to "nobody" to be denied.
  TempDir dir("unreadable");
  copy_sample("samples/pending-sync", dir.path / "bundle" / "locked");
  copy_sample("samples/prereq-no-prt", dir.path / "bundle");
  fs::permissions(dir.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(dir.path / "bundle" / "locked", fs::perms::owner_all);  // 0700, root's
  const ChildOptions nobody{.as_nobody = true};
  const std::string locked = (dir.path / "bundle" / "locked").string();

  // As the only input: no "0 finding(s)", an error naming the folder, exit 2.
  Outcome only = run_child({"analyze", "--quiet", locked}, nobody);
  EXPECT_EQ(only.exit_code, 2) << only.err;
  EXPECT_NE(only.err.find(locked + ": cannot read folder (Permission denied)"), std::string::npos)
      << only.err;
  EXPECT_NE(only.err.find("nothing to analyze"), std::string::npos) << only.err;
  EXPECT_EQ(only.out.find("finding(s)"), std::string::npos) << only.out;

  // Deeper down: named, the readable rest is analyzed, and the run still exits 2.
  Outcome nested = run_child({"analyze", "--quiet", (dir.path / "bundle").string()}, nobody);
  EXPECT_EQ(nested.exit_code, 2) << nested.err;
  EXPECT_NE(nested.err.find(locked + ": cannot read folder"), std::string::npos) << nested.err;
  EXPECT_NE(nested.out.find("prereq.no_prt"), std::string::npos) << nested.out;
  EXPECT_EQ(nested.out.find("sync.pending"), std::string::npos) << "the locked folder was read";
}

TEST(CliSafety, LinksToNothingFifosAndLinkLoopsInAFolderAreNamed) {
  // Paths that even root cannot read as a file.
  TempDir dir("odd-entries");
  copy_sample("samples/prereq-no-prt", dir.path);
  fs::create_symlink(dir.path / "gone.txt", dir.path / "dangling.txt");
  ASSERT_EQ(::mkfifo((dir.path / "pipe.txt").c_str(), 0644), 0);
  fs::create_directory_symlink(dir.path, dir.path / "loop");
  Outcome r = run_child({"analyze", "--quiet", dir.path.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find((dir.path / "dangling.txt").string() + ": symbolic link to nothing"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find((dir.path / "pipe.txt").string() + ": a FIFO"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((dir.path / "loop").string() + ": symbolic link loop"), std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("prereq.no_prt"), std::string::npos) << "the readable file is analyzed";

  // An empty folder is nothing analyzed, not "0 finding(s)".
  TempDir empty("empty");
  fs::create_directories(empty.path);
  Outcome e = run_child({"analyze", empty.path.string()});
  EXPECT_EQ(e.exit_code, 2);
  EXPECT_NE(e.err.find("nothing to analyze: no input file found"), std::string::npos) << e.err;
  EXPECT_EQ(e.out, "");
}

TEST(CliSafety, AnEvtxWithADamagedHeaderIsRecoveredAndSaysSo) {
  const fs::path real = fs::path(HT_CORPUS_DIR) / "evtx" /
                        "omer__Microsoft-Windows-HelloForBusiness%4Operational.evtx";
  if (!fs::exists(real)) GTEST_SKIP() << "corpus file not found: " << real;
  TempDir dir("evtx-damaged");
  fs::create_directories(dir.path);
  std::string bytes = slurp(real);
  Outcome intact = run_child({"events", "--quiet", real.string()});
  ASSERT_EQ(intact.exit_code, 0) << intact.err;
  const size_t records = ndjson(intact.out).size();
  ASSERT_GT(records, 0u);

  // File header magic gone: still an event log (the chunk magic at 4096), every record read.
  std::string header = bytes;
  header.replace(0, 8, "XXXXXXXX");
  std::ofstream(dir.path / "header.evtx", std::ios::binary) << header;
  Outcome h = run_child({"events", (dir.path / "header.evtx").string()});
  EXPECT_EQ(h.exit_code, 0) << h.err;
  EXPECT_EQ(ndjson(h.out).size(), records);
  EXPECT_NE(h.err.find("header.evtx: offset 0x0: warning: file header: no ElfFile magic"),
            std::string::npos)
      << h.err;
  EXPECT_NE(h.err.find("recovering the chunks"), std::string::npos) << h.err;
  EXPECT_EQ(h.err.find("no parser recognised"), std::string::npos) << h.err;

  // Chunk magic gone, first record intact: a damaged chunk header, read and reported.
  std::string chunk = bytes;
  chunk.replace(4096, 8, "XXXXXXXX");
  std::ofstream(dir.path / "chunk.evtx", std::ios::binary) << chunk;
  Outcome c = run_child({"events", (dir.path / "chunk.evtx").string()});
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(ndjson(c.out).size(), records);
  EXPECT_NE(c.err.find("chunk 0: ElfChnk magic damaged"), std::string::npos) << c.err;

  // Nothing recoverable: an error, exit 2 — never a quiet "no event records".
  chunk.replace(4096 + 512, 4, "XXXX");
  std::ofstream(dir.path / "lost.evtx", std::ios::binary) << chunk;
  Outcome l = run_child({"analyze", "--quiet", (dir.path / "lost.evtx").string()});
  EXPECT_EQ(l.exit_code, 2) << l.err;
  EXPECT_NE(l.err.find("lost.evtx: error: no event record could be recovered"), std::string::npos)
      << l.err;
  EXPECT_EQ(l.out.find("0 finding(s)"), std::string::npos) << l.out;
}

TEST(CliSafety, OutputsAreNeverDevicesFifosFoldersOrLinks) {
  TempDir dir("refused-outputs");
  fs::create_directories(dir.path / "folder");
  const std::string input = source_path("samples/prereq-no-prt");
  // A device node of our own (root may make one): the old code renamed a database over
  // it, and a test that reproduced that on /dev/null would break the machine.
  fs::path device = dir.path / "null-device";
  if (::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) device = "/dev/null";
  ASSERT_EQ(::mkfifo((dir.path / "fifo").c_str(), 0644), 0);
  { std::ofstream(dir.path / "victim.txt") << "keep me\n"; }
  fs::create_symlink(dir.path / "victim.txt", dir.path / "link.html");

  struct Case {
    std::string option, target, why;
  };
  for (const Case& c : {Case{"--db", device.string(), "a device node"},
                        Case{"--json", device.string(), "a device node"},
                        Case{"--json", (dir.path / "fifo").string(), "a FIFO"},
                        Case{"--markdown", (dir.path / "folder").string(), "a folder"},
                        Case{"--html", (dir.path / "link.html").string(), "a symbolic link"}}) {
    // `timeout`: opening a FIFO for writing blocks forever in the old code.
    Outcome r =
        run("analyze " + quote(input) + " " + c.option + " " + quote(c.target), "timeout 60");
    EXPECT_EQ(r.exit_code, 2) << c.option << " " << c.target << ": " << r.err;
    EXPECT_NE(r.err.find(c.option + " " + c.target + ": refused: " + c.why), std::string::npos)
        << r.err;
    EXPECT_EQ(r.out, "") << "nothing is analyzed before the outputs are checked";
  }
  struct stat st {};
  ASSERT_EQ(::stat(device.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << device << " was replaced";
  EXPECT_EQ(slurp(dir.path / "victim.txt"), "keep me\n");
  EXPECT_TRUE(fs::is_fifo(dir.path / "fifo"));
  EXPECT_TRUE(leftover_temporaries(dir.path).empty());
  // Two outputs to one file.
  Outcome twice = run("analyze " + quote(input) + " --json " + quote((dir.path / "a").string()) +
                      " --markdown " + quote((dir.path / "a").string()));
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("--json writes the same file"), std::string::npos) << twice.err;
}

TEST(CliSafety, AnOutputNeverReplacesAnInput) {
  TempDir dir("output-is-input");
  copy_sample("samples/pending-sync", dir.path / "dir");
  const fs::path udr = dir.path / "dir" / "udr-admin-pc0517.xml";
  const std::string original = slurp(udr);
  // --json took the next word, an input's name: refused, the input intact.
  Outcome r = run("analyze --json " + quote(udr.string()) + " " +
                  quote((dir.path / "dir" / "get-adsyncscheduler.txt").string()));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--json " + udr.string() + ": refused: it holds input data (the udr parser"),
            std::string::npos)
      << r.err;
  // An input found inside a folder input, by another spelling and by a hard link.
  fs::create_directories(dir.path / "elsewhere");
  fs::create_hard_link(udr, dir.path / "elsewhere" / "hardlink.ndjson");
  for (const fs::path& target : {fs::path(dir.path / "dir" / "." / "udr-admin-pc0517.xml"),
                                 fs::path(dir.path / "elsewhere" / "hardlink.ndjson")}) {
    for (const char* option : {"--markdown", "--db"}) {
      Outcome o = run("analyze " + quote((dir.path / "dir").string()) + " " + option + " " +
                      quote(target.string()));
      EXPECT_EQ(o.exit_code, 2) << o.err;
      EXPECT_NE(o.err.find(target.string() + ": refused: it is also an input of this run"),
                std::string::npos)
          << o.err;
    }
  }
  EXPECT_EQ(slurp(udr), original);
  EXPECT_TRUE(leftover_temporaries(dir.path).empty());
}

TEST(CliSafety, PlanRemovesStaleFilesAndNeverWritesThroughALink) {
  TempDir dir("plan-safety");
  const fs::path out = dir.path / "out";
  auto files_in = [](const fs::path& folder) {
    std::set<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(folder))
      if (e.is_regular_file()) names.insert(fs::relative(e.path(), folder).generic_string());
    return names;
  };
  // A failed key registration: the plan includes an Intune pair (intune/…); a missing
  // PRT: no Intune pair.
  const std::string many = quote(source_path("tests/scenarios/key-registration-failed"));
  const std::string few = quote(source_path("samples/prereq-no-prt"));
  Outcome first = run("plan " + many + " --out " + quote(out.string()));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::set<std::string> before = files_in(out);
  Outcome second = run("plan " + few + " --out " + quote(out.string()));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  std::set<std::string> listed;
  std::istringstream lines(second.out);
  for (std::string line; std::getline(lines, line);)
    listed.insert(fs::relative(line, out).generic_string());
  listed.insert(".hellotrace-plan");
  EXPECT_EQ(files_in(out), listed) << "files of the first plan outlived it";
  EXPECT_GT(before.size(), listed.size()) << "the first plan should have more files";
  // A run that fails before its plan is complete removes nothing.
  const fs::path empty = dir.path / "empty-input";
  fs::create_directories(empty);
  Outcome failed = run("plan " + quote(empty.string()) + " --out " + quote(out.string()));
  EXPECT_EQ(failed.exit_code, 2);
  EXPECT_EQ(files_in(out), listed) << failed.err;

  // A folder holding anything else: refused unless --force, and the file is kept.
  const fs::path foreign = dir.path / "foreign";
  fs::create_directories(foreign);
  { std::ofstream(foreign / "notes.txt") << "mine\n"; }
  Outcome refused = run("plan " + few + " --out " + quote(foreign.string()));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("holds 'notes.txt', which no earlier plan wrote"), std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.out, "");
  Outcome forced = run("plan " + few + " --out " + quote(foreign.string()) + " --force");
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(slurp(foreign / "notes.txt"), "mine\n");

  // Links planted in the folder are never followed: neither a file nor a sub-folder.
  const fs::path planted = dir.path / "planted", victim = dir.path / "victim";
  fs::create_directories(planted / "file");
  fs::create_directories(planted / "folder");
  fs::create_directories(victim);
  { std::ofstream(victim / "target.ps1") << "original\n"; }
  fs::create_symlink(victim / "target.ps1", planted / "file" / "reenroll-plan.ps1");
  fs::create_directory_symlink(victim, planted / "folder" / "intune");
  for (const fs::path& link :
       {planted / "file" / "reenroll-plan.ps1", planted / "folder" / "intune"}) {
    Outcome linked =
        run("plan " + many + " --out " + quote(link.parent_path().string()) + " --force");
    EXPECT_EQ(linked.exit_code, 2) << linked.err;
    EXPECT_NE(linked.err.find(link.string() + ": refused: a symbolic link"), std::string::npos)
        << linked.err;
  }
  EXPECT_EQ(slurp(victim / "target.ps1"), "original\n");
  EXPECT_EQ(files_in(victim), (std::set<std::string>{"target.ps1"}));
  EXPECT_TRUE(leftover_temporaries(dir.path).empty());
}

TEST(CliSafety, TemporariesAreRemovedWhenTheRunIsInterrupted) {
  // A big input keeps the run busy after the database's temporary exists.
  TempDir dir("signals");
  fs::create_directories(dir.path);
  {
    std::ofstream big(dir.path / "big.txt");
    big << "LINES\n";
    for (int i = 0; i < 300'000; ++i) big << "line " << i << " of a long input\n";
  }
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    const fs::path db = dir.path / ("out-" + std::to_string(sig) + ".db");
    const fs::path json = dir.path / ("out-" + std::to_string(sig) + ".ndjson");
    const pid_t pid =
        spawn({"analyze", "--quiet", "--plugin-dir", TEST_PLUGIN_DIR,
               (dir.path / "big.txt").string(), "--db", db.string(), "--json", json.string()},
              {}, dir.path / "stdout", dir.path / "stderr");
    fs::path temp = db;
    temp += ".tmp-" + std::to_string(pid);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!fs::exists(temp) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(fs::exists(temp)) << "the database's temporary never appeared";
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "finished before the signal; make the input bigger";
    EXPECT_EQ(WTERMSIG(status), sig);
    EXPECT_FALSE(fs::exists(temp)) << strsignal(sig);
    EXPECT_FALSE(fs::exists(db));
    EXPECT_TRUE(leftover_temporaries(dir.path).empty()) << strsignal(sig);
  }
}

TEST(CliSafety, LostWritesToStandardOutputExitTwoWithAMessage) {
  const std::string input = source_path("samples/pending-sync");
  const ChildOptions full{.stdout_to = "/dev/full"};
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"analyze", "--quiet", input, "--json", "-"},
                                             {"analyze", "--quiet", input},
                                             {"events", "--quiet", input},
                                             {"timeline", "--quiet", input}}) {
    Outcome r = run_child(args, full);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args.back() << ": " << r.err;
    EXPECT_NE(r.err.find("cannot write to standard output: No space left on device"),
              std::string::npos)
        << args[0] << ": " << r.err;
  }
}

TEST(CliSafety, AFullDiskFailsThatOutputAndTheOthersAreStillWritten) {
  TempDir dir("full-disk");
  fs::create_directories(dir.path);
  const std::string input = source_path("samples/device-tpm-policy");
  // A normal run: what the outputs hold, and how big they are.
  Outcome normal = run_child({"analyze", "--quiet", input, "--json", "-"});
  ASSERT_EQ(normal.exit_code, 0) << normal.err;
  ASSERT_FALSE(normal.out.empty());
  const fs::path db = dir.path / "h.db", json = dir.path / "f.ndjson", md = dir.path / "r.md";
  Outcome sized =
      run_child({"analyze", "--quiet", input, "--db", db.string(), "--markdown", md.string()});
  ASSERT_EQ(sized.exit_code, 0) << sized.err;
  // The report says when it was generated; the rest must be the same.
  auto without_time = [](std::string text) {
    const size_t at = text.find("generated ");
    return at == std::string::npos ? text : text.erase(at, text.find(" · ", at) - at);
  };
  const std::string md_text = without_time(slurp(md));
  const auto db_size = fs::file_size(db), md_size = fs::file_size(md);
  ASSERT_GT(db_size, std::max<uintmax_t>(md_size, normal.out.size()) + 4096)
      << "the database must be the biggest output for this test";
  fs::remove(db);
  fs::remove(md);

  // The database hits the limit; the NDJSON and the Markdown are written in full.
  const rlim_t limit = std::max<uintmax_t>(md_size, normal.out.size()) + 2048;
  Outcome r = run_child({"analyze", "--quiet", input, "--db", db.string(), "--json", json.string(),
                         "--markdown", md.string()},
                        {.max_file_size = limit});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--db " + db.string() + ": "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the database is not written"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(db));
  EXPECT_EQ(slurp(json), normal.out);
  EXPECT_EQ(without_time(slurp(md)), md_text);
  EXPECT_TRUE(leftover_temporaries(dir.path).empty());

  // The NDJSON itself does not fit: a message, exit 2, and the earlier file untouched.
  { std::ofstream(json) << "earlier run\n"; }
  Outcome small = run_child({"analyze", "--quiet", input, "--json", json.string()},
                            {.max_file_size = normal.out.size() / 2});
  EXPECT_EQ(small.exit_code, 2) << small.err;
  EXPECT_NE(small.err.find("cannot write " + json.string() + " (--json): File too large"),
            std::string::npos)
      << small.err;
  EXPECT_EQ(slurp(json), "earlier run\n");
  EXPECT_TRUE(leftover_temporaries(dir.path).empty());
}

TEST(CliSafety, DeeplyNestedRulesAreAProblemNotACrash) {
  TempDir dir("deep-rules");
  fs::create_directories(dir.path);
  { std::ofstream(dir.path / "deep.json") << std::string(100000, '['); }
  Outcome v = run_child({"rules", "--validate", (dir.path / "deep.json").string()});
  EXPECT_EQ(v.exit_code, 2) << v.err;
  EXPECT_NE(v.out.find("deep.json:1: nested more than 64 levels deep"), std::string::npos) << v.out;
  Outcome a =
      run_child({"analyze", "--rules", dir.path.string(), source_path("samples/prereq-no-prt")});
  EXPECT_EQ(a.exit_code, 2) << a.err;
  EXPECT_NE(a.err.find("deep.json:1: nested more than 64 levels deep"), std::string::npos) << a.err;
}

TEST(CliSafety, LooseValuesAreUsageErrorsNamingTheValue) {
  const std::string input = source_path("samples/prereq-no-prt");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--threads", "-1"}, "--threads takes a number from 1 to 1024, not '-1'"},
           {{"--threads", "5x"}, "not '5x'"},
           {{"--threads", "99999999999"}, "not '99999999999'"},
           {{"--threads", "0"}, "not '0'"},
           {{"--now", ""}, "--now needs a value, not ''"},
           {{"--now", "2024-11-14T10:00:00+99:00"}, "not '2024-11-14T10:00:00+99:00'"},
           {{"--fail-on", ""}, "--fail-on needs a value, not ''"},
           {{"--db", ""}, "--db needs a value, not ''"},
           {{"--json", ""}, "--json needs a value, not ''"},
           {{"--plugin-dir", "/nonexistent"}, "--plugin-dir /nonexistent: no such folder"},
           {{"--timezone", "+23:59"}, "not '+23:59'"},
           {{"--timezone", "+99:99"}, "not '+99:99'"},
           {{"--timezone", "+2400"}, "not '+2400'"},
           {{"--timezone", "-14:30"}, "not '-14:30'"},
           {{"--timezone", ""}, "--timezone needs a value, not ''"}}) {
    std::vector<std::string> args = {"analyze", input};
    args.insert(args.end(), c.args.begin(), c.args.end());
    Outcome r = run_child(args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << " '" << c.args[1] << "': " << r.out;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  // The edges that are real.
  for (const auto& ok :
       std::vector<std::vector<std::string>>{{"--timezone", "+14:00"},
                                             {"--timezone", "-12:00"},
                                             {"--threads", "1"},
                                             {"--now", "2024-11-14T10:00:00-05:30"}}) {
    Outcome r = run_child({"analyze", "--quiet", input, ok[0], ok[1]});
    EXPECT_EQ(r.exit_code, 0) << ok[0] << " " << ok[1] << ": " << r.err;
  }
}
