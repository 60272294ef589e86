// libFuzzer target: the entra-sync plugin's sniff() and parse() on arbitrary bytes, through
// the plugin table exactly as the host calls them.
#include <hellotrace/plugin_api.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" const ht_plugin* ht_plugin_entra_sync(void);

namespace {

struct Counts {
  size_t events = 0;
  size_t diagnostics = 0;
};

int on_event(void* context, const ht_event* e) {
  auto* c = static_cast<Counts*>(context);
  // Touch every string so ASan sees any dangling view.
  volatile size_t sum = e->kind.size;
  for (size_t i = 0; i < e->field_count; ++i) {
    const ht_field& f = e->fields[i];
    for (size_t k = 0; k < f.name.size; ++k) sum = sum + static_cast<uint8_t>(f.name.data[k]);
    for (size_t k = 0; k < f.value.size; ++k) sum = sum + static_cast<uint8_t>(f.value.data[k]);
  }
  (void)sum;
  ++c->events;
  return 0;
}

void on_diagnostic(void* context, const ht_diagnostic* d) {
  auto* c = static_cast<Counts*>(context);
  volatile size_t sum = 0;
  for (size_t k = 0; k < d->message.size; ++k) sum = sum + static_cast<uint8_t>(d->message.data[k]);
  (void)sum;
  ++c->diagnostics;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ht_plugin* plugin = ht_plugin_entra_sync();
  static void* instance = plugin->init(ht_str{"{}", 2}, nullptr, nullptr);
  if (!instance) std::abort();
  const size_t prefix = size < HT_SNIFF_PREFIX_SIZE ? size : HT_SNIFF_PREFIX_SIZE;
  const int score = plugin->sniff(instance, data, prefix, ht_str{"adsync.txt", 10});
  if (score < 0 || score > 100) std::abort();
  Counts counts;
  ht_event_sink sink{&counts, &on_event, &on_diagnostic};
  ht_source source{};
  source.struct_size = sizeof source;
  source.path = ht_str{"fuzz-input", 10};
  source.data = data;
  source.size = size;
  // Odd sizes also exercise the options (zone applied, day-first order).
  static const char kOptions[] = R"({"timezone":"+03:00","date_order":"dmy"})";
  source.options_json = size % 2 ? ht_str{kOptions, sizeof kOptions - 1} : ht_str{"{}", 2};
  const int rc = plugin->parse(instance, &source, &sink);
  if (rc != HT_OK) std::abort();  // the parser never fails on bad input, it reports it
  // Either events, or a diagnostic saying why not.
  if (counts.events == 0 && counts.diagnostics == 0) std::abort();
  return 0;
}
