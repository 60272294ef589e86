// Fuzzes the policy plugin through its C table: sniff() and parse() on arbitrary bytes,
// then analyze() on the events parse() produced (so the analyzer sees odd values too).
#include <hellotrace/plugin_api.h>

#include <cstddef>
#include <cstdint>
#include <hellotrace/event.hpp>
#include <nlohmann/json.hpp>
#include <string>

extern "C" const ht_plugin* ht_plugin_policy(void);

namespace {
struct Run {
  nlohmann::json events = nlohmann::json::array();
};
int emit(void* ctx, const ht_event* v) {
  const hellotrace::Event e = hellotrace::event_from_abi(*v);
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& f : e.fields) fields[f.name] = f.value;
  static_cast<Run*>(ctx)->events.push_back({{"kind", e.kind},
                                            {"file", "fuzz"},
                                            {"line", e.origin.line},
                                            {"offset", nullptr},
                                            {"record", nullptr},
                                            {"time", nullptr},
                                            {"source", "policy"},
                                            {"event_id", nullptr},
                                            {"subject", {{"user_sid", e.subject.user_sid}}},
                                            {"fields", fields},
                                            {"user", nullptr},
                                            {"device", nullptr}});
  return 0;
}
void diagnose(void*, const ht_diagnostic*) {}
int finding(void*, ht_str) { return 0; }
int artifact(void*, ht_str, ht_str) { return 0; }
void* instance() {
  static void* made = ht_plugin_policy()->init(ht_str{"{}", 2}, nullptr, nullptr);
  return made;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ht_plugin* p = ht_plugin_policy();
  void* inst = instance();
  (void)p->sniff(inst, data, size, ht_str{"policy.reg", 10});
  ht_source src{};
  src.struct_size = sizeof src;
  src.path = ht_str{"fuzz", 4};
  src.data = data;
  src.size = size;
  src.options_json = ht_str{"{}", 2};
  Run run;
  ht_event_sink sink{&run, &emit, &diagnose};
  (void)p->parse(inst, &src, &sink);
  const std::string input = nlohmann::json{
      {"schema", "hellotrace.analysis/1"},
      {"identities", nlohmann::json::array()},
      {"users", nlohmann::json::array()},
      {"events", run.events}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  ht_output_sink out{nullptr, &finding, &artifact, &diagnose};
  (void)p->analyze(inst, ht_str{input.data(), input.size()}, &out);
  return 0;
}
