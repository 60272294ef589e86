#include "runtime/discovery.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>

namespace fs = std::filesystem;

namespace hellotrace::host {

namespace {

// What a folder entry is once symbolic links are followed; "" when it can be read.
std::string kind_problem(const fs::file_status& st) {
  switch (st.type()) {
    case fs::file_type::regular:
    case fs::file_type::directory:
      return {};
    case fs::file_type::fifo:
      return "a FIFO (named pipe), not a regular file or folder";
    case fs::file_type::socket:
      return "a socket, not a regular file or folder";
    case fs::file_type::block:
    case fs::file_type::character:
      return "a device node, not a regular file or folder";
    default:
      return "not a regular file or folder";
  }
}

struct FolderId {
  dev_t dev;
  ino_t ino;
  auto operator<=>(const FolderId&) const = default;
};

// Walks one input folder. Symbolic links are followed (a link to a folder is read like
// the folder); a link that points nowhere, a link back to a folder being walked (a
// loop), an entry that is neither a file nor a folder and a folder that cannot be
// listed are errors naming the path: nothing is skipped without a word.
class FolderWalk {
 public:
  FolderWalk(std::vector<fs::path>& files, std::vector<std::string>& errors)
      : files_(files), errors_(errors) {}

  void walk(const fs::path& folder) {
    struct stat st {};
    if (::stat(folder.c_str(), &st) != 0) {
      errors_.push_back(folder.string() + ": cannot read folder (" + std::strerror(errno) + ")");
      return;
    }
    const FolderId id{st.st_dev, st.st_ino};
    if (!walking_.insert(id).second) {
      errors_.push_back(folder.string() +
                        ": symbolic link loop (leads back to a folder being read); not read again");
      return;
    }
    std::error_code ec;
    fs::directory_iterator it(folder, ec);
    if (ec) {
      errors_.push_back(folder.string() + ": cannot read folder (" + ec.message() +
                        "); its files are not analyzed");
      walking_.erase(id);
      return;
    }
    std::vector<fs::path> entries;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      entries.push_back(it->path());
    }
    if (ec)
      errors_.push_back(folder.string() + ": cannot read folder to the end (" + ec.message() +
                        "); some files may be missing");
    std::sort(entries.begin(), entries.end());
    for (const fs::path& entry : entries) visit(entry);
    walking_.erase(id);
  }

 private:
  void visit(const fs::path& entry) {
    std::error_code ec;
    const fs::file_status link = fs::symlink_status(entry, ec);
    if (ec) {
      errors_.push_back(entry.string() + ": cannot read (" + ec.message() + ")");
      return;
    }
    fs::file_status st = link;
    if (fs::is_symlink(link)) {
      st = fs::status(entry, ec);
      if (ec || !fs::exists(st)) {
        errors_.push_back(entry.string() + ": symbolic link to nothing readable (" +
                          (ec ? ec.message() : std::string("target missing")) + ")");
        return;
      }
    }
    if (const std::string why = kind_problem(st); !why.empty()) {
      errors_.push_back(entry.string() + ": " + why);
      return;
    }
    if (fs::is_directory(st))
      walk(entry);
    else
      files_.push_back(entry);
  }

  std::vector<fs::path>& files_;
  std::vector<std::string>& errors_;
  std::set<FolderId> walking_;  // the folders from the root to the current one
};

}  // namespace

std::string not_an_input_reason(const fs::path& file) {
  std::string name = file.filename().string();
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string ext = file.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name == "expected.json") return "a test's expected findings, not an input";
  if (ext == ".md" || ext == ".markdown" || ext == ".rst")
    return "notes (" + file.filename().string() + "), not an input";
  for (const char* stem : {"readme", "license", "licence", "changelog", "notes"})
    if (name.rfind(stem, 0) == 0 &&
        (name.size() == std::strlen(stem) || name[std::strlen(stem)] == '.'))
      return "notes (" + file.filename().string() + "), not an input";
  for (const char* e : {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".pdf", ".docx", ".pptx"})
    if (ext == e) return "a picture or document, not an input";
  return {};
}

Discovery discover(const std::vector<std::string>& paths) {
  Discovery out;
  std::set<fs::path> seen;
  auto add = [&](const fs::path& p, std::string not_an_input = {}) {
    std::error_code ec;
    const fs::path key = fs::weakly_canonical(p, ec);
    if (!seen.insert(ec ? p : key).second) return;
    const auto size = fs::file_size(p, ec);
    out.files.push_back({p, ec ? 0 : size, std::move(not_an_input)});
  };
  for (const std::string& arg : paths) {
    const fs::path root(arg);
    std::error_code ec;
    const auto status = fs::status(root, ec);
    if (!fs::exists(status)) {
      std::error_code link_ec;
      const bool dangling = fs::is_symlink(fs::symlink_status(root, link_ec));
      if (status.type() != fs::file_type::not_found)  // EACCES, ELOOP, …
        out.errors.push_back(arg + ": cannot read (" + ec.message() + ")");
      else
        out.errors.push_back(arg + (dangling
                                        ? ": symbolic link to nothing readable (target missing)"
                                        : ": no such file or folder"));
      continue;
    }
    if (fs::is_regular_file(status)) {
      add(root);
      continue;
    }
    if (const std::string why = kind_problem(status); !why.empty()) {
      out.errors.push_back(arg + ": " + why);
      continue;
    }
    std::vector<fs::path> found;
    FolderWalk(found, out.errors).walk(root);
    std::sort(found.begin(), found.end());
    for (const auto& f : found) add(f, not_an_input_reason(f));
  }
  return out;
}

MappedFile::~MappedFile() {
  if (mapped_) ::munmap(const_cast<uint8_t*>(data_), size_);
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
  if (size_ <= kReadLimit) {
    read_ = std::make_unique_for_overwrite<uint8_t[]>(size_);
    size_t got = 0;
    while (got < size_) {
      const ssize_t n = ::read(fd, read_.get() + got, size_ - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int e = errno;
        ::close(fd);
        read_.reset();
        size_ = 0;
        return std::strerror(e);
      }
      if (n == 0) break;  // shrank since fstat(): what is there
      got += static_cast<size_t>(n);
    }
    ::close(fd);
    size_ = got;
    data_ = read_.get();
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
  mapped_ = true;
  return {};
}

}  // namespace hellotrace::host
