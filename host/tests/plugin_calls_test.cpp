// Probe, analyzer and action plugins called by the host, in-process: what they are
// given, what the host accepts from them, and the ABI 1.0 → 1.1 compatibility.
#include "runtime/plugin_calls.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>
#include <fstream>
#include <hellotrace/plugin_sdk.hpp>
#include <hellotrace/time.hpp>
#include <sstream>

#include "engine/timeline.hpp"
#include "test_util.hpp"

using namespace hellotrace;
using namespace hellotrace::host;
using json = nlohmann::json;

namespace {

// An analyzer that reports one finding per "test.fact" event it is given, as the
// event's "Emit" field asks: "good", "bad-id", "bad-file", "bad-severity", or a phase
// statement about the event's device: "phase:<phase>:<state>".
// It records its last input so tests can look at what the host sent.
json last_input;

class EchoAnalyzer : public sdk::Plugin {
 public:
  explicit EchoAnalyzer(const json&) {}
  void analyze(const json& run, sdk::OutputSink& out) const override {
    last_input = run;
    for (const json& e : run["events"]) {
      const std::string how = e["fields"].value("Emit", "good");
      if (how.rfind("phase:", 0) == 0) {
        const size_t colon = how.find(':', 6);
        out.finding({{"phase", how.substr(6, colon - 6)},
                     {"state", how.substr(colon + 1)},
                     {"note", "the test analyzer says so"},
                     {"device", {{"name", e["subject"]["device_name"]}, {"id", nullptr}}},
                     {"evidence", {{{"file", e["file"]}, {"line", e["line"]}}}}});
        continue;
      }
      json f = {{"rule", how == "bad-id" ? "NoDot" : "test.fired"},
                {"severity", how == "bad-severity" ? "urgent" : "medium"},
                {"title", "Test finding"},
                {"summary", "fired"},
                {"device", {{"name", e["subject"]["device_name"]}, {"id", nullptr}}},
                {"evidence",
                 {{{"file", how == "bad-file" ? "/etc/passwd" : e["file"]},
                   {"line", e["line"]},
                   {"offset", nullptr},
                   {"record", nullptr},
                   {"time", e["time"]},
                   {"source", e["source"]},
                   {"kind", e["kind"]},
                   {"event_id", nullptr},
                   {"excerpt", "Emit=" + how}}}},
                {"remediation", "none"},
                {"details", {{"device_index", e["device"]}}}};
      out.finding(f);
    }
  }
};
HT_DEFINE_PLUGIN(test_echo_analyzer, EchoAnalyzer,
                 ({"echo-analyzer", "1.0.0", "test analyzer", HT_CAP_ANALYZE, {}, {}, {"test.*"}}))

class CountingProbe : public sdk::Plugin {
 public:
  explicit CountingProbe(const json&) {}
  void probe(const json& options, sdk::EventSink& out) const override {
    const int n = options.value("count", 2);
    for (int i = 0; i < n; ++i) {
      Event e;
      e.kind = "test.fact";
      e.subject.device_name = options.value("device", "probe-host");
      e.add("Index", std::to_string(i));
      out.emit(e);
    }
    if (options.contains("fail")) throw std::runtime_error("no such TPM");
  }
};
HT_DEFINE_PLUGIN(test_counting_probe, CountingProbe,
                 ({"counting-probe", "1.0.0", "test probe", HT_CAP_PROBE, {}, {"test.fact"}}))

class FileAction : public sdk::Plugin {
 public:
  explicit FileAction(const json&) {}
  void act(const json& input, sdk::OutputSink& out) const override {
    for (const json& a : input["options"]["artifacts"])
      out.artifact(a[0].get<std::string>(), a[1].get<std::string>());
  }
};
HT_DEFINE_PLUGIN(test_file_action, FileAction,
                 ({"file-action", "1.0.0", "test action", HT_CAP_ACT, {}, {}}))

Event fact(const std::string& file, const std::string& device, const std::string& emit = "good") {
  Event e;
  e.kind = "test.fact";
  e.source = "test";
  e.file = file;
  e.origin.line = 1;
  e.subject.device_name = device;
  e.add("Emit", emit);
  return e;
}

Event device_state(const std::string& file, const std::string& device,
                   const std::string& upn = "") {
  Event e;
  e.kind = "device.state";
  e.source = "dsregcmd";
  e.file = file;
  e.origin.line = 3;
  e.subject.device_name = device;
  e.subject.user_upn = upn;
  e.add("AzureAdJoined", "YES");
  return e;
}

struct AnalyzerRun {
  Report report;
  std::vector<std::string> problems;
};

AnalyzerRun analyze(const std::vector<Event>& events) {
  Registry registry;
  EXPECT_TRUE(registry.add_table(ht_plugin_test_echo_analyzer()));
  Analyzers analyzers(registry);
  AnalysisOptions ao;
  ao.keep_kinds = analyzers.kinds();
  ao.analyze = [&](const nlohmann::ordered_json& run) { return analyzers.run(run); };
  RuleSet no_rules;  // no rules, only the phase signals (rules/phases.json)
  no_rules.load(HT_SOURCE_DIR "/rules/phases.json");
  Analysis analysis(no_rules, ao);
  for (const Event& e : events) {
    analyzers.saw_file(e.file);
    analysis.observe(e);
  }
  AnalyzerRun r{analysis.finish(), analyzers.problems()};
  return r;
}

}  // namespace

TEST(AnalyzerPlugins, GetTheEventsTheyConsumeAndTheirFindingsJoinTheReport) {
  const AnalyzerRun r = analyze(
      {device_state("pc1/dsregcmd.txt", "PC1", "ann@contoso.com"), fact("pc1/tpm.txt", "PC1")});
  ASSERT_EQ(last_input["schema"], "hellotrace.analysis/1");
  ASSERT_EQ(last_input["events"].size(), 1u);  // device.state is not a test.* kind
  const json& e = last_input["events"][0];
  EXPECT_EQ(e["fields"]["Emit"], "good");
  EXPECT_EQ(e["line"], 1);
  EXPECT_TRUE(e["record"].is_null());
  const json& device = last_input["identities"][e["device"].get<int>()];
  EXPECT_EQ(device["type"], "device");
  EXPECT_EQ(device["device_name"], "PC1");  // as written; matched case-insensitively
  ASSERT_EQ(last_input["users"].size(), 1u);
  EXPECT_EQ(last_input["users"][0]["phases"].size(), kPhaseCount);

  ASSERT_EQ(r.report.findings.size(), 1u);
  const Finding& f = r.report.findings[0];
  EXPECT_EQ(f.rule, "test.fired");
  EXPECT_EQ(f.category, "test");  // defaulted from the id's family
  EXPECT_EQ(f.evidence.at(0).file, "pc1/tpm.txt");
  EXPECT_EQ(f.evidence.at(0).position.line, 1u);
  EXPECT_TRUE(r.problems.empty());
  // The finding is about PC1, so it shows in the story of the user seen on PC1.
  ASSERT_EQ(r.report.users.size(), 1u);
  EXPECT_EQ(r.report.users[0].findings.size(), 0u);  // a device finding, not the user's
}

TEST(AnalyzerPlugins, TheirInputFollowsTheDocumentedSchema) {
  Event timed = fact("pc1/tpm.txt", "PC1");
  timed.time = *time::parse_iso("2024-11-14T13:41:22.5Z");
  timed.add("Emit", "repeated name");
  analyze(
      {device_state("pc1/dsregcmd.txt", "PC1", "ann@contoso.com"), timed, fact("other/x.txt", "")});
  ASSERT_EQ(last_input["events"][0]["fields"]["Emit#2"], "repeated name");
  TempDir dir;
  const auto input = dir.write("input.json", last_input.dump());
  const std::string command =
      "/usr/bin/python3 -c 'import json,sys,jsonschema\n"
      "jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate("
      "json.load(open(sys.argv[2])))' " HT_SOURCE_DIR "/docs/schema/analysis-input.schema.json " +
      input.string() + " 2>&1";
  FILE* p = ::popen(command.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, p)) output.append(buffer, n);
  EXPECT_EQ(::pclose(p), 0) << output;
}

TEST(AnalyzerPlugins, FindingsThatBreakTheContractAreRefusedWithTheReason) {
  const AnalyzerRun r =
      analyze({fact("a/x.txt", "PC1", "bad-id"), fact("a/x.txt", "PC1", "bad-file"),
               fact("a/x.txt", "PC1", "bad-severity"), fact("a/x.txt", "PC1", "good")});
  ASSERT_EQ(r.report.findings.size(), 1u);
  ASSERT_EQ(r.problems.size(), 3u);
  EXPECT_NE(r.problems[0].find("analyzer echo-analyzer: finding refused: rule id 'NoDot'"),
            std::string::npos)
      << r.problems[0];
  EXPECT_NE(r.problems[1].find("'/etc/passwd', which this run did not read"), std::string::npos)
      << r.problems[1];
  EXPECT_NE(r.problems[2].find("severity 'urgent'"), std::string::npos) << r.problems[2];
}

TEST(AnalyzerPlugins, PhaseStatementsFillOnlyWhatNoEventCovered) {
  const AnalyzerRun r = analyze({device_state("pc1/dsregcmd.txt", "PC1", "ann@contoso.com"),
                                 fact("pc1/policy.reg", "PC1", "phase:policy:done"),
                                 fact("pc1/policy.reg", "PC1", "phase:device_joined:failed"),
                                 fact("pc1/policy.reg", "PC1", "phase:nonsense:done"),
                                 fact("pc1/policy.reg", "PC1", "phase:prt:unknown")});
  ASSERT_TRUE(last_input["accepts"].is_array());
  EXPECT_NE(std::find(last_input["accepts"].begin(), last_input["accepts"].end(), "phase"),
            last_input["accepts"].end());
  ASSERT_EQ(r.report.users.size(), 1u);
  const auto& phases = r.report.users[0].phases;
  // No event covered the policy phase: the analyzer's statement fills it, with its evidence.
  const PhaseStatus& policy = phases[static_cast<size_t>(Phase::kPolicy)];
  EXPECT_EQ(policy.state, PhaseState::kDone);
  EXPECT_EQ(policy.note, "the test analyzer says so");
  ASSERT_TRUE(policy.evidence.has_value());
  EXPECT_EQ(policy.evidence->file, "pc1/policy.reg");
  EXPECT_EQ(policy.evidence->source, "echo-analyzer");
  // dsregcmd's AzureAdJoined = YES covered the join: the statement does not override it.
  EXPECT_EQ(phases[static_cast<size_t>(Phase::kDeviceJoined)].state, PhaseState::kDone);
  EXPECT_EQ(phases[static_cast<size_t>(Phase::kPrt)].state, PhaseState::kUnknown);
  EXPECT_TRUE(r.report.findings.empty());  // statements are not findings
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(r.problems[0].find("phase statement refused: phase 'nonsense'"), std::string::npos)
      << r.problems[0];
  EXPECT_NE(r.problems[1].find("state 'unknown' is not done, failed or pending"), std::string::npos)
      << r.problems[1];
}

TEST(AnalyzerPlugins, ASubjectlessExportBelongsToTheOnlyDeviceOfItsFolder) {
  Event tpm = fact("bundle-pc1/get-tpm.txt", "");
  Event lost = fact("two-devices/get-tpm.txt", "");
  const AnalyzerRun r = analyze({device_state("bundle-pc1/dsregcmd.txt", "PC1", "ann@contoso.com"),
                                 tpm, device_state("two-devices/a.txt", "PC2"),
                                 device_state("two-devices/b.txt", "PC3"), lost});
  const json& events = last_input["events"];
  ASSERT_EQ(events.size(), 2u);
  ASSERT_TRUE(events[0]["device"].is_number());
  EXPECT_EQ(last_input["identities"][events[0]["device"].get<int>()]["device_name"], "PC1");
  EXPECT_TRUE(events[1]["device"].is_null());  // two devices in that folder: no guess
  // The finding about the subject-less export is given the device of its folder.
  bool pc1 = false, unattributed = false;
  for (const Finding& f : r.report.findings) {
    if (f.evidence[0].file == "bundle-pc1/get-tpm.txt") pc1 = f.subject.device_name == "PC1";
    if (f.evidence[0].file == "two-devices/get-tpm.txt")
      unattributed = f.subject.device_name.empty();
  }
  EXPECT_TRUE(pc1);
  EXPECT_TRUE(unattributed);
  // …and the export shows in the timeline of the person seen on PC1.
  ASSERT_EQ(r.report.users.size(), 1u);
  bool in_timeline = false;
  for (const auto& entry : r.report.users[0].entries)
    in_timeline |= entry.file == "bundle-pc1/get-tpm.txt";
  EXPECT_TRUE(in_timeline);
}

TEST(AnalyzerPlugins, KindPatternsNameKindsOrFamilies) {
  EXPECT_TRUE(kind_matches({"tpm.*"}, "tpm.info"));
  EXPECT_FALSE(kind_matches({"tpm.*"}, "tpm."));
  EXPECT_FALSE(kind_matches({"tpm.*"}, "tpmx.info"));
  EXPECT_TRUE(kind_matches({"policy.setting"}, "policy.setting"));
  EXPECT_FALSE(kind_matches({"policy.setting"}, "policy.export"));
  EXPECT_FALSE(kind_matches({}, "tpm.info"));
}

TEST(PluginAbi, APluginBuiltAgainstAbi10LoadsAndConsumesNothing) {
  // A 1.0 table ends before `consumes`: the host must not read past struct_size.
  struct Abi10Table {
    alignas(ht_plugin) unsigned char bytes[sizeof(ht_plugin)];
  } storage{};
  ht_plugin* t = reinterpret_cast<ht_plugin*>(storage.bytes);
  *t = *ht_plugin_test_echo_analyzer();
  t->api_version_minor = 0;
  t->struct_size = offsetof(ht_plugin, consumes);
  // Garbage where 1.1 has `consumes`: a host that read it would crash or list junk.
  std::memset(&t->consumes, 0xAB, sizeof t->consumes);
  Registry registry;
  ASSERT_TRUE(registry.add_table(t));
  EXPECT_TRUE(registry.plugins()[0]->consumes().empty());
  EXPECT_TRUE(registry.plugins()[0]->can(HT_CAP_ANALYZE));
}

TEST(ProbePlugins, EventsCarryThePluginAsSourceAndFailuresAreReported) {
  Registry registry;
  ASSERT_TRUE(registry.add_table(ht_plugin_test_counting_probe()));
  const Plugin& p = *registry.find("counting-probe");
  std::vector<Event> got;
  ProbeResult r =
      run_probe(p, R"({"count":3,"device":"PC9"})", [&](Event& e) { got.push_back(e); });
  EXPECT_TRUE(r.ok);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].source, "counting-probe");
  EXPECT_EQ(got[0].file, "probe:counting-probe");
  EXPECT_EQ(got[2].subject.device_name, "PC9");

  got.clear();
  r = run_probe(p, R"({"count":1,"fail":true})", [&](Event& e) { got.push_back(e); });
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(got.size(), 1u);  // what it read before failing is kept
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_NE(r.messages[0].find("no such TPM"), std::string::npos) << r.messages[0];
}

TEST(ActionPlugins, ArtifactsAreWrittenOnlyInsideTheOutputFolder) {
  TempDir dir;
  Registry registry;
  ASSERT_TRUE(registry.add_table(ht_plugin_test_file_action()));
  nlohmann::ordered_json input = {
      {"findings", json::array()},
      {"options",
       {{"artifacts",
         json::array({json::array({"plan.ps1", "Write-Output 'ok'"}),
                      json::array({"intune/detect.ps1", "exit 0"}),
                      json::array({"../escape.txt", "x"}), json::array({"/tmp/absolute.txt", "x"}),
                      json::array({"intune/../plan.ps1", "x"}),
                      json::array({"plan.ps1", "twice"})})}}}};
  OutputFolder out("--out", dir.path / "out", /*force=*/false, InputSet{});
  const ActionResult r = run_action(*registry.find("file-action"), input, out);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.written.size(), 2u);
  std::ifstream plan(dir.path / "out" / "plan.ps1");
  std::stringstream text;
  text << plan.rdbuf();
  EXPECT_EQ(text.str(), "Write-Output 'ok'");
  EXPECT_TRUE(std::filesystem::exists(dir.path / "out" / "intune" / "detect.ps1"));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "escape.txt"));
  EXPECT_EQ(r.messages.size(), 4u);
}
