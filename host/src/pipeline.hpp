// Routes each input file to the parser that claims it best, and parses files in
// parallel. A reader may rely on: results are delivered on the calling thread in
// input order; at most a bounded number of parsed files wait in memory; every file
// gets a result (parsed, skipped with a reason, or failed with a reason).
#pragma once

#include <functional>
#include <hellotrace/event.hpp>
#include <string>
#include <vector>

#include "discovery.hpp"
#include "loader.hpp"

namespace hellotrace::host {

struct Diagnostic {
  int severity = HT_DIAG_WARNING;
  Position position;
  std::string message;
};

// "FILE:12: warning: message" / "FILE: offset 0x1a0: error: …"
std::string format_diagnostic(const std::string& file, const Diagnostic& d);

struct FileResult {
  InputFile input;
  std::string parser;  // plugin name, empty when skipped
  int score = 0;
  std::vector<Event> events;
  std::vector<Diagnostic> diagnostics;
  std::string skipped;  // why nobody claimed it
  std::string failed;   // why it could not be read at all
  double seconds = 0;
};

struct PipelineOptions {
  unsigned threads = 0;             // 0: one per core
  std::string options_json = "{}";  // given to parse() (timezone, …)
  std::string force_parser;         // route every file to this plugin
};

class Pipeline {
 public:
  Pipeline(const Registry& registry, PipelineOptions options);
  void run(const std::vector<InputFile>& files, const std::function<void(FileResult&)>& on_result);
  // Sniffs and parses one file (used by run() on worker threads).
  FileResult process(const InputFile& file) const;

 private:
  const Registry& registry_;
  PipelineOptions options_;
  std::vector<const Plugin*> parsers_;
};

}  // namespace hellotrace::host
