// libFuzzer target: the tpm plugin's sniff(), parse() and analyze() on arbitrary bytes,
// through the plugin table exactly as the host calls them. The events parse() makes are
// fed to analyze() as the host would (one device), and the bytes themselves are also tried
// as analyzer input JSON.
#include <cstdlib>
#include <hellotrace/plugin_testing.hpp>
#include <hellotrace/text/text.hpp>
#include <nlohmann/json.hpp>

extern "C" const ht_plugin* ht_plugin_tpm(void);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hellotrace::harness::PluginUnderTest plugin(ht_plugin_tpm());
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const int score = plugin.sniff(bytes, "get-tpm.txt");
  if (score < 0 || score > 100) std::abort();
  const auto run = plugin.parse(bytes, "fuzz-input");
  if (run.status != HT_OK) std::abort();  // bad input is reported, never a failure
  if (run.events.empty() && run.diagnostics.empty()) std::abort();

  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : run.events) {
    nlohmann::json fields = nlohmann::json::object();
    // The host hands analyzers valid UTF-8 (JSON), whatever bytes the export held.
    for (const auto& f : e.fields)
      fields[hellotrace::text::sanitize_utf8(f.name)] = hellotrace::text::sanitize_utf8(f.value);
    events.push_back(
        {{"kind", e.kind},
         {"source", "tpm"},
         {"file", "fuzz-input"},
         {"line",
          e.origin.line == HT_NO_NUMBER ? nlohmann::json(nullptr) : nlohmann::json(e.origin.line)},
         {"time", nullptr},
         {"subject", {{"device_name", hellotrace::text::sanitize_utf8(e.subject.device_name)}}},
         {"fields", fields},
         {"device", size % 2 ? nlohmann::json(1) : nlohmann::json(nullptr)}});
  }
  const nlohmann::json input = {
      {"identities", {{{"index", 1}, {"type", "device"}, {"device_name", "PC-FUZZ"}}}},
      {"events", events}};
  const auto analyzed = plugin.analyze(input);
  if (analyzed.status != HT_OK) std::abort();
  for (const auto& f : analyzed.findings)
    if (!f.is_object() || !f.contains("rule") || f["evidence"].empty()) std::abort();

  const nlohmann::json raw = nlohmann::json::parse(bytes, nullptr, false);
  if (!raw.is_discarded() && plugin.analyze(raw).status != HT_OK) std::abort();
  return 0;
}
