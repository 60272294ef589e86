// End-to-end: what a SIEM takes in (issue 20, SOC) — stable finding ids and detection
// times in the NDJSON, on the sample bundles and scenarios as an admin exports them.
#include <gtest/gtest.h>

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
