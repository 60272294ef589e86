// A plugin built against a future major API version: the host must refuse it.
#include <hellotrace/plugin_api.h>

static const char* const kNone[] = {nullptr};
static const ht_plugin kTable = {sizeof(ht_plugin),
                                 HT_PLUGIN_API_VERSION_MAJOR + 1,
                                 0,
                                 0,
                                 "future",
                                 "9.0.0",
                                 "from the future",
                                 HT_CAP_PARSE,
                                 kNone,
                                 kNone,
                                 nullptr,
                                 nullptr,
                                 nullptr,
                                 nullptr,
                                 nullptr,
                                 nullptr,
                                 nullptr,
                                 nullptr};  // consumes

extern "C" __attribute__((visibility("default"))) const ht_plugin* hellotrace_plugin_entry(void) {
  return &kTable;
}
