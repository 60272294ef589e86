// libFuzzer target of the dcinventory plugin: sniff(), parse() and analyze() on arbitrary
// bytes, as the host calls them (include/hellotrace/fuzz_analyzer.hpp).
#include <hellotrace/fuzz_analyzer.hpp>

extern "C" const ht_plugin* ht_plugin_dcinventory(void);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hellotrace::harness::PluginUnderTest plugin(ht_plugin_dcinventory());
  return hellotrace::harness::fuzz_parse_and_analyze(plugin, data, size, "dcs.csv", "dcinventory",
                                                     "DC-FUZZ");
}
