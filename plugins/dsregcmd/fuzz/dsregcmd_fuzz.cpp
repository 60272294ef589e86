// libFuzzer target: the dsregcmd plugin's sniff() and parse() on arbitrary bytes, through
// the plugin table exactly as the host calls them (the harness copies every string of
// every event, so ASan sees any dangling view).
#include <cstdlib>
#include <hellotrace/plugin_testing.hpp>

extern "C" const ht_plugin* ht_plugin_dsregcmd(void);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hellotrace::harness::PluginUnderTest plugin(ht_plugin_dsregcmd());
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const int score = plugin.sniff(bytes, "dsregcmd.txt");
  if (score < 0 || score > 100) std::abort();
  const auto run = plugin.parse(bytes, "fuzz-input");
  if (run.status != HT_OK) std::abort();  // the parser never fails on bad input, it reports it
  // Either events, or a diagnostic saying why not.
  if (run.events.empty() && run.diagnostics.empty()) std::abort();
  return 0;
}
