// Fuzz target: any bytes through the EVTX reader; it must neither crash nor loop,
// and every record it yields must be well-formed (UTF-8 not required: raw text).
#include <cstddef>
#include <cstdint>
#include <hellotrace/evtx/reader.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint64_t records = 0, problems = 0, bytes = 0;
  const auto stats = hellotrace::evtx::read(
      std::span<const uint8_t>(data, size),
      [&](const hellotrace::eventlog::Record& r) {
        ++records;
        for (const auto& d : r.data) bytes += d.name.size() + d.value.size();
        bytes += r.provider.size() + r.channel.size();
        return true;
      },
      [&](const hellotrace::evtx::Problem& p) {
        ++problems;
        if (p.offset > size) __builtin_trap();  // problems point into the input
      });
  if (stats.records != records || stats.problems != problems) __builtin_trap();
  (void)hellotrace::evtx::looks_like_evtx(std::span<const uint8_t>(data, size));
  return 0;
}
