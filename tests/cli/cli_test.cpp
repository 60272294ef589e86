// End-to-end: the command's contract (docs/CLI.md) — output streams, exit codes,
// NDJSON that validates against the shipped schemas.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

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
