// The SQLite store (schema in docs/DATABASE.md). Events stream in batched
// transactions. A reader may rely on: the database file named by the user appears
// only when complete — it is written under a temporary name beside it and renamed
// over the old one by commit(); a run that dies before commit() leaves the
// previous database untouched.
#pragma once

#include <cstdint>
#include <filesystem>
#include <hellotrace/event.hpp>
#include <memory>
#include <string>
#include <vector>

#include "engine/finding.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace hellotrace::host {

class TemporaryName;

inline constexpr int kStoreSchemaVersion = 1;

class Store {
 public:
  // Creates an empty database at a temporary path beside `target`.
  explicit Store(std::filesystem::path target, size_t batch_size = 20000);
  ~Store();  // without commit(): the temporary file is removed
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int64_t add_source(const std::string& path, const std::string& parser, uint64_t size,
                     const std::string& status, const std::string& reason);
  void set_source_events(int64_t source_id, uint64_t events);
  void add_diagnostic(int64_t source_id, int severity, const Position& at,
                      const std::string& message);
  void add_event(int64_t source_id, const Event& e);
  void add_finding(const Finding& f, const std::string& json);
  void set_meta(const std::string& key, const std::string& value);

  // Finishes the last batch, makes the file durable and renames it to the target.
  void commit();
  const std::filesystem::path& temporary_path() const { return temp_; }
  uint64_t events_written() const { return events_; }

 private:
  void create_schema();
  void finalize_statements() noexcept;
  // Finalizes every statement and closes the connection; safe to call twice.
  void release() noexcept;
  void exec(const char* sql);
  sqlite3_stmt* prepare(const char* sql);
  void step_reset(sqlite3_stmt* s);
  void maybe_rotate_batch();

  std::filesystem::path target_, temp_;
  std::unique_ptr<TemporaryName> temp_name_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_event_ = nullptr;
  sqlite3_stmt* insert_source_ = nullptr;
  sqlite3_stmt* insert_diag_ = nullptr;
  sqlite3_stmt* insert_finding_ = nullptr;
  sqlite3_stmt* insert_evidence_ = nullptr;
  std::string fields_buffer_;  // reused for each event's fields JSON
  size_t batch_size_;
  size_t in_batch_ = 0;
  uint64_t events_ = 0;
  bool committed_ = false;
};

// The schema as SQL (tables and views), for docs and tests.
const char* store_schema_sql();

}  // namespace hellotrace::host
