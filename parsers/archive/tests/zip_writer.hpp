// Writes zip archives in memory with libarchive's writer, for tests: the shapes
// Compress-Archive and Explorer produce (folders, '\' separators, deflate) and
// encrypted ones (traditional PKWARE encryption, which zip tools still offer).
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace hellotrace::testing {

struct ZipEntry {
  std::string path;  // ending in '/': a folder entry
  std::string data;
};

// Every entry is encrypted with `password` when it is not empty.
inline std::vector<uint8_t> make_zip(const std::vector<ZipEntry>& entries,
                                     const std::string& password = {}) {
  size_t capacity = 1 << 20;
  for (const auto& e : entries) capacity += e.data.size() + e.path.size() + 256;
  std::vector<uint8_t> out(capacity);
  size_t used = 0;
  struct archive* w = archive_write_new();
  archive_write_set_format_zip(w);
  archive_write_set_options(w, "zip:compression=deflate");
  if (!password.empty()) {
    archive_write_set_options(w, "zip:encryption=zipcrypt");
    archive_write_set_passphrase(w, password.c_str());
  }
  archive_write_open_memory(w, out.data(), out.size(), &used);
  for (const auto& e : entries) {
    struct archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    archive_entry_set_filetype(ae, !e.path.empty() && e.path.back() == '/' ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_size(ae, static_cast<la_int64_t>(e.data.size()));
    if (archive_write_header(w, ae) != ARCHIVE_OK) {
      const std::string why = archive_error_string(w);
      archive_entry_free(ae);
      archive_write_free(w);
      throw std::runtime_error("zip writer: " + why);
    }
    if (!e.data.empty()) archive_write_data(w, e.data.data(), e.data.size());
    archive_entry_free(ae);
  }
  archive_write_close(w);
  archive_write_free(w);
  out.resize(used);
  return out;
}

// Overwrites the first `count` bytes of a member's stored (compressed) data, as a bad
// copy or a broken download would; returns false when no local header names `path`.
inline bool damage_member(std::vector<uint8_t>& zip, const std::string& path, size_t count = 8) {
  auto u16 = [&](size_t at) { return static_cast<size_t>(zip[at] | (zip[at + 1] << 8)); };
  for (size_t at = 0; at + 30 <= zip.size(); ++at) {
    if (zip[at] != 'P' || zip[at + 1] != 'K' || zip[at + 2] != 3 || zip[at + 3] != 4) continue;
    const size_t name_size = u16(at + 26), extra_size = u16(at + 28);
    if (at + 30 + name_size > zip.size() ||
        std::string(zip.begin() + static_cast<long>(at + 30),
                    zip.begin() + static_cast<long>(at + 30 + name_size)) != path)
      continue;
    const size_t data = at + 30 + name_size + extra_size;
    for (size_t i = data; i < data + count && i < zip.size(); ++i) zip[i] = 0xff;
    return true;
  }
  return false;
}

}  // namespace hellotrace::testing
