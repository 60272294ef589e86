// ht_evtx_dump FILE...: prints every record the reader yields, one field per line,
// and every problem it reports (for debugging and spot checks against evtxexport).
#include <cstdio>
#include <fstream>
#include <hellotrace/evtx/reader.hpp>
#include <hellotrace/time.hpp>
#include <iterator>
#include <vector>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot open %s\n", argv[i]);
      return 1;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    const auto stats = hellotrace::evtx::read(
        bytes,
        [](const hellotrace::eventlog::Record& r) {
          std::printf("record %llu @0x%llX time=%s id=%u", (unsigned long long)r.record_id,
                      (unsigned long long)r.offset, hellotrace::time::format_iso(r.time).c_str(),
                      r.event_id);
          if (r.qualifiers) std::printf(" qualifiers=%u", *r.qualifiers);
          std::printf(" v=%u level=%u task=%u opcode=%u keywords=0x%016llX\n", r.version, r.level,
                      r.task, r.opcode, (unsigned long long)r.keywords);
          std::printf("  provider=%s guid=%s source=%s channel=%s computer=%s user=%s\n",
                      r.provider.c_str(), r.provider_guid.c_str(), r.event_source_name.c_str(),
                      r.channel.c_str(), r.computer.c_str(), r.user_sid.c_str());
          std::printf("  activity=%s related=%s pid=%lld tid=%lld userdata=%d\n",
                      r.activity_id.c_str(), r.related_activity_id.c_str(),
                      r.process_id ? (long long)*r.process_id : -1LL,
                      r.thread_id ? (long long)*r.thread_id : -1LL, r.user_data ? 1 : 0);
          for (const auto& d : r.data)
            std::printf("  [%s] = %s\n", d.name.c_str(), d.value.c_str());
          if (!r.message.empty()) std::printf("  message=%s\n", r.message.c_str());
          return true;
        },
        [](const hellotrace::evtx::Problem& p) {
          std::printf("PROBLEM chunk %lld @0x%llX: %s\n", (long long)p.chunk,
                      (unsigned long long)p.offset, p.what.c_str());
        });
    std::printf("STATS %s records=%llu chunks=%llu skipped=%llu problems=%llu\n", argv[i],
                (unsigned long long)stats.records, (unsigned long long)stats.chunks,
                (unsigned long long)stats.chunks_skipped, (unsigned long long)stats.problems);
  }
  return 0;
}
