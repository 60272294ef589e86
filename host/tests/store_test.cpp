#include "outputs/store.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <thread>

#include "outputs/output_json.hpp"
#include "test_util.hpp"

using namespace hellotrace;
using namespace hellotrace::host;

namespace {
// Reads one column of every row of a query.
std::vector<std::string> column(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  std::vector<std::string> out;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sqlite3_errmsg(h) << " in " << sql;
  } else {
    while (sqlite3_step(s) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(s, 0);
      out.emplace_back(t ? reinterpret_cast<const char*>(t) : "NULL");
    }
  }
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

Event sample_event(int i) {
  Event e;
  e.time = 17'000'000'000'000'000LL + i;
  e.source = "dsregcmd";
  e.kind = "prereq.check";
  e.event_id = i % 2 ? 360 : HT_NO_EVENT_ID;
  e.subject.user_upn = "jdoe@contoso.com";
  e.subject.device_name = "PC" + std::to_string(i);
  e.add("IsDeviceJoined", "NO");
  e.add("Note", "quote ' and \"double\" and \xFF invalid");
  e.file = "in.txt";
  e.origin.line = static_cast<uint64_t>(i + 1);
  return e;
}
}  // namespace

TEST(Store, RoundTripsEventsAndFindings) {
  TempDir dir;
  const auto db = dir.path / "out.db";
  {
    Store store(db);
    const int64_t src = store.add_source("in.txt", "dsregcmd", 123, "parsed", "");
    for (int i = 0; i < 3; ++i) store.add_event(src, sample_event(i));
    store.add_diagnostic(src, HT_DIAG_WARNING, {7, HT_NO_NUMBER, HT_NO_NUMBER}, "cut short");
    Finding f;
    f.rule = "prereq.device_not_joined";
    f.severity = "high";
    f.title = "t";
    f.subject.user_upn = "jdoe@contoso.com";
    f.evidence.push_back({"in.txt",
                          {3, HT_NO_NUMBER, HT_NO_NUMBER},
                          0,
                          "dsregcmd",
                          "prereq.check",
                          HT_NO_EVENT_ID,
                          "IsDeviceJoined=NO"});
    store.add_finding(f, dump_line(finding_to_json(f, 0)));
    store.set_source_events(src, 3);
    EXPECT_FALSE(std::filesystem::exists(db)) << "the database must not appear before commit";
    store.commit();
  }
  ASSERT_TRUE(std::filesystem::exists(db));
  EXPECT_EQ(column(db, "SELECT count(*) FROM events"), std::vector<std::string>{"3"});
  EXPECT_EQ(
      column(db, "SELECT json_extract(fields,'$.IsDeviceJoined') FROM events WHERE origin_line=2"),
      std::vector<std::string>{"NO"});
  EXPECT_EQ(column(db, "SELECT time_utc FROM events ORDER BY id LIMIT 1"),
            std::vector<std::string>{"2023-11-14T22:13:20.0000000Z"});
  EXPECT_EQ(column(db, "SELECT event_id FROM events ORDER BY id"),
            (std::vector<std::string>{"NULL", "360", "NULL"}));
  EXPECT_EQ(column(db, "SELECT user FROM blocked_users"),
            std::vector<std::string>{"jdoe@contoso.com"});
  EXPECT_EQ(column(db, "SELECT excerpt FROM evidence"),
            std::vector<std::string>{"IsDeviceJoined=NO"});
  EXPECT_EQ(column(db, "SELECT message FROM diagnostics WHERE line=7"),
            std::vector<std::string>{"cut short"});
  EXPECT_EQ(column(db, "SELECT events FROM sources"), std::vector<std::string>{"3"});
  EXPECT_EQ(column(db, "SELECT value FROM meta WHERE key='schema_version'"),
            std::vector<std::string>{"1"});
  // The JSON kept for SIEM export is valid even though a field held invalid UTF-8.
  EXPECT_EQ(column(db, "SELECT json_valid(fields) FROM events"),
            (std::vector<std::string>{"1", "1", "1"}));
}

TEST(Store, CommitsInBatchesAndHasTheDocumentedSchema) {
  TempDir dir;
  const auto db = dir.path / "batched.db";
  {
    Store store(db, /*batch_size=*/4);
    const int64_t src = store.add_source("in.txt", "dsregcmd", 1, "parsed", "");
    for (int i = 0; i < 10; ++i) store.add_event(src, sample_event(i));
    // Three batches have been committed to the temporary file already.
    EXPECT_EQ(column(store.temporary_path(), "SELECT count(*) FROM events"),
              std::vector<std::string>{"8"});
    store.commit();
  }
  EXPECT_EQ(column(db, "SELECT count(*) FROM events"), std::vector<std::string>{"10"});
  const auto names = column(
      db,
      "SELECT type || ':' || name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 1");
  for (const char* want :
       {"table:events", "table:sources", "table:findings", "table:evidence", "table:diagnostics",
        "table:meta", "view:blocked_users", "view:event_list", "view:skipped_sources",
        "view:findings_by_rule", "index:events_by_user"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
}

TEST(Store, AbandonedStoreLeavesNoFile) {
  TempDir dir;
  const auto db = dir.path / "never.db";
  std::filesystem::path temp;
  {
    Store store(db);
    temp = store.temporary_path();
    store.add_event(store.add_source("x", "p", 0, "parsed", ""), sample_event(1));
  }
  EXPECT_FALSE(std::filesystem::exists(db));
  EXPECT_FALSE(std::filesystem::exists(temp));
}

TEST(Store, KilledWriterLeavesThePreviousDatabaseIntact) {
  TempDir dir;
  const auto db = dir.path / "kept.db";
  {
    Store store(db);
    const int64_t src = store.add_source("old.txt", "dsregcmd", 1, "parsed", "");
    store.add_event(src, sample_event(0));
    store.commit();
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Write forever into a new database for the same file; the parent kills us.
    Store store(db, 100);
    const int64_t src = store.add_source("new.txt", "dsregcmd", 1, "parsed", "");
    for (int i = 0;; ++i) store.add_event(src, sample_event(i));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(column(db, "SELECT path FROM sources"), std::vector<std::string>{"old.txt"});
  EXPECT_EQ(column(db, "SELECT count(*) FROM events"), std::vector<std::string>{"1"});
  EXPECT_EQ(column(db, "PRAGMA integrity_check"), std::vector<std::string>{"ok"});
}
