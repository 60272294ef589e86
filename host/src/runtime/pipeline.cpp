#include "runtime/pipeline.hpp"

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

ht_str FieldCap::cut(ht_str s, std::string_view what, const ht_position& at) {
  if (s.size <= max_) return s;
  if (cut_count_++ == 0) {
    first_what_ = std::string(what.substr(0, 200));
    first_size_ = s.size;
    first_at_ = {at.line, at.offset, at.record};
  }
  size_t keep = max_;
  while (keep > 0 && (static_cast<uint8_t>(s.data[keep]) & 0xC0) == 0x80) --keep;
  return ht_str{s.data, keep};
}

Event FieldCap::copy(const ht_event& v) {
  const ht_subject& vs = v.subject;
  const ht_str* const subject[] = {&vs.user_sid,    &vs.user_upn,  &vs.user_dn,   &vs.user_sam,
                                   &vs.device_name, &vs.device_id, &vs.tenant_id, &vs.ngc_key_id};
  static constexpr const char* kSubjectNames[] = {
      "the user SID",    "the UPN",       "the DN",        "the account",
      "the device name", "the device id", "the tenant id", "the key id"};
  auto too_long = [&](ht_str s) { return s.size > max_; };
  bool any = too_long(v.kind) || too_long(v.channel) || too_long(v.provider);
  for (const ht_str* s : subject) any = any || too_long(*s);
  for (size_t i = 0; i < v.field_count && !any; ++i)
    any = too_long(v.fields[i].name) || too_long(v.fields[i].value);
  if (!any) return event_from_abi(v);

  ht_event c = v;
  std::vector<ht_field> fields(v.fields, v.fields + v.field_count);
  c.fields = fields.data();
  c.kind = cut(c.kind, "the kind", v.origin);
  c.channel = cut(c.channel, "the channel", v.origin);
  c.provider = cut(c.provider, "the provider", v.origin);
  ht_str* const cs[] = {&c.subject.user_sid,  &c.subject.user_upn,    &c.subject.user_dn,
                        &c.subject.user_sam,  &c.subject.device_name, &c.subject.device_id,
                        &c.subject.tenant_id, &c.subject.ngc_key_id};
  for (size_t k = 0; k < std::size(cs); ++k) *cs[k] = cut(*cs[k], kSubjectNames[k], v.origin);
  for (ht_field& f : fields) {
    f.value = cut(f.value, fmt::format("field {}", from_ht(cut(f.name, "a field name", v.origin))),
                  v.origin);
    f.name = cut(f.name, "a field name", v.origin);
  }
  Event e = event_from_abi(c);
  auto mark = [](std::string& kept, ht_str original) {
    if (original.size > kept.size())
      kept += fmt::format("\u2026[{} bytes cut]", original.size - kept.size());
  };
  mark(e.kind, v.kind);
  mark(e.channel, v.channel);
  mark(e.provider, v.provider);
  std::string* const es[] = {&e.subject.user_sid,  &e.subject.user_upn,    &e.subject.user_dn,
                             &e.subject.user_sam,  &e.subject.device_name, &e.subject.device_id,
                             &e.subject.tenant_id, &e.subject.ngc_key_id};
  for (size_t k = 0; k < std::size(es); ++k) mark(*es[k], *subject[k]);
  for (size_t i = 0; i < fields.size(); ++i) {
    mark(e.fields[i].name, v.fields[i].name);
    mark(e.fields[i].value, v.fields[i].value);
  }
  return e;
}

std::optional<Diagnostic> FieldCap::diagnostic() const {
  if (!cut_count_) return std::nullopt;
  std::string m = fmt::format("{} is {} bytes long: kept the first {} (--max-field-bytes)",
                              first_what_, first_size_, max_);
  if (cut_count_ > 1) m += fmt::format("; {} more value(s) of this file cut too", cut_count_ - 1);
  return Diagnostic{HT_DIAG_WARNING, first_at_, std::move(m)};
}

Pipeline::Pipeline(const Registry& registry, PipelineOptions options)
    : registry_(registry),
      options_(std::move(options)),
      parsers_(registry.with(HT_CAP_PARSE)),
      splitters_(registry.with(HT_CAP_SPLIT)) {}

namespace {

// Where a piece's positions land in the file its results cite.
struct Placement {
  bool part = false;        // a part of a container: lines move, offsets drop
  uint64_t first_line = 1;  // the cited file's line of the piece's line 1
  Position place(Position p) const {
    if (!part) return p;
    p.offset = HT_NO_NUMBER;  // an offset into decoded text names no byte of the file
    if (p.line != HT_NO_NUMBER)
      p.line = first_line == HT_NO_NUMBER ? HT_NO_NUMBER : p.line + first_line - 1;
    return p;
  }
};

struct Collector {
  FileResult* result;
  std::string source;
  std::string file;
  FieldCap cap;
  Placement placement;
  static int emit(void* ctx, const ht_event* ev) {
    auto* self = static_cast<Collector*>(ctx);
    Event e = self->cap.copy(*ev);
    e.source = self->source;
    e.file = self->file;
    e.origin = self->placement.place(e.origin);
    self->result->events.push_back(std::move(e));
    return 0;
  }
  static void diagnose(void* ctx, const ht_diagnostic* d) {
    auto* self = static_cast<Collector*>(ctx);
    self->result->diagnostics.push_back(
        {d->severity,
         self->placement.place({d->position.line, d->position.offset, d->position.record}),
         std::string(from_ht(d->message))});
  }
};

// What a splitter sends: parts kept until every one is sniffed.
struct Part {
  std::string name, label, data;
  uint64_t first_line = HT_NO_NUMBER;
};

struct PartCollector {
  std::vector<Part> parts;
  std::vector<Diagnostic> diagnostics;
  static int part(void* ctx, const ht_part* p) {
    auto* self = static_cast<PartCollector*>(ctx);
    Part kept{std::string(from_ht(p->name)), std::string(from_ht(p->label)),
              std::string(reinterpret_cast<const char*>(p->data), p->size), p->first_line};
    self->parts.push_back(std::move(kept));
    return 0;
  }
  static void diagnose(void* ctx, const ht_diagnostic* d) {
    static_cast<PartCollector*>(ctx)->diagnostics.push_back(
        {d->severity,
         {d->position.line, d->position.offset, d->position.record},
         std::string(from_ht(d->message))});
  }
};

}  // namespace

// A bundle's notes (README, expected.json, …): listed as skipped, never sniffed.
static FileResult skipped_as_notes(const std::string& name, const std::string& why) {
  FileResult r;
  r.input = {name, 0};
  r.skipped = why;
  r.not_an_input = true;
  return r;
}

// A file, a member of an archive or a part of a container, as bytes with the names its
// results are listed under and cite.
struct Pipeline::Piece {
  std::string name;   // listed: "t.txt", "bundle.zip!/t.txt", "t.txt#L12-L40"
  std::string cites;  // the file its events and diagnostics cite (empty: `name`)
  std::span<const uint8_t> bytes;
  std::string damage;  // why only the first bytes of a damaged member are here
  Placement placement;
  std::string label;  // a part's content, for messages ("Get-ADSyncScheduler")
  const std::string& cited() const { return cites.empty() ? name : cites; }
  // What a plugin's split() or parse() is handed; views into this piece and the options.
  ht_source source(const std::string& options_json) const {
    ht_source src{};
    src.struct_size = sizeof src;
    src.path = to_ht(cited());
    src.data = bytes.data();
    src.size = bytes.size();
    src.options_json = to_ht(options_json);
    return src;
  }
};

std::vector<FileResult> Pipeline::process(const InputFile& input) const {
  const auto start = std::chrono::steady_clock::now();
  std::vector<FileResult> out;
  if (!input.not_an_input.empty()) {
    out.push_back(skipped_as_notes(input.path.string(), input.not_an_input));
    out.front().input.size = input.size;
    return out;
  }
  MappedFile map;
  if (std::string why = map.open(input.path); !why.empty()) {
    FileResult r;
    r.input = input;
    r.failed = why;
    out.push_back(std::move(r));
    return out;
  }
  archive::Budget budget;
  Piece whole;
  whole.name = input.path.string();
  whole.bytes = map.bytes();
  route(whole, 0, budget, out);
  out.front().input.size = input.size;
  for (size_t i = 1; i < out.size(); ++i) out[i].inside = true;
  out.front().seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

void Pipeline::route(const Piece& piece, int depth, archive::Budget& budget,
                     std::vector<FileResult>& out) const {
  if (options_.force_parser.empty() && depth < options_.max_nesting &&
      !archive::detect(piece.bytes).empty())
    expand_archive(piece, depth, budget, out);
  else
    route_file(piece, depth, out);
}

void Pipeline::expand_archive(const Piece& piece, int depth, archive::Budget& budget,
                              std::vector<FileResult>& out) const {
  const size_t head = out.size();
  out.emplace_back();
  out[head].input = {piece.name, piece.bytes.size()};
  std::vector<FileResult> members;
  const archive::Result read =
      archive::read(piece.bytes, options_.archive_limits, budget, [&](archive::Member& m) {
        const std::string name = piece.name + "!/" + m.path;
        if (std::string why = not_an_input_reason(m.path); !why.empty()) {
          members.push_back(skipped_as_notes(name, why));  // a bundle's README, notes
          return;
        }
        Piece member;
        member.name = name;
        member.bytes = m.data;
        member.damage = std::move(m.damage);
        route(member, depth + 1, budget, members);
      });
  // Members that were not read are results of their own, in stored order.
  for (const auto& p : read.problems) {
    if (p.member.empty()) {
      Diagnostic d{HT_DIAG_ERROR, {}, p.message};
      d.position.record = p.index;
      out[head].diagnostics.push_back(std::move(d));
      continue;
    }
    FileResult r;
    r.input = {piece.name + "!/" + p.member, 0};
    r.failed = p.message;
    members.push_back(std::move(r));
  }
  std::stable_sort(members.begin(), members.end(), [](const FileResult& a, const FileResult& b) {
    return a.input.path.string() < b.input.path.string();
  });
  out[head].container = fmt::format("{} archive ({}), {} member(s) read",
                                    archive::detect(piece.bytes), read.format, read.read);
  for (auto& m : members) out.push_back(std::move(m));
}

Pipeline::Choice Pipeline::best_of(const std::vector<const Plugin*>& plugins,
                                   const Piece& piece) const {
  Choice best;
  const size_t n = std::min<size_t>(piece.bytes.size(), HT_SNIFF_PREFIX_SIZE);
  const std::string name = std::filesystem::path(piece.cited()).filename().string();
  for (const Plugin* p : plugins) {
    const int score = p->table().sniff(p->instance(), piece.bytes.data(), n, to_ht(name));
    if (score > best.score) best = {p, score};
  }
  return best;
}

void Pipeline::route_file(const Piece& piece, int depth, std::vector<FileResult>& out) const {
  if (piece.bytes.empty() || !options_.force_parser.empty()) {
    Choice forced{registry_.find(options_.force_parser), 100};
    out.push_back(parse(piece, piece.bytes.empty() ? Choice{} : forced));
    return;
  }
  const Choice parser = best_of(parsers_, piece);
  if (!piece.placement.part && depth < options_.max_nesting && !splitters_.empty()) {
    const Choice splitter = best_of(splitters_, piece);
    if (splitter.plugin && splitter.score >= parser.score && split(piece, splitter, parser, out))
      return;
  }
  out.push_back(parse(piece, parser));
}

bool Pipeline::split(const Piece& piece, const Choice& splitter, const Choice& whole,
                     std::vector<FileResult>& out) const {
  PartCollector collected;
  ht_part_sink sink{&collected, &PartCollector::part, &PartCollector::diagnose};
  const ht_source src = piece.source(options_.options_json);
  splitter.plugin->table().split(splitter.plugin->instance(), &src, &sink);

  std::vector<Piece> parts;
  std::vector<Choice> claims;
  bool other_parser = false, claimed = false;
  for (const Part& p : collected.parts) {
    Piece part;
    part.name = piece.name + p.name;
    part.cites = piece.cited();
    part.bytes = {reinterpret_cast<const uint8_t*>(p.data.data()), p.data.size()};
    part.placement = {true, p.first_line};
    part.label = p.label;
    claims.push_back(best_of(parsers_, part));
    claimed |= claims.back().plugin != nullptr;
    other_parser |= claims.back().plugin && claims.back().plugin != whole.plugin;
    parts.push_back(std::move(part));
  }
  // The parser that claims the whole file reads its own transcript whole, as always:
  // splitting pays only when the parts go to different parsers (or the whole to none).
  if (whole.plugin && !other_parser) return false;
  FileResult head;
  head.input = {piece.name, piece.bytes.size()};
  head.diagnostics = std::move(collected.diagnostics);
  head.container =
      fmt::format("{} ({}), {} part(s), {} claimed by a parser", splitter.plugin->name(),
                  claimed ? "split" : "nothing claimed", parts.size(),
                  std::count_if(claims.begin(), claims.end(),
                                [](const Choice& c) { return c.plugin != nullptr; }));
  out.push_back(std::move(head));
  for (size_t i = 0; i < parts.size(); ++i) out.push_back(parse(parts[i], claims[i]));
  return true;
}

FileResult Pipeline::parse(const Piece& piece, const Choice& parser) const {
  FileResult r;
  r.input = {piece.name, piece.bytes.size()};
  if (piece.placement.part) r.cites = piece.cited();
  if (!piece.damage.empty()) r.diagnostics.push_back({HT_DIAG_WARNING, {}, piece.damage});
  if (piece.bytes.empty()) {
    r.skipped = "empty file";
    return r;
  }
  if (!parser.plugin) {
    r.skipped = piece.label.empty()
                    ? "no parser recognised its format"
                    : fmt::format("no parser recognised the output of '{}'", piece.label);
    return r;
  }
  r.score = parser.score;
  r.parser = parser.plugin->name();
  Collector collector{&r, r.parser, piece.cited(), FieldCap(options_.max_field_bytes),
                      piece.placement};
  ht_event_sink sink{&collector, &Collector::emit, &Collector::diagnose};
  const ht_source src = piece.source(options_.options_json);
  const int rc = parser.plugin->table().parse(parser.plugin->instance(), &src, &sink);
  if (auto d = collector.cap.diagnostic()) r.diagnostics.push_back(std::move(*d));
  if (rc == HT_FAILED && r.events.empty() && r.diagnostics.empty())
    r.diagnostics.push_back({HT_DIAG_ERROR, {}, "parser " + r.parser + " failed"});
  return r;
}

std::string Pipeline::recognise(const std::filesystem::path& path) const {
  MappedFile map;
  if (!map.open(path).empty() || map.bytes().empty()) return {};
  if (!archive::detect(map.bytes()).empty()) return "archive";
  Piece whole;
  whole.name = path.string();
  whole.bytes = map.bytes();
  Choice c = best_of(parsers_, whole);
  if (!c.plugin) c = best_of(splitters_, whole);  // a console transcript
  return c.plugin ? c.plugin->name() : std::string();
}

void Pipeline::run(const std::vector<InputFile>& files,
                   const std::function<void(FileResult&)>& on_result) {
  unsigned threads = options_.threads ? options_.threads : std::thread::hardware_concurrency();
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(files.size())));
  auto process_and_prepare = [&](const InputFile& f) {
    std::vector<FileResult> results = process(f);
    if (options_.prepare)
      for (FileResult& r : results) options_.prepare(r);
    return results;
  };
  if (threads <= 1) {
    for (const auto& f : files)
      for (FileResult& r : process_and_prepare(f)) on_result(r);
    return;
  }
  // Workers take files in order; results wait in `done` until their turn. The
  // window keeps at most `window` parsed files in memory.
  const size_t window = threads * 4;
  std::mutex mu;
  std::condition_variable cv;
  std::map<size_t, std::vector<FileResult>> done;
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
      std::vector<FileResult> r = process_and_prepare(files[index]);
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
    std::vector<FileResult> results;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return done.count(next_deliver) > 0; });
      auto node = done.extract(next_deliver);
      results = std::move(node.mapped());
    }
    for (FileResult& r : results) on_result(r);
    {
      std::lock_guard lock(mu);
      ++next_deliver;
    }
    cv.notify_all();
  }
}

}  // namespace hellotrace::host
