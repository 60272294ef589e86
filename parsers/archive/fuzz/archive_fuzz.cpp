// libFuzzer target: the archive reader on arbitrary bytes, with small limits so that
// a bomb the fuzzer finds costs megabytes, not gigabytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <hellotrace/archive/archive.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ar = hellotrace::archive;
  ar::Limits limits;
  limits.max_member_bytes = 1u << 20;
  limits.max_total_bytes = 4u << 20;
  limits.ratio_floor_bytes = 64u << 10;
  ar::Budget budget;
  uint64_t seen = 0;
  const ar::Result r = ar::read({data, size}, limits, budget, [&](ar::Member& m) {
    if (m.data.size() > limits.max_member_bytes) std::abort();  // over the member limit
    seen += m.data.size();
  });
  if (seen > limits.max_total_bytes || r.read > r.entries) std::abort();
  (void)ar::detect({data, size});
  return 0;
}
