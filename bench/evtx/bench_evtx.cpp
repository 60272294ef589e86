// bench_evtx [DIR]: EVTX → eventlog::Record throughput of ht_evtx on every .evtx file
// of DIR (default: the shared corpus), against `evtxexport -f xml` over the same
// files in the same run (subprocess, output to /dev/null).
//
// Prints: input size, records, MB/s (file bytes, 10^6) and records/s single-threaded
// (best of N passes) and with all cores (files in parallel), evtxexport's wall time,
// the ratio, peak RSS (getrusage), and RSS before/after reading a synthetic large
// file (one chunk repeated) to show that memory stays flat.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <hellotrace/evtx/reader.hpp>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Mapped {
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::string path;
};

Mapped map_file(const fs::path& p) {
  Mapped m;
  m.path = p.string();
  const int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0) return m;
  struct stat st {};
  ::fstat(fd, &st);
  m.size = static_cast<size_t>(st.st_size);
  if (m.size) {
    void* a = ::mmap(nullptr, m.size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (a != MAP_FAILED) m.data = static_cast<const uint8_t*>(a);
  }
  ::close(fd);
  return m;
}

struct Count {
  uint64_t records = 0, bytes = 0, value_bytes = 0;
};

Count read_one(const uint8_t* data, size_t size) {
  Count c;
  c.bytes = size;
  hellotrace::evtx::read(
      std::span<const uint8_t>(data, size),
      [&](const hellotrace::eventlog::Record& r) {
        ++c.records;
        for (const auto& d : r.data) c.value_bytes += d.value.size();
        return true;
      },
      [](const hellotrace::evtx::Problem&) {});
  return c;
}

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

long peak_rss_kb() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::path(HT_CORPUS_DIR) / "evtx";
  const int passes = argc > 2 ? std::atoi(argv[2]) : 5;
  std::vector<Mapped> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".evtx") files.push_back(map_file(e.path()));
  if (files.empty()) {
    std::fprintf(stderr, "no .evtx files in %s\n", dir.c_str());
    return 1;
  }
  std::sort(files.begin(), files.end(), [](auto& a, auto& b) { return a.path < b.path; });
  uint64_t total = 0;
  for (const auto& f : files) total += f.size;
  std::printf("input: %zu files, %.2f MB (%llu bytes) in %s\n", files.size(), total / 1e6,
              (unsigned long long)total, dir.c_str());

  // Warm the page cache.
  for (const auto& f : files) (void)read_one(f.data, f.size);

  // Single-threaded: best of `passes`.
  double best1 = 1e9;
  uint64_t records = 0;
  for (int p = 0; p < passes; ++p) {
    const auto t0 = Clock::now();
    uint64_t n = 0;
    for (const auto& f : files) n += read_one(f.data, f.size).records;
    best1 = std::min(best1, seconds(t0, Clock::now()));
    records = n;
  }
  std::printf(
      "ht_evtx 1 thread : %8.3f s  %8.1f MB/s  %10.0f records/s  (%llu records, best "
      "of %d)\n",
      best1, total / 1e6 / best1, records / best1, (unsigned long long)records, passes);

  // All cores: files handed out to threads.
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  double bestn = 1e9;
  for (int p = 0; p < passes; ++p) {
    std::atomic<size_t> next{0};
    const auto t0 = Clock::now();
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&] {
        for (size_t i; (i = next.fetch_add(1)) < files.size();)
          (void)read_one(files[i].data, files[i].size);
      });
    for (auto& t : pool) t.join();
    bestn = std::min(bestn, seconds(t0, Clock::now()));
  }
  std::printf("ht_evtx %u threads: %8.3f s  %8.1f MB/s  %10.0f records/s\n", threads, bestn,
              total / 1e6 / bestn, records / bestn);

  // Reference: evtxexport -f xml, one process per file, single-threaded, one pass
  // (it takes seconds), after one warm-up pass over the small files is not needed.
  double ref = 0;
  if (std::system("command -v evtxexport >/dev/null 2>&1") == 0) {
    const auto t0 = Clock::now();
    for (const auto& f : files) {
      const std::string cmd = "evtxexport -f xml '" + f.path + "' >/dev/null 2>&1";
      (void)std::system(cmd.c_str());
    }
    ref = seconds(t0, Clock::now());
    std::printf("evtxexport -f xml: %8.3f s  %8.1f MB/s\n", ref, total / 1e6 / ref);
    std::printf("ratio ht_evtx/evtxexport: %.1fx single-threaded, %.1fx with %u threads\n",
                ref / best1, ref / bestn, threads);
  } else {
    std::printf("evtxexport not installed: no ratio\n");
  }

  // Flat memory: a synthetic file of one real chunk repeated (~256 MiB); RSS is
  // measured with the file mapped but not counted (anonymous copy dropped first).
  const Mapped* src = nullptr;
  for (const auto& f : files)
    if (f.size > hellotrace::evtx::kFileHeaderSize + hellotrace::evtx::kChunkSize &&
        read_one(f.data, hellotrace::evtx::kFileHeaderSize + hellotrace::evtx::kChunkSize).records >
            50) {
      src = &f;
      break;
    }
  if (src) {
    const size_t chunks = 4096;
    const fs::path tmp =
        fs::temp_directory_path() / ("bench_evtx_big_" + std::to_string(::getpid()) + ".evtx");
    {
      std::ofstream out(tmp, std::ios::binary);
      out.write(reinterpret_cast<const char*>(src->data), hellotrace::evtx::kFileHeaderSize);
      for (size_t i = 0; i < chunks; ++i)
        out.write(reinterpret_cast<const char*>(src->data + hellotrace::evtx::kFileHeaderSize),
                  hellotrace::evtx::kChunkSize);
    }
    Mapped big = map_file(tmp);
    const long before = rss_kb();
    long lo = 1L << 40, hi = 0;
    uint64_t n = 0;
    const auto t0 = Clock::now();
    hellotrace::evtx::read(
        std::span<const uint8_t>(big.data, big.size),
        [&](const hellotrace::eventlog::Record&) {
          if (++n % 20000 == 0) {
            // Drop the pages already read so RSS shows the reader's own memory only.
            ::madvise(const_cast<uint8_t*>(big.data), big.size, MADV_DONTNEED);
            const long now = rss_kb();
            lo = std::min(lo, now);
            hi = std::max(hi, now);
          }
          return true;
        },
        [](const hellotrace::evtx::Problem&) {});
    const double s = seconds(t0, Clock::now());
    std::printf(
        "synthetic %.0f MB file (%zu copies of a chunk of %s): %llu records, %.1f MB/s; "
        "RSS before %ld kB; while reading (sampled every 20000 records, mapped pages "
        "dropped) min %ld kB, max %ld kB\n",
        big.size / 1e6, chunks, fs::path(src->path).filename().c_str(), (unsigned long long)n,
        big.size / 1e6 / s, before, lo, hi);
    ::munmap(const_cast<uint8_t*>(big.data), big.size);
    fs::remove(tmp);
  }
  std::printf("peak RSS (getrusage, whole run incl. mapped corpus): %ld kB\n", peak_rss_kb());
  return 0;
}
