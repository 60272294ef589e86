// libFuzzer target: the tpm plugin's sniff(), parse() and analyze() on arbitrary bytes,
// through the plugin table exactly as the host calls them. The events parse() makes are
// fed to analyze() as the host would (one device), and the bytes themselves are also tried
// as analyzer input JSON.
#include <cstdlib>
#include <hellotrace/analysis_input.hpp>
#include <hellotrace/plugin_testing.hpp>
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

  namespace analysis = hellotrace::analysis;
  analysis::ojson events = analysis::ojson::array();
  for (auto e : run.events) {
    e.source = "tpm";
    events.push_back(analysis::event_json(e, -1, size % 2 ? 1 : -1));
  }
  const analysis::ojson input =
      analysis::input_json(std::move(events), {analysis::device_identity_json(0, "PC-OTHER"),
                                               analysis::device_identity_json(1, "PC-FUZZ")});
  const auto analyzed = plugin.analyze(input);
  if (analyzed.status != HT_OK) std::abort();
  for (const auto& f : analyzed.findings)
    if (!f.is_object() || !f.contains("rule") || f["evidence"].empty()) std::abort();

  const nlohmann::json raw = nlohmann::json::parse(bytes, nullptr, false);
  if (!raw.is_discarded() && plugin.analyze(raw).status != HT_OK) std::abort();
  return 0;
}
