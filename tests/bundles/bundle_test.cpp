// A bundle zipped (as Compress-Archive or Explorer write it) gives the findings the same
// files give unzipped, and its evidence cites "bundle.zip!/path/in/zip:LINE"; members
// that cannot be read (a bomb, encrypted, damaged) are named on stderr and the rest is
// read.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "zip_writer.hpp"

namespace fs = std::filesystem;
using hellotrace::testing::make_zip;
using hellotrace::testing::ZipEntry;
using nlohmann::json;

namespace {

struct Outcome {
  int exit_code = -1;
  std::string out, err;
  std::vector<json> findings() const {
    std::vector<json> v;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) v.push_back(json::parse(line));
    return v;
  }
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

class Bundle : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hellotrace-bundle-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome analyze(const std::string& args) const {
    const fs::path err = dir_ / "stderr.txt";
    const std::string cmd =
        quote(HELLOTRACE_EXE) + " analyze --json - " + args + " 2>" + quote(err.string());
    Outcome r;
    FILE* p = ::popen(cmd.c_str(), "r");
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = slurp(err);
    return r;
  }

  fs::path write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return p;
  }

  // The files of a sample folder as zip entries under `prefix` ('\' separators, as
  // Compress-Archive in Windows PowerShell 5.1 writes them), notes left out.
  static std::vector<ZipEntry> entries_of(const fs::path& folder, const std::string& prefix) {
    std::vector<ZipEntry> out;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(folder))
      if (e.path().filename() != "README.md" && e.path().filename() != "expected.json")
        files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) out.push_back({prefix + f.filename().string(), slurp(f)});
    return out;
  }

  fs::path dir_;
};

const fs::path kSource = HT_SOURCE_DIR;

// rule, user, device and summary: what a finding says, wherever its files came from.
std::vector<std::string> gist(const std::vector<json>& findings) {
  std::vector<std::string> v;
  for (const auto& f : findings)
    v.push_back(f["rule"].get<std::string>() + " | " + f["user"].dump() + " | " +
                f["device"].dump() + " | " + f["summary"].get<std::string>());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_F(Bundle, AZippedBundleGivesTheFolderFindingsAndCitesMemberAndLine) {
  const fs::path folder = kSource / "tests/scenarios/permission-issue";
  const fs::path zip = write("bundle.zip", make_zip(entries_of(folder, "case-4711\\server\\")));
  const Outcome plain = analyze("--now 2024-11-14T12:40:00Z " + quote(folder.string()));
  const Outcome zipped = analyze("--now 2024-11-14T12:40:00Z " + quote(zip.string()));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(zipped.exit_code, 0) << zipped.err;
  const auto want = plain.findings(), have = zipped.findings();
  ASSERT_EQ(want.size(), 3u);
  EXPECT_EQ(gist(have), gist(want));

  // Every evidence item cites the member and the same line as the unzipped file.
  size_t cited = 0;
  for (const auto& f : have)
    for (const auto& e : f["evidence"]) {
      const std::string file = e["file"];
      ASSERT_EQ(file.rfind(zip.string() + "!/case-4711/server/", 0), 0u) << file;
      const std::string member = file.substr(file.rfind('/') + 1);
      bool same_line = false;
      for (const auto& g : want)
        for (const auto& w : g["evidence"])
          if (fs::path(w["file"].get<std::string>()).filename() == member && w["line"] == e["line"])
            same_line = true;
      EXPECT_TRUE(same_line) << file << ":" << e["line"];
      ++cited;
    }
  EXPECT_GT(cited, 0u);
}

TEST_F(Bundle, ABombAnEncryptedAndADamagedMemberAreNamedAndTheRestIsRead) {
  const fs::path folder = kSource / "samples/pending-sync";
  auto entries = entries_of(folder, "pc0517/");
  // 64 MiB of zeros deflate about 1000:1.
  entries.insert(entries.begin(), ZipEntry{"pc0517/bomb.evtx", std::string(64u << 20, '\0')});
  entries.push_back({"pc0517/broken.txt", std::string(20000, 'x')});
  auto bytes = make_zip(entries);
  ASSERT_TRUE(hellotrace::testing::damage_member(bytes, "pc0517/broken.txt"));
  const fs::path zip = write("bundle.zip", bytes);
  const fs::path secret = write("secret.zip", make_zip(entries_of(folder, ""), "password"));

  const Outcome r =
      analyze("--now 2024-11-14T13:46:00Z " + quote(zip.string()) + " " + quote(secret.string()));
  EXPECT_EQ(r.exit_code, 2) << "members that cannot be read are input errors\n" << r.err;
  EXPECT_NE(r.err.find(zip.string() + "!/pc0517/bomb.evtx: cannot read: expands more than 200:1"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("possible zip bomb"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(zip.string() + "!/pc0517/broken.txt: cannot read: damaged"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(secret.string() + "!/get-adsyncscheduler.txt: cannot read: encrypted"),
            std::string::npos)
      << r.err;
  const auto findings = r.findings();
  ASSERT_EQ(findings.size(), 1u) << r.out << r.err;  // the readable members still tell the story
  EXPECT_EQ(findings[0]["rule"], "sync.pending");
}

TEST_F(Bundle, AZipInsideAZipIsRead) {
  const fs::path folder = kSource / "samples/pending-sync";
  const auto inner = make_zip(entries_of(folder, "device/"));
  const fs::path zip = write(
      "outer.zip",
      make_zip({{"tickets/", ""}, {"tickets/inner.zip", std::string(inner.begin(), inner.end())}}));
  const Outcome r = analyze("--now 2024-11-14T13:46:00Z " + quote(zip.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto findings = r.findings();
  ASSERT_EQ(findings.size(), 1u) << r.out;
  EXPECT_EQ(findings[0]["evidence"][0]["file"],
            zip.string() + "!/tickets/inner.zip!/device/get-adsyncscheduler.txt");
  EXPECT_EQ(findings[0]["evidence"][0]["line"], 4);
}

TEST_F(Bundle, AnArchiveThatIsNotOneIsAPositionedErrorNotACrash) {
  std::string junk = "PK\x03\x04";
  junk += std::string(100, '\x7f');
  const fs::path zip = write("junk.zip", {junk.begin(), junk.end()});
  const Outcome r = analyze(quote(zip.string()));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(zip.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
}

namespace {

// PowerShell 5.1's Out-File: UTF-16 LE with a BOM, CRLF (the text here is ASCII).
std::string out_file_utf16(const std::string& text) {
  std::string out = "\xFF\xFE";
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += std::string("\r\0", 2);
    out += text[i];
    out += '\0';
  }
  return out;
}

// The lines of a console capture without its prompt lines: what Out-File writes.
std::string without_prompts(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("PS ", 0) != 0) out += line + "\n";
  return out;
}

// The XML csexport.exe writes (UTF-16 LE with BOM), taken from the pasted session where
// Get-Content printed it.
std::string csexport_xml() {
  const std::string paste =
      slurp(kSource / "tests/scenarios/paste-csexport-permission-issue/console-paste-sync01.txt");
  const size_t from = paste.find("<?xml"), to = paste.find("</cs-objects>");
  return out_file_utf16(paste.substr(from, to + std::string("</cs-objects>").size() - from) + "\n");
}

}  // namespace

TEST_F(Bundle, ATranscriptInsideAZipIsSplitAndItsUnreadOutputListed) {
  const fs::path folder = kSource / "tests/scenarios/transcript-de-permission-issue";
  const fs::path zip = write("bundle.zip", make_zip(entries_of(folder, "sync01/")));
  const Outcome r = analyze("--now 2024-11-14T12:40:00Z " + quote(zip.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(zip.string() +
                       "!/sync01/transcript-sync01-de.txt#L20-L24: no parser recognised the "
                       "output of 'Get-Service ADSync'"),
            std::string::npos)
      << r.err;
  std::map<std::string, int> lines;
  for (const auto& f : r.findings())
    for (const auto& e : f["evidence"])
      if (e["file"] == zip.string() + "!/sync01/transcript-sync01-de.txt")
        lines.emplace(f["rule"], e["line"]);  // the first item of each finding
  EXPECT_EQ(lines["sync.overdue"], 30);       // the transcript's own lines
  EXPECT_EQ(lines["sync.export_permission_denied"], 115);
  EXPECT_EQ(lines["key.not_in_ad"], 135);
}

// The folder Collect-HelloTrace.ps1 -EntraConnect -DomainController writes, zipped by
// Compress-Archive: its file names, Out-File's UTF-16 LE, csexport's XML, the collection
// log; read zipped and unzipped, it tells the same story.
TEST_F(Bundle, ABundleShapedLikeTheCollectionScriptsOutput) {
  const fs::path facts = kSource / "tests/scenarios/permission-issue";
  const std::string runs = slurp(facts / "run-history-export-errors.txt");
  const size_t step = runs.find("PS C:\\> (Get-ADSyncRunStepResult");
  ASSERT_NE(step, std::string::npos);
  std::vector<ZipEntry> entries = {
      {"entra-connect\\get-adsyncscheduler.txt",
       out_file_utf16(without_prompts(slurp(facts / "get-adsyncscheduler.txt")))},
      {"entra-connect\\get-adsyncrunprofileresult.txt",
       out_file_utf16(without_prompts(runs.substr(0, step)))},
      {"entra-connect\\syncerrors-4d2c9f61-8e1a-4b7d-a0c3-5e9f1b2d3c44.txt",
       out_file_utf16(without_prompts(runs.substr(step)))},
      {"entra-connect\\csexport-errors-contoso.com.xml", csexport_xml()},
      {"ad\\get-aduser-gtaylor.txt",
       out_file_utf16(without_prompts(slurp(facts / "get-aduser-grace.txt")))},
      {"collection-log.md",
       "# hellotrace collection log\r\n\r\n| area | what | file | result | reason |\r\n"
       "|---|---|---|---|---|\r\n"
       "| ad | certutil -dcinfo verify |  | failed | exit code 5: access denied |\r\n"}};
  const fs::path zip = write("HelloTrace-SYNC01-20241114-124000.zip", make_zip(entries));
  const fs::path unzipped = dir_ / "unzipped";
  for (const auto& e : entries) {
    std::string path = e.path;
    std::replace(path.begin(), path.end(), '\\', '/');
    fs::create_directories((unzipped / path).parent_path());
    std::ofstream(unzipped / path, std::ios::binary) << e.data;
  }
  const std::string now = "--now 2024-11-14T12:40:00Z ";
  const Outcome zipped = analyze(now + quote(zip.string()));
  const Outcome plain = analyze(now + quote(unzipped.string()));
  ASSERT_EQ(zipped.exit_code, 0) << zipped.err;
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(gist(zipped.findings()), gist(plain.findings()));
  std::set<std::string> cited;
  for (const auto& f : zipped.findings())
    if (f["rule"] == "sync.export_permission_denied")
      for (const auto& e : f["evidence"]) cited.insert(e["file"].get<std::string>());
  EXPECT_TRUE(cited.count(zip.string() +
                          "!/entra-connect/syncerrors-4d2c9f61-8e1a-4b7d-a0c3-5e9f1b2d3c44.txt") ||
              cited.count(zip.string() + "!/entra-connect/csexport-errors-contoso.com.xml"))
      << zipped.out;
}
