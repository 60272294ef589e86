// Fuzzes the keycred plugin through its C table: sniff() and parse() with a sink that
// keeps nothing.
#include <hellotrace/plugin_api.h>

#include <cstddef>
#include <cstdint>

extern "C" const ht_plugin* ht_plugin_keycred(void);

namespace {
int emit(void*, const ht_event* e) { return e->kind.size == 0 ? 1 : 0; }
void diagnose(void*, const ht_diagnostic*) {}
void* instance() {
  static void* made = ht_plugin_keycred()->init(ht_str{"{}", 2}, nullptr, nullptr);
  return made;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ht_plugin* p = ht_plugin_keycred();
  void* inst = instance();
  (void)p->sniff(inst, data, size, ht_str{"keycred.txt", 11});
  // The first byte picks the time zone option, so that path is fuzzed too.
  static const char* const kOptions[] = {"{}", "{\"timezone\":\"+03:00\"}",
                                         "{\"timezone\":\"bogus\"}", "{\"timezone\":\"-05:30\"}"};
  const char* options = kOptions[size ? data[0] % 4 : 0];
  ht_source src{};
  src.struct_size = sizeof src;
  src.path = ht_str{"fuzz", 4};
  src.data = data;
  src.size = size;
  src.options_json = ht_str{options, __builtin_strlen(options)};
  ht_event_sink sink{nullptr, &emit, &diagnose};
  (void)p->parse(inst, &src, &sink);
  return 0;
}
