// Runs the entra-sync plugin in-process, through its C table exactly as the host does, and
// collects what it reports.
#pragma once

#include <hellotrace/plugin_api.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <hellotrace/event.hpp>
#include <iterator>
#include <stdexcept>
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
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class Plugin {
 public:
  Plugin() : table_(ht_plugin_entra_sync()) {
    instance_ = table_->init(ht_str{"{}", 2}, nullptr, nullptr);
    if (!instance_) throw std::runtime_error("entra-sync init failed");
  }
  ~Plugin() { table_->destroy(instance_); }
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  const ht_plugin* table() const { return table_; }

  int sniff(std::string_view bytes, std::string_view name) const {
    const size_t n = bytes.size() < HT_SNIFF_PREFIX_SIZE ? bytes.size() : HT_SNIFF_PREFIX_SIZE;
    return table_->sniff(instance_, reinterpret_cast<const uint8_t*>(bytes.data()), n,
                         ht_str{name.data(), name.size()});
  }

  // `stop_after`: the sink asks to stop after that many events (0: never).
  Result parse(std::string_view bytes, std::string_view path = "input.txt", size_t stop_after = 0,
               std::string_view options = "{}") const {
    Result r;
    Context ctx{&r, stop_after};
    ht_event_sink sink{&ctx, &on_event, &on_diagnostic};
    ht_source src{};
    src.struct_size = sizeof src;
    src.path = ht_str{path.data(), path.size()};
    src.data = reinterpret_cast<const uint8_t*>(bytes.data());
    src.size = bytes.size();
    src.options_json = ht_str{options.data(), options.size()};
    r.rc = table_->parse(instance_, &src, &sink);
    return r;
  }

  Result parse_sample(std::string_view name, std::string_view options = "{}") const {
    const std::string path = sample_path(name);
    return parse(read_file(path), path, 0, options);
  }

 private:
  struct Context {
    Result* result;
    size_t stop_after;
  };
  static int on_event(void* c, const ht_event* e) {
    auto* ctx = static_cast<Context*>(c);
    ctx->result->events.push_back(hellotrace::event_from_abi(*e));
    return ctx->stop_after != 0 && ctx->result->events.size() >= ctx->stop_after ? 1 : 0;
  }
  static void on_diagnostic(void* c, const ht_diagnostic* d) {
    auto* ctx = static_cast<Context*>(c);
    ctx->result->diagnostics.push_back(
        {d->severity, d->position.line, std::string(hellotrace::from_ht(d->message))});
  }

  const ht_plugin* table_;
  void* instance_ = nullptr;
};

}  // namespace entra_sync_test
