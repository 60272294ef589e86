#include "discovery.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace fs = std::filesystem;

namespace hellotrace::host {

Discovery discover(const std::vector<std::string>& paths) {
  Discovery out;
  std::set<fs::path> seen;
  auto add = [&](const fs::path& p) {
    std::error_code ec;
    const fs::path key = fs::weakly_canonical(p, ec);
    if (!seen.insert(ec ? p : key).second) return;
    const auto size = fs::file_size(p, ec);
    out.files.push_back({p, ec ? 0 : size});
  };
  for (const std::string& arg : paths) {
    const fs::path root(arg);
    std::error_code ec;
    const auto status = fs::status(root, ec);
    if (ec || !fs::exists(status)) {
      out.errors.push_back(arg + ": no such file or folder");
      continue;
    }
    if (fs::is_regular_file(status)) {
      add(root);
      continue;
    }
    if (!fs::is_directory(status)) {
      out.errors.push_back(arg + ": not a regular file or folder");
      continue;
    }
    std::vector<fs::path> found;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
      out.errors.push_back(arg + ": " + ec.message());
      continue;
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) {
        out.errors.push_back(it->path().string() + ": " + ec.message());
        break;
      }
      std::error_code fe;
      if (it->is_regular_file(fe)) found.push_back(it->path());
    }
    std::sort(found.begin(), found.end());
    for (const auto& f : found) add(f);
  }
  return out;
}

MappedFile::~MappedFile() {
  if (data_ && size_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

std::string MappedFile::open(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return std::strerror(e);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return "not a regular file";
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ == 0) {
    ::close(fd);
    return {};
  }
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  const int e = errno;
  ::close(fd);
  if (p == MAP_FAILED) {
    size_ = 0;
    return std::strerror(e);
  }
  ::madvise(p, size_, MADV_SEQUENTIAL);
  data_ = static_cast<const uint8_t*>(p);
  return {};
}

}  // namespace hellotrace::host
