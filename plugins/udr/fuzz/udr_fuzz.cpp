// Fuzzes the udr plugin end to end: sniff, then parse whatever the bytes are.
#include <hellotrace/plugin_testing.hpp>

extern "C" const ht_plugin* ht_plugin_udr(void);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hellotrace::harness::PluginUnderTest plugin(ht_plugin_udr());
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  plugin.sniff(bytes, "fuzz.evtx");
  plugin.parse(bytes, "fuzz.evtx");
  return 0;
}
