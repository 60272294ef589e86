// libFuzzer target of the certutil plugin: sniff(), parse() and analyze() on arbitrary
// bytes, as the host calls them (include/hellotrace/fuzz_analyzer.hpp).
#include <hellotrace/fuzz_analyzer.hpp>

extern "C" const ht_plugin* ht_plugin_certutil(void);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hellotrace::harness::PluginUnderTest plugin(ht_plugin_certutil());
  return hellotrace::harness::fuzz_parse_and_analyze(plugin, data, size, "certutil.txt", "certutil",
                                                     "DC-FUZZ");
}
