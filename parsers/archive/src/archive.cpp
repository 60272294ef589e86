#include "hellotrace/archive/archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>

namespace hellotrace::archive {

namespace {

bool starts_with(std::span<const uint8_t> bytes, std::string_view magic) {
  return bytes.size() >= magic.size() && std::memcmp(bytes.data(), magic.data(), magic.size()) == 0;
}

std::string mib(uint64_t bytes) {
  return bytes >= (1u << 20) ? fmt::format("{} MiB", bytes >> 20) : fmt::format("{} bytes", bytes);
}

std::string clean_path(const char* raw) {
  std::string p = raw ? raw : "";
  std::replace(p.begin(), p.end(), '\\', '/');  // Compress-Archive in PowerShell 5.1 writes '\'
  while (p.rfind("./", 0) == 0) p.erase(0, 2);
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  return p;
}

std::string error_of(struct archive* a) {
  const char* e = archive_error_string(a);
  return e && *e ? e : "unreadable";
}

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

}  // namespace

std::string detect(std::span<const uint8_t> prefix) {
  // Local file header, empty archive, spanned-archive marker.
  if (starts_with(prefix, "PK\x03\x04") || starts_with(prefix, {"PK\x05\x06", 4}) ||
      starts_with(prefix, "PK\x07\x08"))
    return "zip";
  if (starts_with(prefix, {"MSCF\0\0\0\0", 8})) return "cab";
  if (starts_with(prefix, "7z\xBC\xAF\x27\x1C")) return "7z";
  return {};
}

namespace {

// One pass over the archive with the zip reader chosen by `seekable`.
Result read_pass(std::span<const uint8_t> bytes, bool seekable, const Limits& limits,
                 Budget& budget, const std::function<void(Member&)>& on_member) {
  Result out;
  std::unique_ptr<struct archive, ArchiveFree> holder(archive_read_new());
  struct archive* a = holder.get();
  if (seekable)
    archive_read_support_format_zip_seekable(a);
  else
    archive_read_support_format_zip_streamable(a);
  archive_read_support_format_cab(a);
  archive_read_support_format_7zip(a);
  if (archive_read_open_memory(a, bytes.data(), bytes.size()) != ARCHIVE_OK) {
    out.problems.push_back({{}, 0, "not a readable archive: " + error_of(a)});
    return out;
  }
  std::vector<uint8_t> buffer(64 * 1024);
  int retries = 0;
  for (;;) {
    struct archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc == ARCHIVE_RETRY && ++retries < 8) continue;
    if (rc < ARCHIVE_WARN) {
      out.problems.push_back(
          {{},
           out.entries + 1,
           fmt::format("damaged after entry {}: {}; the entries before it were read", out.entries,
                       error_of(a))});
      break;
    }
    retries = 0;
    ++out.entries;
    if (out.format.empty() && archive_format_name(a)) out.format = archive_format_name(a);
    const char* utf8 = archive_entry_pathname_utf8(entry);
    const std::string path = clean_path(utf8 ? utf8 : archive_entry_pathname(entry));
    auto refuse = [&](std::string message) {
      out.problems.push_back({path, out.entries, std::move(message)});
    };
    if (rc == ARCHIVE_WARN) refuse(error_of(a));
    if (archive_entry_filetype(entry) != AE_IFREG) continue;  // folders, links
    if (++budget.members > limits.max_members) {
      refuse(fmt::format("more than {} members: the rest is not read", limits.max_members));
      break;
    }
    if (archive_entry_is_encrypted(entry)) {
      refuse("encrypted: not read (hellotrace takes no passwords; zip the files unencrypted)");
      continue;
    }
    if (archive_entry_size_is_set(entry) &&
        static_cast<uint64_t>(archive_entry_size(entry)) > limits.max_member_bytes) {
      refuse(fmt::format("declares {} expanded, over the {} limit for one member: not read",
                         mib(static_cast<uint64_t>(archive_entry_size(entry))),
                         mib(limits.max_member_bytes)));
      continue;
    }
    const int64_t consumed_before = archive_filter_bytes(a, -1);
    Member m{path, out.entries, {}, {}};
    std::string refused;
    bool total_exhausted = false;
    for (;;) {
      const la_ssize_t n = archive_read_data(a, buffer.data(), buffer.size());
      if (n == 0) break;
      if (n < 0) {
        if (n == ARCHIVE_RETRY) continue;
        if (m.data.empty())
          refused = "damaged: " + error_of(a) + "; not read";
        else
          m.damage = fmt::format("damaged after {} expanded bytes: {}; what came before is read",
                                 m.data.size(), error_of(a));
        break;
      }
      m.data.insert(m.data.end(), buffer.data(), buffer.data() + n);
      const uint64_t expanded = m.data.size();
      const uint64_t compressed = static_cast<uint64_t>(
          std::max<int64_t>(1, archive_filter_bytes(a, -1) - consumed_before));
      if (expanded > limits.max_member_bytes) {
        refused = fmt::format("expands past {}, the limit for one member: not read",
                              mib(limits.max_member_bytes));
      } else if (expanded > limits.ratio_floor_bytes && expanded / compressed > limits.max_ratio) {
        refused = fmt::format(
            "expands more than {}:1 ({} from {} bytes compressed): refused as a possible zip "
            "bomb",
            limits.max_ratio, mib(expanded), compressed);
      } else if (budget.expanded_bytes + expanded > limits.max_total_bytes) {
        refused = fmt::format(
            "the archive expands past {} in total, the limit for one input: this member and the "
            "rest are not read",
            mib(limits.max_total_bytes));
        total_exhausted = true;
      }
      if (!refused.empty()) break;
    }
    if (!refused.empty()) {
      refuse(refused);
      if (total_exhausted) break;
      continue;  // the next archive_read_next_header() skips what is left of it
    }
    budget.expanded_bytes += m.data.size();
    ++out.read;
    on_member(m);
  }
  return out;
}

}  // namespace

Result read(std::span<const uint8_t> bytes, const Limits& limits, Budget& budget,
            const std::function<void(Member&)>& on_member) {
  // The central directory at the end of a zip gives every member's place and size, so
  // a damaged member is skipped and the next one read. A zip cut short has none: then
  // the local headers are followed from the start (the streaming reader), which reads
  // every member before the cut.
  Result first = read_pass(bytes, /*seekable=*/true, limits, budget, on_member);
  if (first.entries > 0 || detect(bytes) != "zip") return first;
  Result second = read_pass(bytes, /*seekable=*/false, limits, budget, on_member);
  if (second.entries == 0) return first;
  second.problems.insert(second.problems.begin(),
                         {{}, 0, "no central directory (cut short?): read from the start"});
  return second;
}

}  // namespace hellotrace::archive
