// C++ side of the plugin ABI: write a plugin as a class, get the C table for free.
//
//   class MyParser : public hellotrace::sdk::Plugin {
//    public:
//     explicit MyParser(const nlohmann::json& config) {}
//     int sniff(std::span<const uint8_t> prefix, std::string_view name) const override;
//     void parse(const hellotrace::sdk::Source& src, hellotrace::sdk::EventSink& out) const
//     override;
//   };
//   HT_DEFINE_PLUGIN(my_parser, MyParser, (hellotrace::sdk::Info{
//       "my-parser", "1.0.0", "Reads ...", HT_CAP_PARSE, {"fmt"}, {"kind.x"}}))
//
// HT_DEFINE_PLUGIN gives `extern "C" const ht_plugin* ht_plugin_my_parser(void)`
// that tests call in-process; the shared library adds HT_EXPORT_PLUGIN(my_parser)
// (cmake's hellotrace_add_plugin does it) to export it as hellotrace_plugin_entry.
//
// The SDK keeps the ABI's promises for the plugin: exceptions never cross the
// boundary (they become HT_DIAG_ERROR diagnostics and HT_FAILED), strings are
// passed as views valid for the callback only, and emit() reports when the host
// asked to stop.
#pragma once

#include <hellotrace/plugin_api.h>

#include <cstdint>
#include <exception>
#include <hellotrace/event.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hellotrace::sdk {

// Thrown by a sink when the host asked to stop; caught by the SDK.
struct StopRequested {};

inline void send_diagnostic(void (*fn)(void*, const ht_diagnostic*), void* ctx, int severity,
                            const Position& at, std::string_view message) {
  if (!fn) return;
  ht_diagnostic d{};
  d.struct_size = sizeof d;
  d.severity = severity;
  d.position = {at.line, at.offset, at.record};
  d.message = to_ht(message);
  fn(ctx, &d);
}

class EventSink {
 public:
  explicit EventSink(const ht_event_sink* sink) : sink_(sink) {}
  // Sends an event; throws StopRequested when the host wants no more.
  void emit(const Event& event) {
    ++emitted_;
    EventView view(event);
    if (sink_->emit(sink_->context, view.get()) != 0) throw StopRequested{};
  }
  void diagnose(int severity, const Position& at, std::string_view message) {
    if (severity >= HT_DIAG_WARNING) ++problems_;
    send_diagnostic(sink_->diagnose, sink_->context, severity, at, message);
  }
  void info(const Position& at, std::string_view m) { diagnose(HT_DIAG_INFO, at, m); }
  void warning(const Position& at, std::string_view m) { diagnose(HT_DIAG_WARNING, at, m); }
  void error(const Position& at, std::string_view m) { diagnose(HT_DIAG_ERROR, at, m); }
  uint64_t emitted() const { return emitted_; }
  uint64_t problems() const { return problems_; }

 private:
  const ht_event_sink* sink_;
  uint64_t emitted_ = 0;
  uint64_t problems_ = 0;
};

class OutputSink {
 public:
  explicit OutputSink(const ht_output_sink* sink) : sink_(sink) {}
  void finding(const nlohmann::json& f) {
    const std::string text = f.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (!sink_->emit_finding || sink_->emit_finding(sink_->context, to_ht(text)) != 0)
      throw StopRequested{};
  }
  void artifact(std::string_view name, std::string_view content) {
    if (!sink_->emit_artifact ||
        sink_->emit_artifact(sink_->context, to_ht(name), to_ht(content)) != 0)
      throw StopRequested{};
  }
  void diagnose(int severity, std::string_view message) {
    send_diagnostic(sink_->diagnose, sink_->context, severity, Position{}, message);
  }

 private:
  const ht_output_sink* sink_;
};

// Where split() sends the parts of a container (ABI 1.2).
class PartSink {
 public:
  explicit PartSink(const ht_part_sink* sink) : sink_(sink) {}
  // Sends a part; throws StopRequested when the host wants no more. `first_line` is the
  // container's line of the part's first line (HT_NO_NUMBER: none maps).
  void part(std::string_view name, std::string_view data, uint64_t first_line,
            std::string_view label) {
    ht_part p{};
    p.struct_size = sizeof p;
    p.name = to_ht(name);
    p.label = to_ht(label);
    p.data = reinterpret_cast<const uint8_t*>(data.data());
    p.size = data.size();
    p.first_line = first_line;
    if (sink_->part(sink_->context, &p) != 0) throw StopRequested{};
  }
  void diagnose(int severity, const Position& at, std::string_view message) {
    send_diagnostic(sink_->diagnose, sink_->context, severity, at, message);
  }

 private:
  const ht_part_sink* sink_;
};

struct Source {
  std::string_view path;
  std::span<const uint8_t> data;
  nlohmann::json options;  // object; "timezone" etc.
};

// Base of every plugin: override what the capabilities promise.
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual int sniff(std::span<const uint8_t> /*prefix*/, std::string_view /*name*/) const {
    return 0;
  }
  virtual void parse(const Source& /*source*/, EventSink& /*out*/) const {}
  virtual void split(const Source& /*source*/, PartSink& /*out*/) const {}
  virtual void probe(const nlohmann::json& /*options*/, EventSink& /*out*/) const {}
  virtual void analyze(const nlohmann::json& /*timelines*/, OutputSink& /*out*/) const {}
  virtual void act(const nlohmann::json& /*input*/, OutputSink& /*out*/) const {}
};

struct Info {
  const char* name;
  const char* version;
  const char* description;
  uint32_t capabilities;
  std::vector<const char*> formats;
  std::vector<const char*> event_kinds;
  std::vector<const char*> consumes = {};  // analyzers: kinds of their input events
};

namespace detail {

inline nlohmann::json parse_json_or_empty(ht_str text) {
  const std::string_view s = from_ht(text);
  if (s.empty()) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(s, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

// Runs `body`, turning a stop request into HT_STOPPED and any exception into a
// diagnostic plus HT_FAILED.
template <class Diagnose, class Body>
int guarded(Diagnose&& diagnose, Body&& body) {
  try {
    body();
    return HT_OK;
  } catch (const StopRequested&) {
    return HT_STOPPED;
  } catch (const std::exception& e) {
    diagnose(std::string("plugin error: ") + e.what());
  } catch (...) {
    diagnose(std::string("plugin error: unknown exception"));
  }
  return HT_FAILED;
}

template <class Impl>
struct Table {
  static std::vector<const char*> terminated(std::vector<const char*> v) {
    v.push_back(nullptr);
    return v;
  }

  static const ht_plugin* get(const Info& info) {
    static const Info kept = info;
    static const std::vector<const char*> formats = terminated(kept.formats);
    static const std::vector<const char*> kinds = terminated(kept.event_kinds);
    static const std::vector<const char*> consumes = terminated(kept.consumes);
    static const ht_plugin table = [] {
      ht_plugin t{};
      t.struct_size = sizeof t;
      t.api_version_major = HT_PLUGIN_API_VERSION_MAJOR;
      t.api_version_minor = HT_PLUGIN_API_VERSION_MINOR;
      t.api_version_patch = HT_PLUGIN_API_VERSION_PATCH;
      t.name = kept.name;
      t.version = kept.version;
      t.description = kept.description;
      t.capabilities = kept.capabilities;
      t.formats = formats.data();
      t.event_kinds = kinds.data();
      t.consumes = consumes.data();
      t.init = &init;
      t.destroy = &destroy;
      if (kept.capabilities & (HT_CAP_PARSE | HT_CAP_SPLIT)) t.sniff = &sniff;
      if (kept.capabilities & HT_CAP_PARSE) t.parse = &parse;
      if (kept.capabilities & HT_CAP_SPLIT) t.split = &split;
      if (kept.capabilities & HT_CAP_PROBE) t.probe = &probe;
      if (kept.capabilities & HT_CAP_ANALYZE) t.analyze = &analyze;
      if (kept.capabilities & HT_CAP_ACT) t.act = &act;
      return t;
    }();
    return &table;
  }

  static void* init(ht_str config, void (*diag)(void*, const ht_diagnostic*), void* ctx) {
    Impl* made = nullptr;
    guarded([&](const std::string& m) { send_diagnostic(diag, ctx, HT_DIAG_ERROR, {}, m); },
            [&] { made = new Impl(parse_json_or_empty(config)); });
    return made;
  }
  static void destroy(void* instance) { delete static_cast<Impl*>(instance); }

  static int sniff(void* instance, const uint8_t* prefix, size_t size, ht_str name) {
    try {
      const int score = static_cast<const Impl*>(instance)->sniff(
          std::span<const uint8_t>(prefix, size), from_ht(name));
      return score < 0 ? 0 : score > 100 ? 100 : score;
    } catch (...) {
      return 0;
    }
  }
  static Source source_of(const ht_source* src) {
    return {from_ht(src->path), std::span<const uint8_t>(src->data, src->size),
            parse_json_or_empty(src->options_json)};
  }
  static int parse(void* instance, const ht_source* src, const ht_event_sink* sink) {
    EventSink out(sink);
    return guarded([&](const std::string& m) { out.error({}, m); },
                   [&] { static_cast<const Impl*>(instance)->parse(source_of(src), out); });
  }
  static int split(void* instance, const ht_source* src, const ht_part_sink* sink) {
    PartSink out(sink);
    return guarded([&](const std::string& m) { out.diagnose(HT_DIAG_ERROR, {}, m); },
                   [&] { static_cast<const Impl*>(instance)->split(source_of(src), out); });
  }
  static int probe(void* instance, ht_str options, const ht_event_sink* sink) {
    EventSink out(sink);
    return guarded(
        [&](const std::string& m) { out.error({}, m); },
        [&] { static_cast<const Impl*>(instance)->probe(parse_json_or_empty(options), out); });
  }
  static int analyze(void* instance, ht_str input, const ht_output_sink* sink) {
    OutputSink out(sink);
    return guarded(
        [&](const std::string& m) { out.diagnose(HT_DIAG_ERROR, m); },
        [&] { static_cast<const Impl*>(instance)->analyze(parse_json_or_empty(input), out); });
  }
  static int act(void* instance, ht_str input, const ht_output_sink* sink) {
    OutputSink out(sink);
    return guarded(
        [&](const std::string& m) { out.diagnose(HT_DIAG_ERROR, m); },
        [&] { static_cast<const Impl*>(instance)->act(parse_json_or_empty(input), out); });
  }
};

}  // namespace detail
}  // namespace hellotrace::sdk

// Defines `const ht_plugin* ht_plugin_<ident>(void)` for class Impl.
#define HT_DEFINE_PLUGIN(ident, Impl, info)                                           \
  extern "C" const ht_plugin* ht_plugin_##ident(void) {                               \
    return ::hellotrace::sdk::detail::Table<Impl>::get(::hellotrace::sdk::Info info); \
  }

// Exports ht_plugin_<ident> as the library's hellotrace_plugin_entry.
#define HT_EXPORT_PLUGIN(ident)                                                               \
  extern "C" const ht_plugin* ht_plugin_##ident(void);                                        \
  extern "C" __attribute__((visibility("default"))) const ht_plugin* hellotrace_plugin_entry( \
      void) {                                                                                 \
    return ht_plugin_##ident();                                                               \
  }
