// In-process harness for plugin tests: runs a plugin table's sniff()/parse() on
// bytes or a file, probe() on options, analyze()/act() on JSON, without building or
// loading a shared library, and collects what it emits. Header-only; for tests and
// fuzz targets.
#pragma once

#include <hellotrace/plugin_api.h>

#include <fstream>
#include <hellotrace/event.hpp>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace hellotrace::harness {

struct Diagnostic {
  int severity;
  Position position;
  std::string message;
};

struct ParseRun {
  int status = HT_OK;
  std::vector<Event> events;
  std::vector<Diagnostic> diagnostics;
  size_t count(std::string_view kind) const {
    size_t n = 0;
    for (const auto& e : events) n += e.kind == kind;
    return n;
  }
  size_t warnings() const {
    size_t n = 0;
    for (const auto& d : diagnostics) n += d.severity >= HT_DIAG_WARNING;
    return n;
  }
  size_t diagnostics_of(int severity) const {  // of exactly this severity
    size_t n = 0;
    for (const auto& d : diagnostics) n += d.severity == severity;
    return n;
  }
};

// What analyze() or act() sent back.
struct OutputRun {
  int status = HT_OK;
  std::vector<nlohmann::json> findings;                        // each as the plugin sent it, parsed
  std::vector<std::pair<std::string, std::string>> artifacts;  // name, content
  std::vector<Diagnostic> diagnostics;
  std::vector<const nlohmann::json*> with_rule(std::string_view rule) const {
    std::vector<const nlohmann::json*> out;
    for (const auto& f : findings)
      if (f.value("rule", "") == rule) out.push_back(&f);
    return out;
  }
  const std::string* artifact(std::string_view name) const {
    for (const auto& [n, c] : artifacts)
      if (n == name) return &c;
    return nullptr;
  }
};

// One plugin instance, destroyed with the object.
class PluginUnderTest {
 public:
  explicit PluginUnderTest(const ht_plugin* table, const std::string& config = "{}")
      : table_(table) {
    instance_ = table_->init(ht_str{config.data(), config.size()}, nullptr, nullptr);
    if (!instance_) throw std::runtime_error(std::string("init failed for plugin ") + table_->name);
  }
  ~PluginUnderTest() { table_->destroy(instance_); }
  PluginUnderTest(const PluginUnderTest&) = delete;
  PluginUnderTest& operator=(const PluginUnderTest&) = delete;

  int sniff(const std::string& bytes, const std::string& name = "input") const {
    const size_t n = bytes.size() < HT_SNIFF_PREFIX_SIZE ? bytes.size() : HT_SNIFF_PREFIX_SIZE;
    return table_->sniff(instance_, reinterpret_cast<const uint8_t*>(bytes.data()), n,
                         ht_str{name.data(), name.size()});
  }

  // `stop_after`: the sink asks the plugin to stop after that many events (0: never).
  ParseRun parse(const std::string& bytes, const std::string& path = "input",
                 const std::string& options_json = "{}", size_t stop_after = 0) const {
    ParseRun run;
    Collect collect{&run, stop_after};
    ht_event_sink sink{&collect, &emit, &diagnose};
    ht_source src{};
    src.struct_size = sizeof src;
    src.path = ht_str{path.data(), path.size()};
    src.data = reinterpret_cast<const uint8_t*>(bytes.data());
    src.size = bytes.size();
    src.options_json = ht_str{options_json.data(), options_json.size()};
    run.status = table_->parse(instance_, &src, &sink);
    for (auto& e : run.events) e.file = path;
    return run;
  }

  ParseRun parse_file(const std::string& path, const std::string& options_json = "{}") const {
    return parse(read_file(path), path, options_json);
  }

  ParseRun probe(const std::string& options_json = "{}") const {
    ParseRun run;
    Collect collect{&run, 0};
    ht_event_sink sink{&collect, &emit, &diagnose};
    run.status = table_->probe(instance_, ht_str{options_json.data(), options_json.size()}, &sink);
    return run;
  }

  // A finding that is not valid JSON is kept as a JSON string, for the test to see.
  // Json: nlohmann::json or ordered_json (analysis_input.hpp builds the latter); a
  // braced initializer list is a nlohmann::json.
  template <class Json = nlohmann::json>
  OutputRun analyze(const Json& input) const {
    return output(table_->analyze, input);
  }
  template <class Json = nlohmann::json>
  OutputRun act(const Json& input) const {
    return output(table_->act, input);
  }

  static std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  struct Collect {
    ParseRun* run;
    size_t stop_after;
  };
  static int emit(void* ctx, const ht_event* ev) {
    auto* c = static_cast<Collect*>(ctx);
    c->run->events.push_back(event_from_abi(*ev));
    return c->stop_after != 0 && c->run->events.size() >= c->stop_after ? 1 : 0;
  }
  static void diagnose(void* ctx, const ht_diagnostic* d) {
    static_cast<Collect*>(ctx)->run->diagnostics.push_back(
        {d->severity,
         {d->position.line, d->position.offset, d->position.record},
         std::string(from_ht(d->message))});
  }
  using OutputEntry = int (*)(void*, ht_str, const ht_output_sink*);
  template <class Json>  // nlohmann::json or ordered_json
  OutputRun output(OutputEntry entry, const Json& input) const {
    OutputRun run;
    // As the host does: invalid UTF-8 from an input becomes U+FFFD, never an exception.
    const std::string text = input.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    ht_output_sink sink{&run, &emit_finding, &emit_artifact, &diagnose_output};
    run.status = entry(instance_, ht_str{text.data(), text.size()}, &sink);
    return run;
  }
  static int emit_finding(void* ctx, ht_str finding) {
    const std::string text(from_ht(finding));
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    static_cast<OutputRun*>(ctx)->findings.push_back(j.is_discarded() ? nlohmann::json(text) : j);
    return 0;
  }
  static int emit_artifact(void* ctx, ht_str name, ht_str content) {
    static_cast<OutputRun*>(ctx)->artifacts.emplace_back(std::string(from_ht(name)),
                                                         std::string(from_ht(content)));
    return 0;
  }
  static void diagnose_output(void* ctx, const ht_diagnostic* d) {
    static_cast<OutputRun*>(ctx)->diagnostics.push_back(
        {d->severity,
         {d->position.line, d->position.offset, d->position.record},
         std::string(from_ht(d->message))});
  }
  const ht_plugin* table_;
  void* instance_ = nullptr;
};

}  // namespace hellotrace::harness
