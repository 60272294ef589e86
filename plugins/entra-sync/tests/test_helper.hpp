// Runs the entra-sync plugin in-process, through its C table exactly as the host does
// (include/hellotrace/plugin_testing.hpp), and collects what it reports in the shape
// these tests use.
#pragma once

#include <cstdint>
#include <hellotrace/plugin_testing.hpp>
#include <string>
#include <string_view>
#include <vector>

extern "C" const ht_plugin* ht_plugin_entra_sync(void);

namespace entra_sync_test {

struct Diagnostic {
  int severity;
  uint64_t line;
  std::string message;
};

struct Result {
  int rc = -1;
  std::vector<hellotrace::Event> events;
  std::vector<Diagnostic> diagnostics;

  size_t count(int severity) const {
    size_t n = 0;
    for (const auto& d : diagnostics) n += d.severity == severity;
    return n;
  }
};

inline std::string sample_path(std::string_view name) {
  return std::string(HT_SOURCE_DIR) + "/plugins/entra-sync/samples/" + std::string(name);
}

inline std::string read_file(const std::string& path) {
  return hellotrace::harness::PluginUnderTest::read_file(path);
}

class Plugin {
 public:
  Plugin() : harness_(ht_plugin_entra_sync()) {}

  const ht_plugin* table() const { return ht_plugin_entra_sync(); }

  int sniff(std::string_view bytes, std::string_view name) const {
    return harness_.sniff(std::string(bytes), std::string(name));
  }

  // `stop_after`: the sink asks to stop after that many events (0: never).
  Result parse(std::string_view bytes, std::string_view path = "input.txt", size_t stop_after = 0,
               std::string_view options = "{}") const {
    auto run =
        harness_.parse(std::string(bytes), std::string(path), std::string(options), stop_after);
    Result r;
    r.rc = run.status;
    r.events = std::move(run.events);
    for (auto& e : r.events) e.file.clear();  // these tests look at what the plugin itself sent
    for (auto& d : run.diagnostics)
      r.diagnostics.push_back({d.severity, d.position.line, std::move(d.message)});
    return r;
  }

  Result parse_sample(std::string_view name, std::string_view options = "{}") const {
    const std::string path = sample_path(name);
    return parse(read_file(path), path, 0, options);
  }

 private:
  hellotrace::harness::PluginUnderTest harness_;
};

}  // namespace entra_sync_test
