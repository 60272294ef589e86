// Fuzzes the events reader through its C table: sniff() and parse().
#include <hellotrace/plugin_api.h>

#include <cstddef>
#include <cstdint>

extern "C" const ht_plugin* ht_plugin_events(void);

namespace {
int emit(void*, const ht_event*) { return 0; }
void diagnose(void*, const ht_diagnostic*) {}
void* instance() {
  static void* made = ht_plugin_events()->init(ht_str{"{}", 2}, nullptr, nullptr);
  return made;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ht_plugin* p = ht_plugin_events();
  void* inst = instance();
  (void)p->sniff(inst, data, size, ht_str{"probe.ndjson", 12});
  ht_source src{};
  src.struct_size = sizeof src;
  src.path = ht_str{"fuzz", 4};
  src.data = data;
  src.size = size;
  src.options_json = ht_str{"{}", 2};
  ht_event_sink sink{nullptr, &emit, &diagnose};
  (void)p->parse(inst, &src, &sink);
  return 0;
}
