// Runs `hellotrace analyze --json -` on every scenario folder (tests/scenarios/*/ and
// the sample bundles in samples/*/) and compares the findings with expected.json:
//   {"now": "ISO time or null", "args": ["--timezone", "+03:00"],
//    "findings": [{"rule": "sync.pending", "user": "jdoe@contoso.com", "device": "pc-0142",
//                  "details": {"eta": "…", "advice": {"0x80090016": "*"}}}, …]}
// Every expected finding must be reported (rule, user, device, and the details given),
// and no other finding may be: a scenario states the whole diagnosis. The findings
// are also validated against docs/schema/finding.schema.json, and the same run's ECS
// documents (--ecs) against docs/schema/ecs-finding.schema.json and the NDJSON.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "jdoe@contoso.com" matches a finding whose user has that UPN, SID, DN or account.
bool user_matches(const json& f, const json& want) {
  if (want.is_null())
    return f["user"]["upn"].is_null() && f["user"]["sid"].is_null() && f["user"]["dn"].is_null();
  for (const char* k : {"upn", "sid", "dn", "sam"})
    if (f["user"].contains(k) && f["user"][k].is_string() && lower(f["user"][k]) == lower(want))
      return true;
  return false;
}

bool device_matches(const json& f, const json& want) {
  if (want.is_null()) return true;
  for (const char* k : {"name", "id"})
    if (f["device"][k].is_string()) {
      std::string have = lower(f["device"][k]);
      have = have.substr(0, have.find('.'));
      if (have == lower(want)) return true;
    }
  return false;
}

// Each detail given must be reported: objects are compared member by member (the ones
// given), "*" only asks that the detail is there (long texts such as per-code advice).
bool details_match(const json& have, const json& want) {
  for (const auto& [k, v] : want.items()) {
    if (!have.contains(k)) return false;
    if (v == "*") continue;
    if (v.is_object() && have[k].is_object()) {
      if (!details_match(have[k], v)) return false;
    } else if (have[k] != v) {
      return false;
    }
  }
  return true;
}

std::vector<fs::path> scenario_dirs() {
  std::vector<fs::path> out;
  for (const char* root : {SCENARIO_DIR, SAMPLES_DIR}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root, ec))
      if (e.is_directory() && fs::exists(e.path() / "expected.json")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class Scenario : public ::testing::TestWithParam<fs::path> {};

json expected_of(const fs::path& dir) {
  std::ifstream in(dir / "expected.json");
  return json::parse(in, nullptr, true, /*ignore_comments=*/true);
}

// Where a scenario's ECS documents go.
fs::path ecs_file(const fs::path& dir) {
  return fs::temp_directory_path() / ("hellotrace-scenario-" + std::to_string(::getpid()) + "-" +
                                      dir.filename().string() + ".ecs");
}

// `hellotrace analyze --json - --ecs FILE` on a scenario's inputs; the findings and the
// raw output (the ECS documents in ecs_file()).
std::pair<std::vector<json>, std::string> analyze(const fs::path& dir, const json& expected) {
  std::string cmd =
      quote(HELLOTRACE_EXE) + " analyze --quiet --json - --ecs " + quote(ecs_file(dir).string());
  if (expected.contains("now") && expected["now"].is_string())
    cmd += " --now " + quote(expected["now"]);
  for (const auto& a : expected.value("args", json::array()))
    cmd += " " + quote(a.get<std::string>());
  std::vector<std::string> inputs;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename() != "expected.json" && e.path().filename() != "README.md")
      inputs.push_back(e.path().string());
  std::sort(inputs.begin(), inputs.end());
  for (const auto& i : inputs) cmd += " " + quote(i);
  const auto [code, out] = run(cmd + " 2>/dev/null");
  EXPECT_TRUE(code == 0 || code == 1) << "exit " << code << " for " << cmd;
  std::vector<json> findings;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) findings.push_back(json::parse(line));
  return {findings, out};
}

TEST_P(Scenario, ReportsExactlyTheExpectedFindings) {
  const fs::path dir = GetParam();
  const json expected = expected_of(dir);
  const auto [findings, out] = analyze(dir, expected);

  std::set<size_t> claimed;
  for (const json& want : expected["findings"]) {
    bool found = false;
    for (size_t i = 0; i < findings.size(); ++i) {
      const json& f = findings[i];
      if (claimed.count(i) || f["rule"] != want["rule"]) continue;
      if (want.contains("user") && !user_matches(f, want["user"])) continue;
      if (want.contains("device") && !device_matches(f, want["device"])) continue;
      if (want.contains("details") && !details_match(f["details"], want["details"])) continue;
      if (want.contains("severity") && f["severity"] != want["severity"]) continue;
      claimed.insert(i);
      found = true;
      break;
    }
    EXPECT_TRUE(found) << dir.filename() << ": expected finding not reported: " << want.dump();
  }
  for (size_t i = 0; i < findings.size(); ++i)
    EXPECT_TRUE(claimed.count(i)) << dir.filename()
                                  << ": unexpected finding: " << findings[i]["rule"] << " "
                                  << findings[i]["summary"] << " details "
                                  << findings[i]["details"].dump();

  // One id per finding: two findings (other rule, other subject) never share one. Every
  // finding carries its detection time, the reference time of the run.
  std::set<std::string> ids;
  for (const json& f : findings) {
    EXPECT_TRUE(ids.insert(f.value("id", "")).second)
        << dir.filename() << ": id " << f["id"] << " of " << f["rule"] << " given twice";
    EXPECT_TRUE(f["detected"].is_string()) << dir.filename() << ": " << f["rule"];
    EXPECT_EQ(f["detected"], f["times"]["detected"]) << dir.filename();
  }

  // Schema check of every finding line.
  const fs::path data =
      fs::temp_directory_path() / ("hellotrace-scenario-" + std::to_string(::getpid()));
  std::ofstream(data) << out;
  const auto [vcode, vout] =
      run("/usr/bin/python3 -c " +
          quote("import json,sys,jsonschema\n"
                "v=jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))\n"
                "bad=[e.message for l in open(sys.argv[2]) for e in v.iter_errors(json.loads(l))]\n"
                "print('\\n'.join(bad)); sys.exit(1 if bad else 0)\n") +
          " " + quote(std::string(HT_SOURCE_DIR) + "/docs/schema/finding.schema.json") + " " +
          quote(data.string()) + " 2>&1");
  EXPECT_EQ(vcode, 0) << "schema: " << vout;
  const auto [ecode, eout] =
      run("/usr/bin/python3 " + quote(std::string(HT_SOURCE_DIR) + "/tests/cli/check_siem.py") +
          " " + quote(HT_SOURCE_DIR) + " " + quote(ecs_file(dir).string()) + " " +
          quote(data.string()) + " --documents-only 2>&1");
  EXPECT_EQ(ecode, 0) << "ECS: " << eout;
  fs::remove(data);
  fs::remove(ecs_file(dir));
}

// The same facts exported another way ("same_findings_as": "sibling-folder" in
// expected.json, e.g. a CSV of the events a sibling holds as XML): the same rules fire
// with the same severities, and wherever this export names the user or the device, it is
// the sibling's. (Event Viewer CSV has no user or computer column: those it cannot tell.)
class Sibling : public ::testing::TestWithParam<fs::path> {};

std::vector<fs::path> sibling_dirs() {
  std::vector<fs::path> out;
  for (const fs::path& dir : scenario_dirs())
    if (expected_of(dir).contains("same_findings_as")) out.push_back(dir);
  return out;
}

TEST_P(Sibling, SameFindingsAsTheSameFactsExportedAsXml) {
  const fs::path dir = GetParam();
  const json expected = expected_of(dir);
  const fs::path sibling = dir.parent_path() / expected["same_findings_as"].get<std::string>();
  const auto mine = analyze(dir, expected).first;
  const auto theirs = analyze(sibling, expected_of(sibling)).first;
  fs::remove(ecs_file(dir));
  fs::remove(ecs_file(sibling));
  std::multiset<std::string> a, b;
  for (const json& f : mine)
    a.insert(f["rule"].get<std::string>() + " " + f["severity"].get<std::string>());
  for (const json& f : theirs)
    b.insert(f["rule"].get<std::string>() + " " + f["severity"].get<std::string>());
  EXPECT_EQ(a, b) << dir.filename() << " vs " << sibling.filename();
  for (const json& f : mine) {
    bool same = false;
    for (const json& g : theirs) {
      if (g["rule"] != f["rule"]) continue;
      bool user_ok = true, device_ok = true;
      for (const char* k : {"upn", "sid", "dn", "sam"})
        if (f["user"][k].is_string()) user_ok = user_ok && user_matches(g, f["user"][k]);
      for (const char* k : {"name", "id"})
        if (f["device"][k].is_string()) {
          const std::string want = f["device"][k];
          device_ok = device_ok && device_matches(g, want.substr(0, want.find('.')));
        }
      same = same || (user_ok && device_ok);
    }
    EXPECT_TRUE(same) << dir.filename() << ": " << f["rule"] << " names " << f["user"].dump()
                      << " / " << f["device"].dump() << ", unlike " << sibling.filename();
  }
}

std::string name_of(const ::testing::TestParamInfo<fs::path>& info) {
  std::string n =
      info.param.parent_path().filename().string() + "_" + info.param.filename().string();
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

// The catalog's contract, both ways: (a) every id of docs/BLOCKERS.md fires in at least
// one scenario (an expected finding of tests/scenarios/*/ or samples/*/expected.json), and
// (b) every rule id defined in rules/*.json is documented in docs/BLOCKERS.md.
TEST(Catalog, EveryIdFiresInAScenarioAndEveryRuleIsDocumented) {
  const fs::path source = HT_SOURCE_DIR;
  std::set<std::string> documented;
  {
    std::ifstream in(source / "docs" / "BLOCKERS.md");
    ASSERT_TRUE(in) << "cannot read docs/BLOCKERS.md";
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("| `", 0) != 0) continue;
      const auto end = line.find('`', 3);
      if (end != std::string::npos) documented.insert(line.substr(3, end - 3));
    }
  }
  ASSERT_FALSE(documented.empty()) << "no \"| `id`\" table rows in docs/BLOCKERS.md";

  std::set<std::string> fired;
  const auto dirs = scenario_dirs();
  for (const fs::path& dir : dirs) {
    const json expected = expected_of(dir);
    for (const auto& f : expected.value("findings", json::array()))
      if (f.contains("rule") && f["rule"].is_string()) fired.insert(f["rule"]);
  }

  std::string never_fired;
  for (const auto& id : documented)
    if (!fired.count(id)) never_fired += " " + id;
  EXPECT_TRUE(never_fired.empty())
      << "ids of docs/BLOCKERS.md that no scenario expects (add a tests/scenarios/ folder "
         "whose expected.json reports them):"
      << never_fired;

  std::vector<fs::path> rule_files;
  for (const auto& e : fs::directory_iterator(source / "rules"))
    if (e.path().extension() == ".json") rule_files.push_back(e.path());
  std::sort(rule_files.begin(), rule_files.end());
  ASSERT_FALSE(rule_files.empty()) << "no rules/*.json";
  std::string undocumented;
  for (const fs::path& file : rule_files) {
    std::ifstream in(file);
    const json rules = json::parse(in, nullptr, true, /*ignore_comments=*/true);
    for (const auto& r : rules.value("rules", json::array())) {
      const std::string id = r.value("id", "");
      if (!documented.count(id))
        undocumented +=
            " " + (id.empty() ? "(rule without id)" : id) + " (" + file.filename().string() + ")";
    }
  }
  EXPECT_TRUE(undocumented.empty())
      << "rule ids defined in rules/*.json but missing from docs/BLOCKERS.md:" << undocumented;
}

INSTANTIATE_TEST_SUITE_P(All, Scenario, ::testing::ValuesIn(scenario_dirs()), name_of);
INSTANTIATE_TEST_SUITE_P(All, Sibling, ::testing::ValuesIn(sibling_dirs()), name_of);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Scenario);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Sibling);

}  // namespace
