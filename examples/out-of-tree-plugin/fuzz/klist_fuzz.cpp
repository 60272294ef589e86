// libFuzzer target of the klist plugin: sniff() and parse() on arbitrary bytes, through the
// plugin table as hellotrace calls them. Aborts on what must never happen: a sniff score out
// of range, a failed parse (bad input is a diagnostic, never a failure), an event without
// its line. hellotrace's own CI runs it (examples/CMakeLists.txt); by hand:
//   clang++ -std=c++20 -g -fsanitize=fuzzer,address,undefined -I PREFIX/include \
//     fuzz/klist_fuzz.cpp src/klist.cpp -o klist_fuzz && ./klist_fuzz samples/
#include <cstdlib>
#include <hellotrace/plugin_testing.hpp>
#include <string>

extern "C" const ht_plugin* ht_plugin_klist(void);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hellotrace::harness::PluginUnderTest plugin(ht_plugin_klist());
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const int score = plugin.sniff(bytes, "klist.txt");
  if (score < 0 || score > 100) std::abort();
  // Odd sizes read with a zone and day-first dates, so both paths of the time reading run.
  const auto run = plugin.parse(bytes, "klist.txt",
                                size % 2 ? R"({"timezone":"-05:00","date_order":"dmy"})" : "{}");
  if (run.status != HT_OK) std::abort();
  for (const auto& e : run.events)
    if (e.kind != "kerberos.ticket" || e.origin.line == HT_NO_NUMBER) std::abort();
  return 0;
}
