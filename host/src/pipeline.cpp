#include "pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace hellotrace::host {

std::string format_diagnostic(const std::string& file, const Diagnostic& d) {
  const char* sev = d.severity >= HT_DIAG_ERROR     ? "error"
                    : d.severity == HT_DIAG_WARNING ? "warning"
                                                    : "note";
  std::string where = file;
  if (d.position.line != HT_NO_NUMBER) where += fmt::format(":{}", d.position.line);
  if (d.position.offset != HT_NO_NUMBER) where += fmt::format(": offset 0x{:x}", d.position.offset);
  if (d.position.record != HT_NO_NUMBER) where += fmt::format(": record {}", d.position.record);
  return fmt::format("{}: {}: {}", where, sev, d.message);
}

Pipeline::Pipeline(const Registry& registry, PipelineOptions options)
    : registry_(registry), options_(std::move(options)), parsers_(registry.with(HT_CAP_PARSE)) {}

namespace {
struct Collector {
  FileResult* result;
  std::string source;
  std::string file;
  static int emit(void* ctx, const ht_event* ev) {
    auto* self = static_cast<Collector*>(ctx);
    Event e = event_from_abi(*ev);
    e.source = self->source;
    e.file = self->file;
    self->result->events.push_back(std::move(e));
    return 0;
  }
  static void diagnose(void* ctx, const ht_diagnostic* d) {
    auto* self = static_cast<Collector*>(ctx);
    self->result->diagnostics.push_back({d->severity,
                                         {d->position.line, d->position.offset, d->position.record},
                                         std::string(from_ht(d->message))});
  }
};
}  // namespace

FileResult Pipeline::process(const InputFile& input) const {
  const auto start = std::chrono::steady_clock::now();
  FileResult r;
  r.input = input;
  MappedFile map;
  if (std::string why = map.open(input.path); !why.empty()) {
    r.failed = why;
    return r;
  }
  const auto bytes = map.bytes();
  if (bytes.empty()) {
    r.skipped = "empty file";
    return r;
  }
  const Plugin* best = nullptr;
  const std::string name = input.path.filename().string();
  if (!options_.force_parser.empty()) {
    best = registry_.find(options_.force_parser);
    r.score = 100;
  } else {
    const size_t n = std::min<size_t>(bytes.size(), HT_SNIFF_PREFIX_SIZE);
    for (const Plugin* p : parsers_) {
      const int score = p->table().sniff(p->instance(), bytes.data(), n, to_ht(name));
      if (score > r.score) {
        r.score = score;
        best = p;
      }
    }
  }
  if (!best) {
    r.skipped = "no parser recognised its format";
    return r;
  }
  r.parser = best->name();
  Collector collector{&r, r.parser, input.path.string()};
  ht_event_sink sink{&collector, &Collector::emit, &Collector::diagnose};
  const std::string path = input.path.string();
  ht_source src{};
  src.struct_size = sizeof src;
  src.path = to_ht(path);
  src.data = bytes.data();
  src.size = bytes.size();
  src.options_json = to_ht(options_.options_json);
  const int rc = best->table().parse(best->instance(), &src, &sink);
  if (rc == HT_FAILED && r.events.empty() && r.diagnostics.empty())
    r.diagnostics.push_back({HT_DIAG_ERROR, {}, "parser " + r.parser + " failed"});
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

void Pipeline::run(const std::vector<InputFile>& files,
                   const std::function<void(FileResult&)>& on_result) {
  unsigned threads = options_.threads ? options_.threads : std::thread::hardware_concurrency();
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(files.size())));
  if (threads <= 1) {
    for (const auto& f : files) {
      FileResult r = process(f);
      on_result(r);
    }
    return;
  }
  // Workers take files in order; results wait in `done` until their turn. The
  // window keeps at most `window` parsed files in memory.
  const size_t window = threads * 4;
  std::mutex mu;
  std::condition_variable cv;
  std::map<size_t, FileResult> done;
  size_t next_take = 0, next_deliver = 0;
  auto worker = [&] {
    for (;;) {
      size_t index;
      {
        std::unique_lock lock(mu);
        cv.wait(lock,
                [&] { return next_take >= files.size() || next_take < next_deliver + window; });
        if (next_take >= files.size()) return;
        index = next_take++;
      }
      FileResult r = process(files[index]);
      {
        std::lock_guard lock(mu);
        done.emplace(index, std::move(r));
      }
      cv.notify_all();
    }
  };
  std::vector<std::jthread> pool;
  for (unsigned i = 0; i < threads; ++i) pool.emplace_back(worker);
  while (next_deliver < files.size()) {
    FileResult r;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return done.count(next_deliver) > 0; });
      auto node = done.extract(next_deliver);
      r = std::move(node.mapped());
    }
    on_result(r);
    {
      std::lock_guard lock(mu);
      ++next_deliver;
    }
    cv.notify_all();
  }
}

}  // namespace hellotrace::host
