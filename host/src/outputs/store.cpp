#include "outputs/store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <hellotrace/time.hpp>
#include <stdexcept>

#include "outputs/output_file.hpp"
#include "outputs/output_json.hpp"

namespace fs = std::filesystem;

namespace hellotrace::host {

const char* store_schema_sql() {
  return R"SQL(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE sources (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,          -- as given on the command line
  parser TEXT,                 -- plugin that read it; NULL when skipped
  size INTEGER,
  status TEXT NOT NULL,        -- parsed | skipped | failed | container
  reason TEXT,                 -- why skipped or failed
  events INTEGER DEFAULT 0
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  time INTEGER,                -- UTC, 100 ns ticks since 1970-01-01; NULL when unknown
  time_utc TEXT,               -- the same as ISO 8601 with 7 decimals
  time_flags INTEGER NOT NULL DEFAULT 0,  -- 1 zone assumed, 2 approximate
  plugin TEXT NOT NULL,
  kind TEXT NOT NULL,
  channel TEXT, provider TEXT, event_id INTEGER,
  user_sid TEXT, user_upn TEXT, user_dn TEXT, user_sam TEXT,
  device_name TEXT, device_id TEXT, tenant_id TEXT, ngc_key_id TEXT,
  fields TEXT NOT NULL,        -- JSON object of the source's own fields
  origin_line INTEGER, origin_offset INTEGER, origin_record INTEGER
);
CREATE TABLE diagnostics (
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  severity TEXT NOT NULL,      -- note | warning | error
  line INTEGER, offset INTEGER, record INTEGER,
  message TEXT NOT NULL
);
CREATE TABLE findings (
  id INTEGER PRIMARY KEY,
  rule TEXT NOT NULL, severity TEXT NOT NULL, title TEXT NOT NULL, category TEXT,
  summary TEXT,
  user_upn TEXT, user_sid TEXT, user_dn TEXT, user_sam TEXT,
  device_name TEXT, device_id TEXT, tenant_id TEXT,
  first_evidence TEXT, last_evidence TEXT,
  remediation TEXT, documentation TEXT,
  json TEXT NOT NULL           -- the finding exactly as --json writes it
);
CREATE TABLE evidence (
  finding_id INTEGER NOT NULL REFERENCES findings(id),
  file TEXT, line INTEGER, offset INTEGER, record INTEGER,
  time_utc TEXT, source TEXT, kind TEXT, event_id INTEGER, excerpt TEXT
);
CREATE VIEW event_list AS
  SELECT e.id, e.time_utc, e.plugin, e.kind, e.event_id,
         coalesce(e.user_upn, e.user_sam, e.user_sid, e.user_dn) AS user,
         coalesce(e.device_name, e.device_id) AS device, s.path AS file,
         coalesce(e.origin_line, e.origin_record) AS position, e.fields
  FROM events e JOIN sources s ON s.id = e.source_id;
CREATE VIEW blocked_users AS
  SELECT coalesce(user_upn, user_sam, user_sid, user_dn) AS user,
         coalesce(device_name, device_id) AS device, rule, severity, summary
  FROM findings WHERE severity IN ('critical', 'high')
  ORDER BY user, CASE severity WHEN 'critical' THEN 0 ELSE 1 END, rule;
CREATE VIEW findings_by_rule AS
  SELECT rule, severity, count(*) AS subjects FROM findings GROUP BY rule, severity;
CREATE VIEW skipped_sources AS
  SELECT path, status, reason FROM sources WHERE status NOT IN ('parsed', 'container');
)SQL";
}

static void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw std::runtime_error(
        fmt::format("database: {}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

Store::Store(fs::path target, size_t batch_size)
    : target_(std::move(target)), batch_size_(batch_size) {
  // Created new and never through a link (output_file.hpp); an empty file is an empty
  // database to SQLite.
  ::close(create_temporary("--db", target_, temp_name_));
  temp_ = temp_name_->path();
  // A constructor that throws runs no destructor: close what was opened before the
  // error (a full disk can stop the schema half-way).
  try {
    check(sqlite3_open_v2(temp_.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), db_,
          ("cannot create " + temp_.string()).c_str());
    create_schema();
  } catch (...) {
    release();
    throw;
  }
}

void Store::create_schema() {
  // The file only becomes the user's database after commit(), so durability of
  // each transaction does not matter: the rename is the commit point.
  exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=MEMORY;");
  exec(store_schema_sql());
  insert_source_ = prepare("INSERT INTO sources(path,parser,size,status,reason) VALUES(?,?,?,?,?)");
  insert_event_ = prepare(
      "INSERT INTO events(source_id,time,time_utc,time_flags,plugin,kind,channel,provider,event_id,"
      "user_sid,user_upn,user_dn,user_sam,device_name,device_id,tenant_id,ngc_key_id,fields,"
      "origin_line,origin_offset,origin_record) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  insert_diag_ = prepare(
      "INSERT INTO diagnostics(source_id,severity,line,offset,record,message) VALUES(?,?,?,?,?,?)");
  insert_finding_ = prepare(
      "INSERT INTO "
      "findings(rule,severity,title,category,summary,user_upn,user_sid,user_dn,user_sam,"
      "device_name,device_id,tenant_id,first_evidence,last_evidence,remediation,documentation,json)"
      " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  insert_evidence_ = prepare(
      "INSERT INTO "
      "evidence(finding_id,file,line,offset,record,time_utc,source,kind,event_id,excerpt)"
      " VALUES(?,?,?,?,?,?,?,?,?,?)");
  set_meta("schema_version", std::to_string(kStoreSchemaVersion));
  exec("BEGIN");
}

Store::~Store() {
  release();
  temp_name_.reset();  // removes the temporary unless commit() renamed it
}

void Store::finalize_statements() noexcept {
  for (sqlite3_stmt*& s :
       {std::ref(insert_event_), std::ref(insert_source_), std::ref(insert_diag_),
        std::ref(insert_finding_), std::ref(insert_evidence_)}) {
    sqlite3_finalize(s);
    s = nullptr;
  }
}

void Store::release() noexcept {
  finalize_statements();
  if (!db_) return;
  // A statement an error left behind would keep sqlite3_close() from freeing anything.
  while (sqlite3_stmt* s = sqlite3_next_stmt(db_, nullptr)) sqlite3_finalize(s);
  sqlite3_close(db_);
  db_ = nullptr;
}

void Store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("database: " + msg);
  }
}

sqlite3_stmt* Store::prepare(const char* sql) {
  sqlite3_stmt* s = nullptr;
  check(sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr), db_, "prepare");
  return s;
}

void Store::step_reset(sqlite3_stmt* s) {
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  check(rc, db_, "write");
}

static void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  if (v.empty())
    sqlite3_bind_null(s, i);
  else
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
static void bind_number(sqlite3_stmt* s, int i, uint64_t v) {
  if (v == HT_NO_NUMBER)
    sqlite3_bind_null(s, i);
  else
    sqlite3_bind_int64(s, i, static_cast<int64_t>(v));
}

void Store::maybe_rotate_batch() {
  if (++in_batch_ < batch_size_) return;
  exec("COMMIT; BEGIN");
  in_batch_ = 0;
}

int64_t Store::add_source(const std::string& path, const std::string& parser, uint64_t size,
                          const std::string& status, const std::string& reason) {
  bind_text(insert_source_, 1, path);
  bind_text(insert_source_, 2, parser);
  sqlite3_bind_int64(insert_source_, 3, static_cast<int64_t>(size));
  bind_text(insert_source_, 4, status);
  bind_text(insert_source_, 5, reason);
  step_reset(insert_source_);
  return sqlite3_last_insert_rowid(db_);
}

void Store::set_source_events(int64_t id, uint64_t events) {
  sqlite3_stmt* s = prepare("UPDATE sources SET events=? WHERE id=?");
  sqlite3_bind_int64(s, 1, static_cast<int64_t>(events));
  sqlite3_bind_int64(s, 2, id);
  const int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  check(rc, db_, "update source");
}

void Store::add_diagnostic(int64_t source_id, int severity, const Position& at,
                           const std::string& message) {
  sqlite3_bind_int64(insert_diag_, 1, source_id);
  bind_text(insert_diag_, 2,
            severity >= HT_DIAG_ERROR     ? "error"
            : severity == HT_DIAG_WARNING ? "warning"
                                          : "note");
  bind_number(insert_diag_, 3, at.line);
  bind_number(insert_diag_, 4, at.offset);
  bind_number(insert_diag_, 5, at.record);
  bind_text(insert_diag_, 6, message);
  step_reset(insert_diag_);
}

void Store::add_event(int64_t source_id, const Event& e) {
  sqlite3_stmt* s = insert_event_;
  sqlite3_bind_int64(s, 1, source_id);
  if (e.time == HT_NO_TIME) {
    sqlite3_bind_null(s, 2);
    sqlite3_bind_null(s, 3);
  } else {
    sqlite3_bind_int64(s, 2, e.time);
    bind_text(s, 3, time::format_iso(e.time));
  }
  sqlite3_bind_int(s, 4, static_cast<int>(e.time_flags));
  bind_text(s, 5, e.source);
  bind_text(s, 6, e.kind);
  bind_text(s, 7, e.channel);
  bind_text(s, 8, e.provider);
  if (e.event_id == HT_NO_EVENT_ID)
    sqlite3_bind_null(s, 9);
  else
    sqlite3_bind_int64(s, 9, e.event_id);
  const Subject& u = e.subject;
  int i = 10;
  for (const std::string* v : {&u.user_sid, &u.user_upn, &u.user_dn, &u.user_sam, &u.device_name,
                               &u.device_id, &u.tenant_id, &u.ngc_key_id})
    bind_text(s, i++, *v);
  fields_buffer_.clear();
  append_fields_json(fields_buffer_, e.fields);
  bind_text(s, 18, fields_buffer_);
  bind_number(s, 19, e.origin.line);
  bind_number(s, 20, e.origin.offset);
  bind_number(s, 21, e.origin.record);
  step_reset(s);
  ++events_;
  maybe_rotate_batch();
}

void Store::add_finding(const Finding& f, const std::string& json) {
  sqlite3_stmt* s = insert_finding_;
  const Subject& u = f.subject;
  int i = 1;
  for (const std::string* v :
       {&f.rule, &f.severity, &f.title, &f.category, &f.summary, &u.user_upn, &u.user_sid,
        &u.user_dn, &u.user_sam, &u.device_name, &u.device_id, &u.tenant_id})
    bind_text(s, i++, *v);
  bind_text(s, i++, time::format_iso(f.first_time()));
  bind_text(s, i++, time::format_iso(f.last_time()));
  bind_text(s, i++, f.remediation);
  bind_text(s, i++, f.documentation);
  bind_text(s, i++, json);
  step_reset(s);
  const int64_t id = sqlite3_last_insert_rowid(db_);
  for (const Evidence& e : f.evidence) {
    sqlite3_stmt* v = insert_evidence_;
    sqlite3_bind_int64(v, 1, id);
    bind_text(v, 2, e.file);
    bind_number(v, 3, e.position.line);
    bind_number(v, 4, e.position.offset);
    bind_number(v, 5, e.position.record);
    bind_text(v, 6, time::format_iso(e.time));
    bind_text(v, 7, e.source);
    bind_text(v, 8, e.kind);
    if (e.event_id == HT_NO_EVENT_ID)
      sqlite3_bind_null(v, 9);
    else
      sqlite3_bind_int64(v, 9, e.event_id);
    bind_text(v, 10, e.excerpt);
    step_reset(v);
  }
}

void Store::set_meta(const std::string& key, const std::string& value) {
  sqlite3_stmt* s = prepare("INSERT OR REPLACE INTO meta(key,value) VALUES(?,?)");
  bind_text(s, 1, key);
  bind_text(s, 2, value);
  const int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  check(rc, db_, "meta");
}

void Store::commit() {
  exec("COMMIT");
  exec(
      "CREATE INDEX events_by_user ON events(user_sid, user_upn);"
      "CREATE INDEX events_by_kind ON events(kind, time);"
      "CREATE INDEX evidence_by_finding ON evidence(finding_id);");
  finalize_statements();
  check(sqlite3_close(db_), nullptr, "close");
  db_ = nullptr;
  const int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  replace_with("--db", *temp_name_, target_);
  committed_ = true;
}

}  // namespace hellotrace::host
