// libFuzzer target: the list export reader must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <hellotrace/eventexport/eventexport.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hellotrace::eventexport;
  size_t n = 0;
  read_event_list(
      {data, size},
      [&](const hellotrace::eventlog::Record& r, const RecordNotes&) {
        n += r.data.size() + r.message.size();
        return true;
      },
      [&](const Problem& p) { n += p.message.size(); });
  (void)looks_like_event_list({data, size});
  return 0;
}
