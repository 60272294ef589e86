// libFuzzer target: the events reader's sniff() and parse() on arbitrary bytes, through
// the plugin table exactly as the host calls them.
#include <cstdlib>
#include <hellotrace/plugin_testing.hpp>

extern "C" const ht_plugin* ht_plugin_events(void);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hellotrace::harness::PluginUnderTest plugin(ht_plugin_events());
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const int score = plugin.sniff(bytes, "probe.ndjson");
  if (score < 0 || score > 100) std::abort();
  if (plugin.parse(bytes, "fuzz-input").status != HT_OK) std::abort();  // bad lines are reported
  return 0;
}
