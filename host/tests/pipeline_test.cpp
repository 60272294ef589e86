#include "runtime/pipeline.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "../../parsers/archive/tests/zip_writer.hpp"
#include "test_util.hpp"

using namespace hellotrace;
using namespace hellotrace::host;

extern "C" const ht_plugin* ht_plugin_test_lines(void);

// Every file through a pipeline of the test "lines" parser; the results in input order.
static std::vector<FileResult> run_lines(const std::vector<InputFile>& files) {
  Registry r;
  EXPECT_TRUE(r.add_table(ht_plugin_test_lines()));
  Pipeline p(r, {});
  std::vector<FileResult> results;
  p.run(files, [&](FileResult& fr) { results.push_back(std::move(fr)); });
  return results;
}

TEST(Discovery, WalksFoldersSortedAndReportsMissingPaths) {
  TempDir d;
  d.write("b/2.txt", "x");
  d.write("b/1.txt", "x");
  d.write("a.txt", "x");
  const auto found =
      discover({(d.path / "b").string(), (d.path / "a.txt").string(), (d.path / "nope").string()});
  ASSERT_EQ(found.files.size(), 3u);
  EXPECT_EQ(found.files[0].path.filename(), "1.txt");
  EXPECT_EQ(found.files[2].path.filename(), "a.txt");
  ASSERT_EQ(found.errors.size(), 1u);
  EXPECT_NE(found.errors[0].find("nope: no such file or folder"), std::string::npos);
}

// Small files are read, large ones mapped (MappedFile::kReadLimit): both give the file's
// bytes, an empty file an empty span, a folder a reason.
TEST(Discovery, MappedFileGivesTheBytesOfSmallAndLargeFiles) {
  TempDir d;
  std::string large(MappedFile::kReadLimit + 4097, 'x');
  large.back() = 'y';
  for (const auto& [name, content] : {std::pair<std::string, std::string>{"small.txt", "abc\n"},
                                      {"large.txt", large},
                                      {"empty.txt", ""}}) {
    MappedFile f;
    ASSERT_EQ(f.open(d.write(name, content)), "") << name;
    EXPECT_EQ(std::string(f.bytes().begin(), f.bytes().end()), content) << name;
  }
  MappedFile folder;
  EXPECT_EQ(folder.open(d.path), "not a regular file");
}

TEST(Pipeline, RoutesClaimedFilesAndSkipsTheRestWithAReason) {
  TempDir d;
  d.write("1-mine.txt", "LINES\nfirst\nBAD\nsecond\n");
  d.write("2-other.txt", "something else");
  d.write("3-empty.txt", "");
  d.write("4-throws.txt", "LINES\nkept\nTHROW\nlost\n");
  const std::vector<FileResult> results = run_lines(discover({d.path.string()}).files);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].parser, "lines");
  ASSERT_EQ(results[0].events.size(), 2u);
  EXPECT_EQ(results[0].events[1].field_or("text"), "second");
  EXPECT_EQ(results[0].events[1].source, "lines");
  EXPECT_EQ(results[0].events[1].origin.line, 4u);
  ASSERT_EQ(results[0].diagnostics.size(), 1u);
  EXPECT_EQ(format_diagnostic("f.txt", results[0].diagnostics[0]), "f.txt:3: warning: bad line");
  EXPECT_EQ(results[1].skipped, "no parser recognised its format");
  EXPECT_EQ(results[2].skipped, "empty file");
  // An exception inside the plugin becomes an error; what was emitted stays.
  ASSERT_EQ(results[3].events.size(), 1u);
  EXPECT_EQ(results[3].diagnostics.at(0).severity, HT_DIAG_ERROR);
  EXPECT_NE(results[3].diagnostics[0].message.find("boom"), std::string::npos);
}

// A bundle's notes are not inputs: never sniffed (a README that quotes an event or a
// key listing would otherwise be read as one), listed as skipped with the reason. A file
// named on the command line is always read.
TEST(Pipeline, NotesInAFolderAreSkippedUnread) {
  TempDir d;
  d.write("bundle/README.md", "LINES\nquoted in the notes\n");
  d.write("bundle/expected.json", "LINES\n{}\n");
  d.write("bundle/notes.txt", "LINES\nhand-written\n");
  d.write("bundle/screenshot.PNG", "LINES\n");
  d.write("bundle/udr.txt", "LINES\nreal\n");
  const auto found =
      discover({(d.path / "bundle").string(), (d.path / "bundle/README.md").string()});
  ASSERT_EQ(found.files.size(), 5u);  // README.md once, as found in the folder
  const std::vector<FileResult> results = run_lines(found.files);
  ASSERT_EQ(results.size(), 5u);
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(results[i].input.path.string());
    EXPECT_TRUE(results[i].not_an_input);
    EXPECT_TRUE(results[i].events.empty());
    EXPECT_TRUE(results[i].parser.empty());
    EXPECT_NE(results[i].skipped.find("not an input"), std::string::npos);
  }
  EXPECT_EQ(results[4].parser, "lines");
  EXPECT_EQ(not_an_input_reason("x/README"), "notes (README), not an input");
  EXPECT_EQ(not_an_input_reason("x/readme-first.txt"), "");
  EXPECT_EQ(not_an_input_reason("x/udr-admin.xml"), "");
  // Named on the command line: read.
  const auto named = discover({(d.path / "bundle/README.md").string()});
  ASSERT_EQ(named.files.size(), 1u);
  EXPECT_TRUE(named.files[0].not_an_input.empty());
}

// Inside a zipped bundle too.
TEST(Pipeline, NotesInAZippedBundleAreSkippedUnread) {
  TempDir d;
  const auto zip = hellotrace::testing::make_zip(
      {{"PC-0733/README.md", "LINES\nnotes\n"}, {"PC-0733/udr.txt", "LINES\nreal\n"}});
  d.write("bundle.zip", std::string(zip.begin(), zip.end()));
  const std::vector<FileResult> results = run_lines(discover({d.path.string()}).files);
  size_t notes = 0, parsed = 0;
  for (const auto& fr : results) {
    if (fr.not_an_input) {
      ++notes;
      EXPECT_NE(fr.input.path.string().find("bundle.zip!/PC-0733/README.md"), std::string::npos);
      EXPECT_TRUE(fr.events.empty());
    }
    parsed += fr.parser == "lines";
  }
  EXPECT_EQ(notes, 1u);
  EXPECT_EQ(parsed, 1u);
}

// Results arrive in input order; the prepare hook runs on the worker threads, never on
// the calling thread, and what it made arrives with its result.
TEST(Pipeline, ParallelRunDeliversInInputOrder) {
  TempDir d;
  for (int i = 0; i < 60; ++i) d.write(fmt::format("{:03}.txt", i), fmt::format("LINES\n{}\n", i));
  Registry r;
  ASSERT_TRUE(r.add_table(ht_plugin_test_lines()));
  PipelineOptions o;
  o.threads = 4;
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> on_caller = 0;
  o.prepare = [&](FileResult& fr) {
    if (std::this_thread::get_id() == caller) ++on_caller;
    fr.prepared = "prepared " + std::string(fr.events.at(0).field_or("text"));
  };
  Pipeline p(r, o);
  std::vector<std::string> seen, prepared;
  p.run(discover({d.path.string()}).files, [&](FileResult& fr) {
    seen.push_back(fr.events.at(0).field_or("text").data());
    prepared.push_back(std::any_cast<std::string>(fr.prepared));
  });
  ASSERT_EQ(seen.size(), 60u);
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(seen[i], std::to_string(i));
    EXPECT_EQ(prepared[i], "prepared " + std::to_string(i));
  }
  EXPECT_EQ(on_caller, 0);
}

// Issue 17, item 6: a value of a few MB is cut at the configured cap where events enter
// the host (whatever the plugin), on a character boundary, with a marker; one warning
// per file names the first cut and counts the others.
TEST(Pipeline, CapsLongValuesWithAMarkerAndOneWarningPerFile) {
  TempDir d;
  // 999 ASCII bytes then "é" (2 bytes) across the 1000-byte cap, then 3 MB more.
  const std::string big = std::string(999, 'a') + "\xC3\xA9" + std::string(3 << 20, 'b');
  d.write("big.txt", "LINES\nshort\n" + big + "\n" + std::string(5000, 'c') + "\n");
  d.write("small.txt", "LINES\nfine\n");
  Registry r;
  ASSERT_TRUE(r.add_table(ht_plugin_test_lines()));
  PipelineOptions o;
  o.max_field_bytes = 1000;
  Pipeline p(r, o);
  std::vector<FileResult> results;
  p.run(discover({d.path.string()}).files,
        [&](FileResult& fr) { results.push_back(std::move(fr)); });
  ASSERT_EQ(results.size(), 2u);
  const FileResult& f = results[0];
  ASSERT_EQ(f.events.size(), 3u);
  EXPECT_EQ(f.events[0].field_or("text"), "short");
  EXPECT_EQ(f.events[1].field_or("text"),
            std::string(999, 'a') + fmt::format("\u2026[{} bytes cut]", big.size() - 999));
  EXPECT_EQ(f.events[2].field_or("text"), std::string(1000, 'c') + "\u2026[4000 bytes cut]");
  EXPECT_EQ(f.events[1].subject.user_upn, "user@contoso.com");
  ASSERT_EQ(f.diagnostics.size(), 1u);
  EXPECT_EQ(format_diagnostic("big.txt", f.diagnostics[0]),
            fmt::format("big.txt:3: warning: field text is {} bytes long: kept the first 1000 "
                        "(--max-field-bytes); 1 more value(s) of this file cut too",
                        big.size()));
  EXPECT_TRUE(results[1].diagnostics.empty());
  EXPECT_EQ(results[1].events.at(0).field_or("text"), "fine");
}
