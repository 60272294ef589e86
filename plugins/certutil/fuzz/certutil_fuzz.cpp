// libFuzzer target: the certutil plugin's sniff() and parse() on arbitrary bytes, then
// analyze() on the events parse() produced, built as the host builds them (one device), so
// the analyzer sees odd values too — all through the plugin table as the host calls it.
#include <cstdlib>
#include <hellotrace/analysis_input.hpp>
#include <hellotrace/plugin_testing.hpp>

extern "C" const ht_plugin* ht_plugin_certutil(void);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace analysis = hellotrace::analysis;
  static const hellotrace::harness::PluginUnderTest plugin(ht_plugin_certutil());
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const int score = plugin.sniff(bytes, "certutil.txt");
  if (score < 0 || score > 100) std::abort();
  auto run = plugin.parse(bytes, "fuzz-input");
  if (run.status != HT_OK) std::abort();  // bad input is reported, never a failure
  analysis::ojson events = analysis::ojson::array();
  for (auto& e : run.events) {
    e.source = "certutil";
    events.push_back(analysis::event_json(e, -1, size % 2 ? 0 : -1));
  }
  const auto analyzed = plugin.analyze(
      analysis::input_json(std::move(events), {analysis::device_identity_json(0, "DC-FUZZ")}));
  if (analyzed.status != HT_OK) std::abort();
  for (const auto& f : analyzed.findings)
    if (!f.is_object() || !f.contains("rule") || f["evidence"].empty()) std::abort();
  return 0;
}
