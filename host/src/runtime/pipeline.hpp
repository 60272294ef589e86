// Routes each input file to the parser that claims it best, and parses files in
// parallel. An archive (zip, cab, 7z) is a container: its members are routed the same
// way, read in memory, named "bundle.zip!/path/in/zip". A file a splitter plugin claims
// (a console transcript) is a container too: its parts ("t.txt#L12-L40") are routed to
// the parsers that claim them, and their events cite the file itself and its lines. A reader may
// rely on: results are delivered on the calling thread in input order (a container's result first,
// then its members' in path order, as a folder's files); at most a bounded number of parsed files
// wait in memory; every file and member gets a result (parsed, skipped with a reason, or failed
// with a reason).
#pragma once

#include <any>
#include <functional>
#include <hellotrace/archive/archive.hpp>
#include <hellotrace/event.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/discovery.hpp"
#include "runtime/loader.hpp"

namespace hellotrace::host {

struct Diagnostic {
  int severity = HT_DIAG_WARNING;
  Position position;
  std::string message;
};

// "FILE:12: warning: message" / "FILE: offset 0x1a0: error: …"
std::string format_diagnostic(const std::string& file, const Diagnostic& d);

// Where the events of one file are capped (PipelineOptions::max_field_bytes): every
// event of every plugin passes here on its way into the host, so a parser that reads a
// 1 GB line into one value costs the host at most the cap. `copy` makes the owning
// Event with each string cut at the cap (on a UTF-8 boundary) and "…[N bytes cut]"
// appended; `diagnostic` is the one warning of the file (empty when nothing was cut).
class FieldCap {
 public:
  explicit FieldCap(size_t max_bytes) : max_(max_bytes) {}
  Event copy(const ht_event& v);
  std::optional<Diagnostic> diagnostic() const;

 private:
  ht_str cut(ht_str s, std::string_view what, const ht_position& at);
  size_t max_;
  uint64_t cut_count_ = 0;
  std::string first_what_;
  uint64_t first_size_ = 0;
  Position first_at_;
};

struct FileResult {
  InputFile input;     // for a member: "bundle.zip!/dir/file.txt" and its expanded size
  std::string parser;  // plugin name, empty when skipped
  int score = 0;
  std::vector<Event> events;
  std::vector<Diagnostic> diagnostics;
  std::string skipped;        // why nobody claimed it
  bool not_an_input = false;  // skipped as notes (InputFile::not_an_input), never sniffed
  std::string failed;         // why it could not be read at all
  std::string container;      // a container's description ("zip archive, 4 member(s) read")
  bool inside = false;        // a member or part of the input whose result came before it
  std::string cites;          // the file its events and diagnostics cite when not input.path
                              // (a part of a transcript cites the transcript)
  double seconds = 0;
  // What PipelineOptions::prepare made of this result on the worker thread (the NDJSON
  // lines of its events, the rule matches of each event, …); empty without a hook.
  std::any prepared;
};

// Longest string an event may bring in (field values and names, subject, kind…): the
// rest is cut, with kCutMarker and the number of bytes cut, and one warning per file.
inline constexpr size_t kDefaultMaxFieldBytes = 64 * 1024;

struct PipelineOptions {
  unsigned threads = 0;  // 0: one per core
  size_t max_field_bytes = kDefaultMaxFieldBytes;
  std::string options_json = "{}";  // given to parse() (timezone, …)
  std::string force_parser;         // route every file to this plugin
  archive::Limits archive_limits;   // against decompression bombs, per input file
  int max_nesting = 3;              // archives inside archives
  // Runs on the worker thread that parsed a file, once per result, before the result
  // is handed to run()'s on_result on the calling thread: the per-event work that needs
  // no state of the run goes here, so that both cores work and the calling thread only
  // merges. Called concurrently for different files: it must be thread-safe.
  std::function<void(FileResult&)> prepare;
};

class Pipeline {
 public:
  Pipeline(const Registry& registry, PipelineOptions options);
  void run(const std::vector<InputFile>& files, const std::function<void(FileResult&)>& on_result);
  // Sniffs and parses one file, or expands a container into its members (used by
  // run() on worker threads). Never empty.
  std::vector<FileResult> process(const InputFile& file) const;
  // The parser (or splitter) that would read this file (sniffing only; "archive" for an
  // archive), or "".
  std::string recognise(const std::filesystem::path& path) const;

 private:
  struct Piece;
  struct Choice {
    const Plugin* plugin = nullptr;
    int score = 0;
  };
  void route(const Piece& piece, int depth, archive::Budget& budget,
             std::vector<FileResult>& out) const;
  void expand_archive(const Piece& piece, int depth, archive::Budget& budget,
                      std::vector<FileResult>& out) const;
  void route_file(const Piece& piece, int depth, std::vector<FileResult>& out) const;
  Choice best_of(const std::vector<const Plugin*>& plugins, const Piece& piece) const;
  // Splits a container; false when the whole file is better read by `whole`.
  bool split(const Piece& piece, const Choice& splitter, const Choice& whole,
             std::vector<FileResult>& out) const;
  FileResult parse(const Piece& piece, const Choice& parser) const;

  const Registry& registry_;
  PipelineOptions options_;
  std::vector<const Plugin*> parsers_;
  std::vector<const Plugin*> splitters_;
};

}  // namespace hellotrace::host
