// The hellotrace command. Contract (docs/CLI.md): data on stdout only, messages and
// progress on stderr; exit 0 success, 1 findings at or above --fail-on, 2 usage or
// input error.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <hellotrace/text/datetime.hpp>
#include <hellotrace/text/text.hpp>
#include <hellotrace/time.hpp>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/usage.hpp"
#include "engine/rules.hpp"
#include "engine/timeline.hpp"
#include "outputs/csv.hpp"
#include "outputs/ecs.hpp"
#include "outputs/output_file.hpp"
#include "outputs/output_json.hpp"
#include "outputs/redact.hpp"
#include "outputs/report_html.hpp"
#include "outputs/report_markdown.hpp"
#include "outputs/store.hpp"
#include "outputs/terminal.hpp"
#include "outputs/timesketch.hpp"
#include "runtime/discovery.hpp"
#include "runtime/loader.hpp"
#include "runtime/pipeline.hpp"
#include "runtime/plugin_calls.hpp"

#ifndef HELLOTRACE_VERSION
#define HELLOTRACE_VERSION "0.0.0"
#endif
#ifndef HELLOTRACE_SOURCE_RULES_DIR
#define HELLOTRACE_SOURCE_RULES_DIR ""
#endif
#ifndef HELLOTRACE_BUILD_BIN_DIR
#define HELLOTRACE_BUILD_BIN_DIR ""
#endif

namespace fs = std::filesystem;
using namespace hellotrace;
using namespace hellotrace::host;

namespace {

constexpr int kExitOk = 0, kExitFindings = 1, kExitUsage = 2;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  std::string command;
  std::vector<std::string> paths;
  std::vector<fs::path> plugin_dirs;
  std::vector<fs::path> rule_dirs;
  std::vector<std::string> probes, actions;
  std::vector<std::pair<std::string, std::string>> plugin_options;  // --option KEY=VALUE
  std::string out_dir;
  std::string date_order;  // --date-order: empty = decided per file
  std::string parser, timezone = "UTC", json_out, html, markdown, db, now, user, fail_on, validate;
  std::string ecs, csv, timesketch;
  bool redact = false, force = false;
  unsigned threads = 0;
  size_t max_field_bytes = kDefaultMaxFieldBytes;
  bool quiet = false, json_list = false, help = false, version = false;
  std::vector<std::string> flags;  // the options as given, to check they apply
};

// The options each command reads (cli/usage.cpp). An option a command would ignore is a
// usage error: `timeline --html r.html` writing nothing without a word would leave the user
// waiting for a file.
void check_options_apply(const Options& o) {
  const cli::CommandDoc* command = cli::find_command(o.command);
  if (!command) return;  // an unknown command is reported on its own
  for (const std::string& f : o.flags)
    if (!cli::find_option(*command, f))
      throw UsageError(f + " does not apply to '" + o.command + "' (see 'hellotrace " + o.command +
                       " --help')");
}

void print_help(const Options& o) { std::cout << cli::command_help(*cli::find_command(o.command)); }

constexpr unsigned kMaxThreads = 1024;

// Digits only, 1 to kMaxThreads: "-1", "5x" and "99999999999" are not thread counts.
unsigned parse_threads(const std::string& v) {
  unsigned n = 0;
  bool ok = !v.empty() && v.size() <= 4;
  for (char c : v) ok = ok && c >= '0' && c <= '9';
  if (ok) n = static_cast<unsigned>(std::stoul(v));
  if (!ok || n < 1 || n > kMaxThreads)
    throw UsageError(
        fmt::format("--threads takes a number from 1 to {}, not '{}'", kMaxThreads, v));
  return n;
}

// 16 bytes at least (a cut value still says something); at most 100 MB, well below
// SQLite's 1e9-byte limit on one value, so that --db always takes what was kept.
size_t parse_max_field_bytes(const std::string& v) {
  bool ok = !v.empty() && v.size() <= 9;
  for (char c : v) ok = ok && c >= '0' && c <= '9';
  const size_t n = ok ? std::stoul(v) : 0;
  if (!ok || n < 16 || n > 100'000'000)
    throw UsageError("--max-field-bytes takes a number of bytes from 16 to 100000000, not '" + v +
                     "'");
  return n;
}

// "--json", "-q": an option, not a path or the "-" that means stdout.
bool is_option(const std::string& a) { return a.size() > 1 && a[0] == '-'; }

Options parse_args(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  auto value = [&](const std::string& flag) -> std::string {
    if (i + 1 >= args.size()) throw UsageError(flag + " needs a value");
    // An empty value would read as "option not given" (no --db, no --fail-on, the
    // default --now): refused, never silently dropped.
    if (args[i + 1].empty()) throw UsageError(flag + " needs a value, not ''");
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (is_option(a) && a != "--help" && a != "-h" && a != "--version" && a != "-V")
      o.flags.push_back(a);
    if (a == "--help" || a == "-h")
      o.help = true;
    else if (a == "--version" || a == "-V")
      o.version = true;
    else if (a == "--plugin-dir")
      o.plugin_dirs.emplace_back(value(a));
    else if (a == "--rules")
      o.rule_dirs.emplace_back(value(a));
    else if (a == "--parser")
      o.parser = value(a);
    else if (a == "--timezone")
      o.timezone = value(a);
    else if (a == "--date-order") {
      o.date_order = value(a);
      if (!text::parse_date_order(o.date_order))
        throw UsageError("--date-order takes dmy, mdy or ymd, not '" + o.date_order + "'");
    } else if (a == "--threads")
      o.threads = parse_threads(value(a));
    else if (a == "--max-field-bytes")
      o.max_field_bytes = parse_max_field_bytes(value(a));
    else if (a == "--json") {
      if (i + 1 < args.size() && (args[i + 1] == "-" || args[i + 1].rfind("--", 0) != 0))
        o.json_out = value(a);
      else
        o.json_list = true;
    } else if (a == "--db")
      o.db = value(a);
    else if (a == "--html")
      o.html = value(a);
    else if (a == "--markdown")
      o.markdown = value(a);
    else if (a == "--ecs")
      o.ecs = value(a);
    else if (a == "--csv")
      o.csv = value(a);
    else if (a == "--timesketch")
      o.timesketch = value(a);
    else if (a == "--redact")
      o.redact = true;
    else if (a == "--now")
      o.now = value(a);
    else if (a == "--user")
      o.user = value(a);
    else if (a == "--fail-on")
      o.fail_on = value(a);
    else if (a == "--validate")
      o.validate = value(a);
    else if (a == "--probe")
      o.probes.push_back(value(a));
    else if (a == "--action")
      o.actions.push_back(value(a));
    else if (a == "--out")
      o.out_dir = value(a);
    else if (a == "--option") {
      const std::string v = value(a);
      const size_t eq = v.find('=');
      if (eq == 0 || eq == std::string::npos)
        throw UsageError("--option takes KEY=VALUE, not '" + v + "'");
      o.plugin_options.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (a == "--quiet" || a == "-q")
      o.quiet = true;
    else if (a == "--force")
      o.force = true;
    else if (is_option(a))
      throw UsageError("unknown option " + a);
    else if (o.command.empty())
      o.command = a;
    else
      o.paths.push_back(a);
  }
  return o;
}

// Data read at run time (rules/, messages/): installed beside the program
// (PREFIX/share/hellotrace/NAME, found from the binary's own path, so an installed tree may
// be moved), else the source tree's — for the binary of the build tree only: an installed
// hellotrace that lacks its data says so instead of reading a source tree that happens to
// be on the machine.
fs::path data_dir(const std::string& name, const char* source_dir) {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path installed = exe.parent_path().parent_path() / "share" / "hellotrace" / name;
  if (fs::is_directory(installed, ec)) return installed;
  if (fs::equivalent(exe.parent_path(), HELLOTRACE_BUILD_BIN_DIR, ec) &&
      fs::is_directory(source_dir, ec))
    return source_dir;
  throw std::runtime_error(installed.string() +
                           ": no such folder (this hellotrace is installed without its " + name +
                           ")");
}

// The message templates parsers read rendered event messages with (messages/*.json).
std::string messages_dir() { return data_dir("messages", HELLOTRACE_SOURCE_MESSAGES_DIR).string(); }

std::string options_json(const Options& o) {
  nlohmann::json j = {{"timezone", o.timezone}, {"messages_dir", messages_dir()}};
  if (!o.date_order.empty()) j["date_order"] = o.date_order;
  return j.dump();
}

// Options for probe and action plugins: the --option pairs and the run's time zone.
nlohmann::json plugin_options_json(const Options& o) {
  nlohmann::json j = {{"timezone", o.timezone}};
  if (!o.date_order.empty()) j["date_order"] = o.date_order;
  for (const auto& [key, value] : o.plugin_options) j[key] = value;
  return j;
}

// Real zones lie within ±14:00 (Kiribati, +14:00; Baker Island, -12:00).
constexpr int64_t kMaxZoneOffset = 14 * time::kTicksPerHour;

// The zones parse_iso() reads after a time ("UTC", "Z", "GMT", "+03", "+03:00",
// "+0300"), minutes below 60 and within ±14:00: "+23:59" is no zone, and every parser
// would fall back to UTC for it.
std::optional<int64_t> zone_offset(std::string_view zone) {
  time::OffsetSyntax syntax = time::kIsoZone;
  syntax.bounded = true;
  syntax.empty_is_utc = false;
  const auto offset = time::parse_offset(zone, syntax);
  if (!offset || *offset > kMaxZoneOffset || *offset < -kMaxZoneOffset) return std::nullopt;
  return offset;
}

void check_timezone(const std::string& tz) {
  if (!zone_offset(tz))
    throw UsageError("--timezone takes UTC or an offset from -14:00 to +14:00 like +03:00, not '" +
                     tz + "'");
}

void load_plugins(Registry& registry, const Options& o) {
  for (const fs::path& dir : o.plugin_dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
      throw UsageError("--plugin-dir " + dir.string() + ": no such folder");
  }
  LoadOptions lo;
  lo.plugin_dirs = o.plugin_dirs;
  registry.load(lo);
  for (const auto& r : registry.refusals()) tell(r);
  if (!o.parser.empty() && !registry.find(o.parser))
    throw UsageError("--parser " + o.parser + ": no such plugin loaded (see 'hellotrace plugins')");
}

RuleSet load_rules(const Options& o) {
  RuleSet rules;
  std::vector<fs::path> dirs = {data_dir("rules", HELLOTRACE_SOURCE_RULES_DIR)};
  for (const auto& d : o.rule_dirs) dirs.push_back(d);
  for (const auto& d : dirs) rules.load(d);
  return rules;
}

bool subject_is(const Subject& s, const std::string& who) {
  for (const std::string* v : {&s.user_upn, &s.user_sid, &s.user_sam, &s.user_dn})
    if (!v->empty() && text::iequals(*v, who)) return true;
  return false;
}

bool identity_is(const Identity& id, const std::string& who) {
  for (const auto* list : {&id.upns, &id.sids, &id.sams, &id.dns})
    for (const auto& v : *list)
      if (text::iequals(v, who)) return true;
  return false;
}

// The moment of the run, in the ticks of hellotrace/time.hpp.
int64_t wall_clock() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() *
         10;
}

// Progress on stderr, only when it is a terminal.
class Progress {
 public:
  Progress(bool enabled, size_t files) : enabled_(enabled && ::isatty(2)), files_(files) {}
  void update(uint64_t bytes, uint64_t events, bool another_file) {
    done_ += another_file;
    bytes_ += bytes;
    events_ = events;
    if (!enabled_) return;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r\033[Kfiles %zu/%zu  events %llu  %.1f MB/s", done_, files_,
                 static_cast<unsigned long long>(events_), s > 0 ? bytes_ / 1e6 / s : 0.0);
  }
  ~Progress() {
    if (enabled_ && done_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool enabled_;
  size_t files_, done_ = 0;
  uint64_t bytes_ = 0, events_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// The inputs of a run, found before anything is read or written: outputs are checked
// against them (never written over an input) before the work starts.
struct Inputs {
  Discovery found;
  InputSet files;
};

Inputs find_inputs(const Options& o) {
  if (o.paths.empty()) throw UsageError("no input: name files or folders to read");
  Inputs in;
  in.found = discover(o.paths);
  for (const InputFile& f : in.found.files) in.files.add(f.path);
  return in;
}

// How each output's earlier files begin: such a file may be replaced even where a parser
// would read it (the keycred parser reads findings that quote key credentials).
bool earlier_output_of(const std::string& role, std::string_view head, const std::string& parser,
                       bool probe) {
  if (role == "--json")
    return probe ? parser == "events" : head.starts_with("{\"schema\":\"hellotrace.finding/");
  if (role == "--html") return head.find("<title>hellotrace report") != std::string_view::npos;
  if (role == "--markdown") return head.find(" · hellotrace ") != std::string_view::npos;
  if (role == "--ecs") return head.starts_with("{\"@timestamp\":");
  if (role == "--csv") return head.starts_with("\xEF\xBB\xBF\"rule\",\"severity\",");
  if (role == "--timesketch") return head.starts_with("{\"message\":");
  if (role == "--db") return head.starts_with(std::string_view("SQLite format 3\0", 16));
  return false;
}

// Checks every output file the options name before any work (output_file.hpp): a
// refused target is a usage error, nothing is read or written.
void check_outputs(const Options& o, const Inputs& in, const Registry& registry) {
  const Pipeline sniffer(registry, PipelineOptions{});
  const InputRecogniser recognise = [&](const fs::path& p) { return sniffer.recognise(p); };
  std::map<fs::path, std::string> seen;  // canonical target → option
  for (const auto& [role, target] : {std::pair<std::string, std::string>{"--json", o.json_out},
                                     {"--html", o.html},
                                     {"--markdown", o.markdown},
                                     {"--ecs", o.ecs},
                                     {"--csv", o.csv},
                                     {"--timesketch", o.timesketch},
                                     {"--db", o.db}}) {
    if (target.empty()) continue;
    const EarlierOutput earlier = [&, role = role](std::string_view head,
                                                   const std::string& parser) {
      return earlier_output_of(role, head, parser, o.command == "probe");
    };
    try {
      check_output_target(role, target, in.files, recognise, earlier);
    } catch (const OutputError& e) {
      throw UsageError(e.what());
    }
    if (target == "-") {
      if (const auto [it, fresh] = seen.emplace("-", role); !fresh)
        throw UsageError(
            fmt::format("{} -: refused: {} writes to standard output already", role, it->second));
      continue;
    }
    std::error_code ec;
    const fs::path key = fs::weakly_canonical(target, ec);
    if (const auto [it, fresh] = seen.emplace(ec ? fs::path(target) : key, role); !fresh)
      throw UsageError(
          fmt::format("{} {}: refused: {} writes the same file", role, target, it->second));
  }
}

// Does an output of the command go to standard output ("-")? Then nothing else may.
bool writes_stdout(const Options& o) {
  return o.json_out == "-" || o.ecs == "-" || o.csv == "-" || o.timesketch == "-";
}

// --db: a database that fails (cannot be created, a full disk, SQLite's limits) is
// reported and dropped; the other outputs are still written, and the run exits 2.
class Database {
 public:
  explicit Database(const std::string& path) : path_(path) {
    if (!path.empty()) attempt([&] { store_ = std::make_unique<Store>(path); });
  }
  template <typename F>
  void use(F&& f) {
    if (store_) attempt([&] { f(*store_); });
  }
  bool wanted() const { return !path_.empty(); }
  bool failed() const { return failed_; }

 private:
  template <typename F>
  void attempt(F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      tell("--db " + path_ + ": " + e.what() + "; the database is not written");
      failed_ = true;
      store_.reset();  // removes its temporary file
    }
  }
  std::string path_;
  std::unique_ptr<Store> store_;
  bool failed_ = false;
};

// What a command does with the events of each file read: `prepare` runs on the worker
// thread that parsed the file (optional; thread-safe: NDJSON lines, rule matches), then
// `consume` on the calling thread, file after file in input order (it merges).
struct EventConsumer {
  std::function<void(FileResult&)> prepare;
  std::function<void(FileResult&)> consume;
};

// Parses every input; hands each file's events to `events`. Returns false when an input
// could not be read at all, or when nothing could be read.
bool read_inputs(const Options& o, const Registry& registry, const Inputs& in, Database* db,
                 const EventConsumer& events_of, size_t* parsed_files = nullptr) {
  const Discovery& found = in.found;
  bool ok = found.errors.empty();
  for (const auto& e : found.errors) tell(e);
  if (registry.with(HT_CAP_PARSE).empty()) {
    tell("no parser plugins loaded (see 'hellotrace plugins')");
    return false;
  }
  PipelineOptions po;
  po.threads = o.threads;
  po.options_json = options_json(o);
  po.force_parser = o.parser;
  po.max_field_bytes = o.max_field_bytes;
  po.prepare = events_of.prepare;
  Pipeline pipeline(registry, po);
  Progress progress(!o.quiet, found.files.size());
  uint64_t events = 0;
  size_t parsed = 0;
  std::vector<std::string> notes;  // files of a bundle that are no input (README, …)
  pipeline.run(found.files, [&](FileResult& r) {
    const std::string path = r.input.path.string();
    // A file a parser took but could not read anything from (it said so with an
    // error) was not read: counting it as read would turn damage into an all-clear.
    if (r.failed.empty() && r.events.empty() && r.container.empty())
      for (const auto& d : r.diagnostics)
        if (d.severity >= HT_DIAG_ERROR && r.failed.empty()) r.failed = d.message;
    const std::string status = !r.failed.empty()      ? "failed"
                               : !r.skipped.empty()   ? "skipped"
                               : !r.container.empty() ? "container"
                                                      : "parsed";
    int64_t source_id = 0;
    if (db)
      db->use([&](Store& s) {
        source_id = s.add_source(path, r.parser, r.input.size, status,
                                 !r.failed.empty()    ? r.failed
                                 : !r.skipped.empty() ? r.skipped
                                                      : r.container);
      });
    if (!r.failed.empty()) {
      tell(path + ": cannot read: " + r.failed);
      ok = false;
    } else if (r.not_an_input) {
      notes.push_back(r.input.path.filename().string());
    } else if (!r.skipped.empty()) {
      if (!o.quiet) tell("skipped " + path + ": " + r.skipped);
    } else if (r.container.empty()) {
      ++parsed;
    }
    for (const auto& d : r.diagnostics) {
      if (db)
        db->use([&](Store& s) { s.add_diagnostic(source_id, d.severity, d.position, d.message); });
      if (!o.quiet || d.severity >= HT_DIAG_ERROR)
        tell(format_diagnostic(r.cites.empty() ? path : r.cites, d));
    }
    if (db)
      db->use([&](Store& s) {
        for (const Event& e : r.events) s.add_event(source_id, e);
        s.set_source_events(source_id, r.events.size());
      });
    if (!r.events.empty()) events_of.consume(r);
    events += r.events.size();
    progress.update(r.inside ? 0 : r.input.size, events, !r.inside);
  });
  if (!notes.empty() && !o.quiet) {
    std::string list;
    for (size_t i = 0; i < notes.size(); ++i) list += (i ? ", " : " ") + notes[i];
    tell(fmt::format("skipped {} file(s) that are notes, not inputs:{}", notes.size(), list));
  }
  if (parsed_files) *parsed_files = parsed;
  if (parsed == 0) {
    // Nothing read is no all-clear: an empty or unreadable folder ends here.
    tell("nothing to analyze: " +
         (found.files.empty()
              ? std::string("no input file found")
              : fmt::format("none of the {} input file(s) could be read", found.files.size())));
    ok = false;
  }
  return ok;
}

std::optional<int64_t> parse_now(const Options& o) {
  if (o.now.empty()) return std::nullopt;
  auto now = time::parse_iso(o.now);
  // parse_iso() reads any two-digit offset; the zone after the time must be a real one.
  const size_t date = o.now.find_first_not_of(" \t");  // parse_iso() skips leading blanks
  const size_t time_part = date == std::string::npos ? date : o.now.find_first_of("Tt ", date + 10);
  const size_t zone =
      time_part == std::string::npos ? std::string::npos : o.now.find_first_of("+-", time_part);
  if (now && zone != std::string::npos && !zone_offset(std::string_view(o.now).substr(zone)))
    now.reset();
  if (!now)
    throw UsageError(
        "--now takes an ISO 8601 time such as 2025-01-31T12:00:00Z (zone within ±14:00), not '" +
        o.now + "'");
  return now;
}

struct Correlated {
  Report report;
  bool ok = true;
  size_t inputs = 0;          // files read
  bool nothing_read = false;  // inputs named, none readable, no probe: nothing to report on
};

// Inputs and probes → events → correlation, rules, key-sync reasoning and analyzer
// plugins → one report.
Correlated correlate(const Options& o, const RuleSet& rules, const Registry& registry,
                     const Inputs* inputs, Database* db) {
  Analyzers analyzers(registry);
  AnalysisOptions ao;
  ao.now = parse_now(o);
  ao.keep_kinds = analyzers.kinds();
  if (!analyzers.empty())
    ao.analyze = [&](const nlohmann::ordered_json& run) { return analyzers.run(run); };
  Analysis analysis(rules, ao);
  Correlated c;
  // A copy, not a pointer: the events of a file are freed once the file is read.
  std::optional<std::string> last_file;
  auto saw_file = [&](const Event& e) {
    if (!last_file || *last_file != e.file) {
      analyzers.saw_file(e.file);
      last_file = e.file;
    }
  };
  auto observe = [&](const Event& e) {
    saw_file(e);
    analysis.observe(e);
  };
  // Rules, summaries and phase signals of each event are worked out on the parse
  // workers; the calling thread only merges them into the run.
  using Prepared = std::vector<PreparedEvent>;
  EventConsumer consumer;
  consumer.prepare = [&](FileResult& r) {
    Prepared prepared;
    prepared.reserve(r.events.size());
    for (const Event& e : r.events) prepared.push_back(analysis.prepare(e));
    r.prepared = std::move(prepared);
  };
  consumer.consume = [&](FileResult& r) {
    auto& prepared = std::any_cast<Prepared&>(r.prepared);
    for (size_t i = 0; i < r.events.size(); ++i) {
      saw_file(r.events[i]);
      analysis.observe(r.events[i], std::move(prepared[i]));
    }
  };
  if (inputs) {
    c.ok = read_inputs(o, registry, *inputs, db, consumer, &c.inputs);
    c.nothing_read = c.inputs == 0 && o.probes.empty();
  }
  for (const std::string& name : o.probes) {
    const Plugin* p = registry.find(name);
    if (!p || !p->can(HT_CAP_PROBE))
      throw UsageError("--probe " + name +
                       ": no probe plugin of that name (see 'hellotrace plugins')");
    int64_t source_id = 0;
    if (db)
      db->use([&](Store& s) { source_id = s.add_source("probe:" + name, name, 0, "parsed", ""); });
    uint64_t events = 0;
    ProbeResult r = run_probe(*p, plugin_options_json(o).dump(), [&](Event& e) {
      if (db) db->use([&](Store& s) { s.add_event(source_id, e); });
      ++events;
      observe(e);
    });
    if (db) db->use([&](Store& s) { s.set_source_events(source_id, events); });
    for (const auto& m : r.messages) tell(m);
    if (!r.ok) {
      tell("probe " + name + " failed");
      c.ok = false;
    }
  }
  c.report = analysis.finish();
  for (const auto& m : analyzers.problems()) tell(m);
  return c;
}

int cmd_events(const Options& o) {
  if (o.help) return print_help(o), kExitOk;
  Registry registry;
  load_plugins(registry, o);
  const Inputs inputs = find_inputs(o);
  check_outputs(o, inputs, registry);
  Database db(o.db);
  std::string buffer;
  // After a failed write (a full disk) std::cout writes nothing more; check_stdout() in
  // main() says why.
  auto flush = [&] {
    std::cout.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    buffer.clear();
  };
  // The NDJSON lines of a file are formatted on the worker that parsed it; the calling
  // thread writes them in input order.
  EventConsumer consumer;
  consumer.prepare = [](FileResult& r) {
    std::string lines;
    for (const Event& e : r.events) append_event_line(lines, e);
    r.prepared = std::move(lines);
  };
  consumer.consume = [&](FileResult& r) {
    buffer += std::any_cast<std::string&>(r.prepared);
    if (buffer.size() >= (1 << 16)) flush();
  };
  bool ok = read_inputs(o, registry, inputs, &db, consumer);
  flush();
  db.use([](Store& s) { s.commit(); });
  return ok && !db.failed() ? kExitOk : kExitUsage;
}

// The inputs of a command that may also run probes only: none when only probes are named.
std::optional<Inputs> find_inputs_unless_probes_only(const Options& o) {
  if (o.paths.empty() && !o.probes.empty()) return std::nullopt;
  return find_inputs(o);
}

// Writes one output; a failure is reported and the other outputs still get written.
template <typename Writer>
bool write_output(const std::string& role, const std::string& path, Writer&& writer) {
  try {
    OutputFile file(role, path);
    writer(file.stream());
    file.commit();
    return true;
  } catch (const OutputError& e) {
    tell(e.what());
    return false;
  }
}

// Under --redact, stderr messages wait until the run's names are known (terminal.hpp)
// and then leave through the same redactor as the outputs; on an early exit, through
// one that knows only the shapes (GUIDs, SIDs, e-mail addresses).
class RedactedMessages {
 public:
  explicit RedactedMessages(bool on) : on_(on) {
    if (on_) hold_messages();
  }
  ~RedactedMessages() {
    if (on_) {
      Redaction shapes_only;
      release(shapes_only);
    }
  }
  void release(Redaction& redaction) {
    if (on_) release_messages([&](std::string_view m) { return redaction.message(m); });
    on_ = false;
  }

 private:
  bool on_;
};

int cmd_analyze(const Options& o) {
  if (o.help) return print_help(o), kExitOk;
  RedactedMessages messages(o.redact);
  if (!o.fail_on.empty() && severity_rank(o.fail_on) < 0)
    throw UsageError("--fail-on takes critical, high, medium or info, not '" + o.fail_on + "'");
  RuleSet rules = load_rules(o);
  for (const auto& p : rules.problems()) tell("rule file " + p.text());
  if (!rules.problems().empty()) return kExitUsage;
  Registry registry;
  load_plugins(registry, o);
  const std::optional<Inputs> inputs = find_inputs_unless_probes_only(o);
  check_outputs(o, inputs ? *inputs : Inputs{}, registry);
  Database db(o.db);

  // With --redact the database gets the (redacted) findings and evidence only: raw
  // events, sources and diagnostics would carry names and paths unredacted.
  Correlated run =
      correlate(o, rules, registry, inputs ? &*inputs : nullptr, o.redact ? nullptr : &db);
  if (run.nothing_read) return kExitUsage;  // no report of nothing: it would read as all-clear
  bool ok = run.ok;
  const size_t input_count = run.inputs;
  Report& report = run.report;
  Redaction redaction;
  if (o.redact) {
    redaction.apply(report);
    messages.release(redaction);
  }
  // The names of the outputs, as the summary shows them (they may name a person too).
  auto output_name = [&](const std::string& path) {
    return o.redact ? redaction.message(path) : path;
  };
  const int64_t reference = report.now;
  const int64_t started = wall_clock();
  const int64_t detected = detection_time(reference, started);
  if (!o.html.empty() || !o.markdown.empty()) {
    ReportMeta meta;
    meta.generated = started;
    meta.now = reference;
    meta.input_files = input_count;
    meta.redacted = o.redact;
    Report& shown = report;
    if (!o.user.empty())
      std::erase_if(shown.users, [&](const UserTimeline& t) {
        return !identity_is(shown.identities[t.identity], o.user);
      });
    if (!o.html.empty())
      ok &=
          write_output("--html", o.html, [&](std::ostream& out) { write_html(shown, out, meta); });
    if (!o.markdown.empty())
      ok &= write_output("--markdown", o.markdown,
                         [&](std::ostream& out) { write_markdown(shown, out, meta); });
  }
  std::vector<Finding> findings = std::move(report.findings);
  if (!o.user.empty())
    std::erase_if(findings, [&](const Finding& f) { return !subject_is(f.subject, o.user); });

  std::vector<std::string> lines;
  int worst = -1;
  for (const Finding& f : findings) {
    worst = std::max(worst, severity_rank(f.severity));
    lines.push_back(dump_line(finding_to_json(f, detected)));
  }
  if (!o.json_out.empty())
    ok &= write_output("--json", o.json_out, [&](std::ostream& out) {
      for (const std::string& line : lines) out << line << "\n";
    });
  if (!o.ecs.empty())
    ok &= write_output("--ecs", o.ecs, [&](std::ostream& out) {
      for (const Finding& f : findings) out << dump_line(finding_to_ecs(f, detected)) << "\n";
    });
  if (!o.csv.empty())
    ok &=
        write_output("--csv", o.csv, [&](std::ostream& out) { write_findings_csv(out, findings); });
  for (size_t i = 0; i < findings.size(); ++i)
    db.use([&](Store& s) { s.add_finding(findings[i], lines[i]); });
  db.use([&](Store& s) {
    s.set_meta("hellotrace_version", HELLOTRACE_VERSION);
    s.set_meta("reference_time", time::format_iso(reference));
    s.commit();
  });
  ok &= !db.failed();
  if (!writes_stdout(o)) {
    // The human summary goes to stdout unless stdout carries an output.
    std::cout << fmt::format("{} finding(s)", findings.size());
    if (reference != HT_NO_TIME) std::cout << " as of " << time::format_iso(reference);
    std::cout << "\n";
    for (const Finding& f : findings) {
      std::cout << fmt::format("  [{:<8}] {:<38} {}\n", shown(f.severity), shown(f.rule),
                               shown(f.summary));
      if (!f.evidence.empty()) {
        const Evidence& ev = f.evidence.front();
        std::string where = ev.file;
        if (ev.position.line != HT_NO_NUMBER)
          where += fmt::format(":{}", ev.position.line);
        else if (ev.position.record != HT_NO_NUMBER)
          where += fmt::format(" record {}", ev.position.record);
        std::cout << fmt::format("             evidence: {}{}\n", shown(where),
                                 shown(ev.excerpt.empty() ? "" : " (" + ev.excerpt + ")"));
      }
      std::cout << fmt::format("             fix: {}\n", shown(f.remediation));
    }
    if (!o.db.empty() && !db.failed())
      std::cout << fmt::format("database: {}\n", shown(output_name(o.db)));
    if (!o.json_out.empty())
      std::cout << fmt::format("findings (NDJSON): {}\n", shown(output_name(o.json_out)));
    if (!o.ecs.empty()) std::cout << fmt::format("findings (ECS): {}\n", shown(output_name(o.ecs)));
    if (!o.csv.empty()) std::cout << fmt::format("findings (CSV): {}\n", shown(output_name(o.csv)));
    if (!o.html.empty() && o.html != "-")
      std::cout << fmt::format("report (HTML): {}\n", shown(output_name(o.html)));
    if (!o.markdown.empty() && o.markdown != "-")
      std::cout << fmt::format("report (Markdown): {}\n", shown(output_name(o.markdown)));
  }
  if (!ok) return kExitUsage;
  if (!o.fail_on.empty() && worst >= severity_rank(o.fail_on)) return kExitFindings;
  return kExitOk;
}

// "FILE:LINE", "FILE record N", for the timeline text (escaped).
std::string where(std::string_view file, const Position& p) {
  if (p.line != HT_NO_NUMBER) return fmt::format("{}:{}", shown(file), p.line);
  if (p.record != HT_NO_NUMBER) return fmt::format("{} record {}", shown(file), p.record);
  if (p.offset != HT_NO_NUMBER) return fmt::format("{} offset 0x{:x}", shown(file), p.offset);
  return fmt::format("{}", shown(file));
}

std::string time_text(int64_t t) {
  return t == HT_NO_TIME ? std::string(27, ' ').replace(0, 7, "(no time)") : time::format_iso(t);
}

int cmd_timeline(const Options& o) {
  if (o.help) return print_help(o), kExitOk;
  RedactedMessages messages(o.redact);
  RuleSet rules = load_rules(o);
  for (const auto& p : rules.problems()) tell("rule file " + p.text());
  if (!rules.problems().empty()) return kExitUsage;
  Registry registry;
  load_plugins(registry, o);
  const std::optional<Inputs> inputs = find_inputs_unless_probes_only(o);
  check_outputs(o, inputs ? *inputs : Inputs{}, registry);
  Correlated run = correlate(o, rules, registry, inputs ? &*inputs : nullptr, nullptr);
  if (run.nothing_read) return kExitUsage;
  bool ok = run.ok;
  if (o.redact) {  // a story to paste into a ticket, names replaced
    Redaction redaction;
    redaction.apply(run.report);
    messages.release(redaction);
  }
  if (!o.user.empty())
    std::erase_if(run.report.users, [&](const UserTimeline& t) {
      return !identity_is(run.report.identities[t.identity], o.user);
    });
  const Report& report = run.report;
  if (!o.timesketch.empty()) {
    TimesketchStats stats;
    ok &= write_output("--timesketch", o.timesketch,
                       [&](std::ostream& out) { stats = write_timesketch(out, report); });
    if (stats.untimed)
      tell(fmt::format("--timesketch: {} event(s) without a time left out (a timeline needs one)",
                       stats.untimed));
    if (stats.omitted)
      tell(fmt::format("--timesketch: {} event(s) the timelines did not keep left out",
                       stats.omitted));
    if (o.timesketch == "-") return ok ? kExitOk : kExitUsage;  // stdout carries the JSONL
  }
  std::cout << fmt::format("hellotrace timeline — {} user(s), reference time {}\n",
                           report.users.size(),
                           report.now == HT_NO_TIME ? "unknown" : time::format_iso(report.now));
  if (report.sync.scheduler) {
    const SchedulerState& s = *report.sync.scheduler;
    auto b = [](const std::optional<bool>& v) { return v ? (*v ? "True" : "False") : "?"; };
    std::cout << fmt::format(
        "Entra Connect scheduler: enabled {}, suspended {}, staging {}, interval {}, next start "
        "{}\n",
        b(s.enabled), b(s.suspended), b(s.staging),
        s.interval_seconds > 0 ? fmt::format("{} min", s.interval_seconds / 60) : "?",
        s.next_start == HT_NO_TIME ? "?" : time::format_iso(s.next_start));
  }
  for (const auto& c : report.conflicts)
    std::cout << fmt::format("identity conflict: not merged {} and {} ({}) at {}\n", shown(c.kept),
                             shown(c.refused), shown(c.reason), where(c.file, c.at));
  for (const UserTimeline& t : report.users) {
    const Identity& id = report.identities[t.identity];
    if (!o.user.empty() && !identity_is(id, o.user)) continue;
    std::cout << fmt::format("\n== {}\n", shown(id.display()));
    auto list = [](const char* label, const std::vector<std::string>& v) {
      if (v.empty()) return;
      std::cout << "   " << label << ": ";
      for (size_t i = 0; i < v.size(); ++i)
        std::cout << (i ? ", " : "") << fmt::format("{}", shown(v[i]));
      std::cout << "\n";
    };
    list("UPN", id.upns);
    list("SID", id.sids);
    list("DN", id.dns);
    list("account", id.sams);
    list("NGC keys", id.ngc_keys);
    for (int d : t.devices) {
      const Identity& dev = report.identities[d];
      std::cout << fmt::format("   device: {}", shown(dev.display()));
      if (!dev.device_ids.empty()) std::cout << fmt::format(" ({})", shown(dev.device_ids.front()));
      std::cout << "\n";
    }
    for (const Merge& m : id.merges)
      std::cout << fmt::format("   tied: {} = {} ({})\n", shown(m.a), shown(m.b),
                               where(m.file, m.at));
    std::cout << "  Phases\n";
    for (const PhaseStatus& p : t.phases) {
      std::cout << fmt::format(
          "   [{:<7}] {:<36} {}", phase_state_name(p.state), phase_title(p.phase),
          shown(p.state == PhaseState::kUnknown ? "no source covers it" : p.note));
      if (p.time != HT_NO_TIME) std::cout << "  @ " << time::format_iso(p.time);
      if (p.evidence) std::cout << "  (" << where(p.evidence->file, p.evidence->position) << ")";
      std::cout << "\n";
    }
    std::cout << "  Events\n";
    for (const TimelineEntry& e : t.entries)
      std::cout << fmt::format(
          "   {}  {:<28} {:<9} {}  [{}]{}\n", time_text(e.time), shown(e.kind),
          shown(e.event_id == HT_NO_EVENT_ID ? std::string(e.source)
                                             : fmt::format("{} {}", e.source, e.event_id)),
          shown(e.summary), where(e.file, e.origin),
          e.superseded_by.empty() ? std::string()
                                  : fmt::format("  (superseded by {})", shown(e.superseded_by)));
    if (t.entries_omitted)
      std::cout << fmt::format("   … {} more events not shown\n", t.entries_omitted);
    std::cout << "  Blockers\n";
    if (t.findings.empty()) std::cout << "   none found\n";
    for (size_t i : t.findings) {
      const Finding& f = report.findings[i];
      std::cout << fmt::format("   [{}] {}: {}\n        fix: {}\n", shown(f.severity),
                               shown(f.rule), shown(f.summary), shown(f.remediation));
    }
  }
  std::vector<const Finding*> tenant;
  for (const Finding& f : report.findings)
    if (!f.subject.names_user()) tenant.push_back(&f);
  if (!tenant.empty()) {
    std::cout << "\n== tenant-wide / device\n";
    for (const Finding* f : tenant)
      std::cout << fmt::format("   [{}] {}: {}\n        fix: {}\n", shown(f->severity),
                               shown(f->rule), shown(f->summary), shown(f->remediation));
  }
  return ok ? kExitOk : kExitUsage;
}

int cmd_probe(const Options& o) {
  if (o.help) return print_help(o), kExitOk;
  if (o.paths.size() != 1)
    throw UsageError("probe takes one plugin name (see 'hellotrace plugins')");
  Registry registry;
  load_plugins(registry, o);
  const Plugin* p = registry.find(o.paths.front());
  if (!p || !p->can(HT_CAP_PROBE))
    throw UsageError(o.paths.front() + ": no probe plugin of that name (see 'hellotrace plugins')");
  check_outputs(o, Inputs{}, registry);
  ProbeResult r;
  const bool written =
      write_output("--json", o.json_out.empty() ? "-" : o.json_out, [&](std::ostream& out) {
        std::string line;
        r = run_probe(*p, plugin_options_json(o).dump(), [&](Event& e) {
          line.clear();
          append_event_line(line, e);
          out << line;
        });
      });
  for (const auto& m : r.messages) tell(m);
  return r.ok && written ? kExitOk : kExitUsage;
}

int cmd_plan(const Options& o) {
  if (o.help) return print_help(o), kExitOk;
  if (o.out_dir.empty()) throw UsageError("plan needs --out DIR for the plan's files");
  RuleSet rules = load_rules(o);
  for (const auto& p : rules.problems()) tell("rule file " + p.text());
  if (!rules.problems().empty()) return kExitUsage;
  Registry registry;
  load_plugins(registry, o);
  std::vector<const Plugin*> actions;
  for (const std::string& name : o.actions) {
    const Plugin* p = registry.find(name);
    if (!p || !p->can(HT_CAP_ACT))
      throw UsageError("--action " + name + ": no action plugin of that name");
    actions.push_back(p);
  }
  if (o.actions.empty()) actions = registry.with(HT_CAP_ACT);
  if (actions.empty()) throw UsageError("no action plugin loaded (see 'hellotrace plugins')");

  const std::optional<Inputs> inputs = find_inputs_unless_probes_only(o);
  std::unique_ptr<OutputFolder> out;
  try {
    out = std::make_unique<OutputFolder>("--out", o.out_dir, o.force,
                                         inputs ? inputs->files : InputSet{});
  } catch (const OutputError& e) {
    throw UsageError(e.what());
  }
  Correlated run = correlate(o, rules, registry, inputs ? &*inputs : nullptr, nullptr);
  if (run.nothing_read) return kExitUsage;
  nlohmann::ordered_json input = people_json(run.report);
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const Finding& f : run.report.findings)
    if (o.user.empty() || subject_is(f.subject, o.user))
      findings.push_back(finding_to_json(f, detection_time(run.report.now, wall_clock())));
  const size_t count = findings.size();
  input["findings"] = std::move(findings);
  input["options"] = plugin_options_json(o);
  bool ok = run.ok;
  for (const Plugin* p : actions) {
    const ActionResult r = run_action(*p, input, *out);
    for (const auto& m : r.messages) tell(m);
    for (const auto& f : r.written) std::cout << fmt::format("{}\n", shown(f.string()));
    if (!r.ok) {
      tell("action " + p->name() + " failed");
      ok = false;
    }
  }
  try {
    out->finish();
  } catch (const OutputError& e) {
    tell(e.what());
    ok = false;
  }
  tell(fmt::format("plan for {} finding(s) written to {}", count, o.out_dir));
  return ok ? kExitOk : kExitUsage;
}

int cmd_plugins(const Options& o) {
  if (o.help) return print_help(o), kExitOk;
  Registry registry;
  load_plugins(registry, o);
  if (o.json_list) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : registry.plugins())
      list.push_back(
          {{"name", p->name()},
           {"kind", p->kinds_text()},
           {"version", p->version()},
           {"description", p->table().description ? p->table().description : ""},
           {"formats", p->formats()},
           {"event_kinds", p->event_kinds()},
           {"consumes", p->consumes()},
           {"api_version", fmt::format("{}.{}.{}", p->table().api_version_major,
                                       p->table().api_version_minor, p->table().api_version_patch)},
           {"path", p->path().string()}});
    std::cout << dump_line(list) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("{:<14} {:<16} {:<9} {:<40} {}\n", "NAME", "KIND", "VERSION", "FORMATS",
                           "PATH");
  for (const auto& p : registry.plugins()) {
    std::string formats;
    for (const auto& f : p->formats()) formats += (formats.empty() ? "" : ",") + f;
    std::cout << fmt::format("{:<14} {:<16} {:<9} {:<40} {}\n", shown(p->name()),
                             shown(p->kinds_text()), shown(p->version()), shown(formats),
                             shown(p->path().string()));
  }
  if (registry.plugins().empty()) {
    std::cout << "(no plugins found; searched:";
    for (const auto& d : registry.searched()) std::cout << fmt::format(" {}", shown(d.string()));
    std::cout << ")\n";
  }
  return kExitOk;
}

int cmd_rules(const Options& o) {
  if (o.help) return print_help(o), kExitOk;
  if (!o.validate.empty()) {
    RuleSet rules;
    std::error_code ec;
    if (!fs::exists(o.validate, ec)) throw UsageError(o.validate + ": no such file or folder");
    rules.load(o.validate);
    for (const auto& p : rules.problems()) std::cout << fmt::format("{}\n", shown(p.text()));
    std::cout << fmt::format("{} rule(s) valid, {} problem(s)\n", rules.rules().size(),
                             rules.problems().size());
    return rules.problems().empty() ? kExitOk : kExitUsage;
  }
  RuleSet rules = load_rules(o);
  for (const auto& p : rules.problems()) tell("rule file " + p.text());
  if (o.json_list) {
    nlohmann::json list = nlohmann::json::array();
    for (const Rule& r : rules.rules()) {
      list.push_back({{"id", r.id},
                      {"severity", r.severity},
                      {"title", r.title},
                      {"category", r.category},
                      {"file", r.file},
                      {"line", r.line},
                      {"documentation", r.documentation}});
      if (!r.by.empty()) list.back()["by"] = r.by;  // computed by that plugin, not matched
    }
    std::cout << dump_line(list) << "\n";
  } else {
    for (const Rule& r : rules.rules())
      std::cout << fmt::format("{:<40} {:<8} {}\n", shown(r.id), shown(r.severity), shown(r.title));
  }
  return rules.problems().empty() ? kExitOk : kExitUsage;
}

// Parses the command line and runs the command; returns the exit code.
int run_command(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  if (o.command.empty()) {
    if (o.version) return std::cout << "hellotrace " << HELLOTRACE_VERSION << "\n", kExitOk;
    std::cout << cli::main_help();
    return o.help ? kExitOk : kExitUsage;
  }
  if (o.version) {
    std::cout << "hellotrace " << HELLOTRACE_VERSION << " (plugin API "
              << HT_PLUGIN_API_VERSION_MAJOR << "." << HT_PLUGIN_API_VERSION_MINOR << "."
              << HT_PLUGIN_API_VERSION_PATCH << ")\n";
    return kExitOk;
  }
  check_timezone(o.timezone);
  check_options_apply(o);
  if (o.command == "analyze") return cmd_analyze(o);
  if (o.command == "events") return cmd_events(o);
  if (o.command == "timeline") return cmd_timeline(o);
  if (o.command == "plugins") return cmd_plugins(o);
  if (o.command == "probe") return cmd_probe(o);
  if (o.command == "plan") return cmd_plan(o);
  if (o.command == "rules") return cmd_rules(o);
  throw UsageError("unknown command '" + o.command + "' (try 'hellotrace --help')");
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  install_checked_stdout();
  install_output_signal_handlers();
  int code = kExitUsage;
  try {
    code = run_command(argc, argv);
  } catch (const UsageError& e) {
    tell(e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    tell(std::string("error: ") + e.what());
    return kExitUsage;
  }
  // Data lost on the way to stdout (a full disk, /dev/full) is a failed run, whatever
  // the command thought it wrote.
  try {
    check_stdout();
  } catch (const OutputError& e) {
    tell(e.what());
    return kExitUsage;
  }
  return code;
}
