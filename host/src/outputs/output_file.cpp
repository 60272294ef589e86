#include "outputs/output_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;

namespace hellotrace::host {

namespace {

std::string errno_text(int e) { return e ? std::strerror(e) : "write failed"; }

// What a path is when it must not be written, or "" for a regular file.
std::string refused_kind(mode_t mode) {
  if (S_ISREG(mode)) return {};
  if (S_ISLNK(mode)) return "a symbolic link (outputs are never written through a link)";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device node";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

[[noreturn]] void refuse(const std::string& role, const fs::path& target, const std::string& why) {
  throw OutputError(fmt::format("{} {}: refused: {}", role, target.string(), why));
}

// ---- temporaries to remove on a signal. The handler may only use async-signal-safe
// calls: fixed slots, atomics, unlink().
constexpr int kSlots = 64;
struct Slot {
  std::atomic<int> state{0};  // 0 free, 1 being filled, 2 holds a path
  char path[PATH_MAX];
};
std::array<Slot, kSlots> g_slots;

int claim_slot(const fs::path& p) {
  const std::string& s = p.native();
  if (s.size() >= PATH_MAX) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (g_slots[i].state.compare_exchange_strong(expected, 1)) {
      std::memcpy(g_slots[i].path, s.c_str(), s.size() + 1);
      g_slots[i].state.store(2);
      return i;
    }
  }
  return -1;  // more live temporaries than slots: still removed on failure, not on a signal
}

extern "C" void remove_temporaries_and_die(int sig) {
  for (Slot& slot : g_slots)
    if (slot.state.load() == 2) ::unlink(slot.path);
  // SA_RESETHAND restored the default action; the signal is blocked in the handler and
  // delivered again when it returns, so the process ends as the signal says.
  ::raise(sig);
}

// The first 8 KiB of a file ("" when unreadable).
std::string file_head(const fs::path& path) {
  std::string head(8192, '\0');
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return {};
  const ssize_t n = ::read(fd, head.data(), head.size());
  ::close(fd);
  head.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return head;
}

}  // namespace

// ---------------------------------------------------------------- inputs
void InputSet::add(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0) ids_.insert({st.st_dev, st.st_ino});
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(file, ec);
  canonical_.insert(ec ? file : canonical);
}

bool InputSet::contains(const fs::path& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && ids_.count({st.st_dev, st.st_ino})) return true;
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(path, ec);
  return canonical_.count(ec ? path : canonical) > 0;
}

void check_output_target(const std::string& role, const fs::path& target, const InputSet& inputs,
                         const InputRecogniser& recognise, const EarlierOutput& earlier_output) {
  if (target == "-") return;
  if (target.empty()) throw OutputError(role + " needs a file name");
  struct stat st {};
  if (::lstat(target.c_str(), &st) != 0) {
    if (errno == ENOENT) return;  // a new file; its folder is checked when it is created
    refuse(role, target, "cannot check the path (" + errno_text(errno) + ")");
  }
  if (const std::string why = refused_kind(st.st_mode); !why.empty())
    refuse(role, target, why + "; outputs go to a regular file, a new path or - (stdout)");
  if (inputs.contains(target))
    refuse(role, target, "it is also an input of this run; it would be overwritten");
  if (recognise && st.st_size > 0) {
    const std::string parser = recognise(target);
    if (!parser.empty() && !(earlier_output && earlier_output(file_head(target), parser)))
      refuse(role, target,
             fmt::format("it holds input data (the {} parser reads it) — did {} take an input's "
                         "name? Name a new file for the output, or remove this one first",
                         parser, role));
  }
}

void install_output_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = remove_temporaries_and_die;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
  std::signal(SIGXFSZ, SIG_IGN);  // a file size limit then fails the write with EFBIG
}

// ---------------------------------------------------------------- temporaries
TemporaryName::TemporaryName(fs::path path) : path_(std::move(path)), slot_(claim_slot(path_)) {}

TemporaryName::~TemporaryName() { remove(); }

void TemporaryName::remove() {
  if (path_.empty()) return;
  ::unlink(path_.c_str());
  release();
}

void TemporaryName::release() {
  if (slot_ >= 0) g_slots[slot_].state.store(0);
  slot_ = -1;
  path_.clear();
}

int create_temporary(const std::string& role, const fs::path& target,
                     std::unique_ptr<TemporaryName>& name) {
  fs::path temp = target;
  temp += fmt::format(".tmp-{}", ::getpid());
  // A leftover of a killed run with our pid is ours to replace; a link is only unlinked.
  ::unlink(temp.c_str());
  name = std::make_unique<TemporaryName>(temp);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) {
    const int e = errno;
    name->release();  // not created: nothing of ours to remove
    name.reset();
    throw OutputError(fmt::format("{} {}: cannot create {} ({})", role, target.string(),
                                  temp.string(), errno_text(e)));
  }
  return fd;
}

void replace_with(const std::string& role, TemporaryName& temp, const fs::path& target) {
  // Checked again at the last moment: a link or device planted during the run is not
  // replaced either.
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0)
    if (const std::string why = refused_kind(st.st_mode); !why.empty()) {
      temp.remove();
      refuse(role, target, why);
    }
  if (::rename(temp.path().c_str(), target.c_str()) != 0) {
    const int e = errno;
    temp.remove();
    throw OutputError(
        fmt::format("cannot write {} ({}): {}", target.string(), role, errno_text(e)));
  }
  temp.release();
}

int write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

// ---------------------------------------------------------------- files
// A stream buffer over a descriptor that remembers the first write error (errno), for
// output files and for standard output.
class OutputFile::Buffer : public std::streambuf {
 public:
  Buffer(int fd, bool owned) : fd_(fd), owned_(owned) {
    setp(buf_.data(), buf_.data() + buf_.size());
  }
  ~Buffer() override {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }
  int error() const { return error_; }
  // Writes what is buffered, syncs and closes; returns 0 or the first errno.
  int finish() {
    drain();
    if (!error_ && ::fsync(fd_) != 0 && errno != EINVAL && errno != EROFS) error_ = errno;
    if (::close(fd_) != 0 && !error_) error_ = errno;
    fd_ = -1;
    return error_;
  }

 protected:
  int_type overflow(int_type c) override {
    if (drain() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() == 0 ? 0 : -1; }

 private:
  int drain() {
    if (error_) return error_;
    const size_t n = static_cast<size_t>(pptr() - pbase());
    if (n) error_ = write_all(fd_, std::string_view(pbase(), n));
    setp(buf_.data(), buf_.data() + buf_.size());
    return error_;
  }
  int fd_;
  bool owned_;
  int error_ = 0;
  std::array<char, 1 << 16> buf_;
};

namespace {
// Never destroyed: std::cout is flushed at exit, after function-local statics are gone.
OutputFile::Buffer& stdout_buffer() {
  static auto* buffer = new OutputFile::Buffer(1, /*owned=*/false);
  return *buffer;
}
}  // namespace

void install_checked_stdout() { std::cout.rdbuf(&stdout_buffer()); }

OutputFile::OutputFile(std::string role, fs::path target)
    : role_(std::move(role)), target_(std::move(target)) {
  if (target_ == "-") return;
  const int fd = create_temporary(role_, target_, temp_);
  buffer_ = std::make_unique<Buffer>(fd, /*owned=*/true);
  stream_ = std::make_unique<std::ostream>(buffer_.get());
}

OutputFile::~OutputFile() {
  stream_.reset();
  buffer_.reset();  // closes the descriptor
  temp_.reset();    // removes the temporary unless commit() renamed it
}

std::ostream& OutputFile::stream() { return stream_ ? *stream_ : std::cout; }

void OutputFile::commit() {
  if (!stream_) {
    check_stdout();
    return;
  }
  stream_->flush();
  if (const int e = buffer_->finish(); e != 0) {
    temp_->remove();
    throw OutputError(
        fmt::format("cannot write {} ({}): {}", target_.string(), role_, errno_text(e)));
  }
  replace_with(role_, *temp_, target_);
}

void check_stdout() {
  std::cout.flush();
  const bool stdio_failed = std::fflush(stdout) != 0 || std::ferror(stdout);
  if (const int e = stdout_buffer().error(); e != 0 || !std::cout || stdio_failed)
    throw OutputError("cannot write to standard output: " + errno_text(e));
}

// ---------------------------------------------------------------- plan folder
namespace {
constexpr const char* kManifest = ".hellotrace-plan";

bool safe_relative(const fs::path& rel) {
  if (rel.empty() || !rel.is_relative() || rel.has_root_name()) return false;
  for (const auto& part : rel)
    if (part == ".." || part == "." || part.empty()) return false;
  return true;
}

// The entries of a folder (not "." and ".."), by descriptor.
std::vector<std::string> entries_of(int dir_fd) {
  std::vector<std::string> names;
  const int copy = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (copy < 0) return names;
  DIR* d = ::fdopendir(copy);
  if (!d) {
    ::close(copy);
    return names;
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  return names;
}
}  // namespace

OutputFolder::OutputFolder(std::string role, fs::path dir, bool force, const InputSet& inputs)
    : role_(std::move(role)), dir_(std::move(dir)), inputs_(inputs) {
  try {
    open(force);
  } catch (...) {
    if (fd_ >= 0) ::close(fd_);
    throw;
  }
}

void OutputFolder::open(bool force) {
  if (dir_.empty()) throw OutputError(role_ + " needs a folder name");
  struct stat st {};
  if (::lstat(dir_.c_str(), &st) != 0) {
    if (errno != ENOENT) refuse(role_, dir_, "cannot check the path (" + errno_text(errno) + ")");
    std::error_code ec;
    if (dir_.has_parent_path()) fs::create_directories(dir_.parent_path(), ec);
    if (::mkdir(dir_.c_str(), 0777) != 0 && errno != EEXIST)
      refuse(role_, dir_, "cannot create the folder (" + errno_text(errno) + ")");
  } else if (S_ISLNK(st.st_mode)) {
    refuse(role_, dir_, "a symbolic link (outputs are never written through a link)");
  } else if (!S_ISDIR(st.st_mode)) {
    refuse(role_, dir_, "not a folder");
  }
  fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd_ < 0) refuse(role_, dir_, "cannot open the folder (" + errno_text(errno) + ")");

  // What an earlier plan wrote here (its manifest): replaced or, at finish(), removed.
  const int manifest = ::openat(fd_, kManifest, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (manifest >= 0) {
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(manifest, buf, sizeof buf)) > 0;)
      text.append(buf, static_cast<size_t>(n));
    ::close(manifest);
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty() && line[0] != '#' && safe_relative(line)) previous_.insert(line);
  }
  if (force) return;
  std::set<std::string> folders;  // the folders the earlier plan's files are in
  for (const std::string& f : previous_)
    for (fs::path p = fs::path(f).parent_path(); !p.empty(); p = p.parent_path())
      folders.insert(p.generic_string());
  // Anything else in the folder is someone's file: not written beside without --force.
  std::vector<std::pair<int, std::string>> pending = {{::dup(fd_), ""}};
  std::string foreign;
  while (!pending.empty() && foreign.empty()) {
    auto [dir_fd, prefix] = pending.back();
    pending.pop_back();
    for (const std::string& name : entries_of(dir_fd)) {
      const std::string rel = prefix.empty() ? name : prefix + "/" + name;
      if (rel == kManifest || previous_.count(rel)) continue;
      const int sub = folders.count(rel) ? ::openat(dir_fd, name.c_str(),
                                                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                                         : -1;
      if (sub < 0) {
        foreign = rel;
        break;
      }
      pending.emplace_back(sub, rel);
    }
    ::close(dir_fd);
  }
  for (auto& [dir_fd, prefix] : pending) ::close(dir_fd);
  if (!foreign.empty())
    refuse(role_, dir_,
           fmt::format("the folder holds '{}', which no earlier plan wrote; name a new or "
                       "empty folder, or add --force to write beside it",
                       foreign));
}

OutputFolder::~OutputFolder() {
  if (fd_ < 0) return;
  // Not finished (the run failed before its plan was complete): nothing is removed, and
  // the manifest still lists the earlier plan's files with the new ones.
  try {
    std::set<std::string> all = previous_;
    all.insert(written_.begin(), written_.end());
    write_manifest(all);
  } catch (...) {  // best effort: the next run then asks for --force
  }
  ::close(fd_);
}

void OutputFolder::write_manifest(const std::set<std::string>& files) {
  std::string manifest = "# files written by hellotrace plan; removed by the next plan here\n";
  for (const std::string& f : files) manifest += f + "\n";
  write(kManifest, manifest);
}

int OutputFolder::open_parent(const fs::path& relative) {
  int parent = fd_;
  fs::path walked;
  for (const auto& part : relative.parent_path()) {
    walked /= part;
    int next = ::openat(parent, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && ::mkdirat(parent, part.c_str(), 0777) == 0)
      next = ::openat(parent, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    const int e = errno;
    if (parent != fd_) ::close(parent);
    if (next < 0)
      refuse(role_, dir_ / walked,
             e == ELOOP || e == ENOTDIR ? "a symbolic link or not a folder" : errno_text(e));
    parent = next;
  }
  return parent;
}

fs::path OutputFolder::write(const fs::path& relative, std::string_view content) {
  if (!safe_relative(relative)) refuse(role_, dir_ / relative, "not a plain relative name");
  const fs::path target = dir_ / relative;
  const int parent = open_parent(relative);
  struct Closer {
    int fd, keep;
    ~Closer() {
      if (fd != keep) ::close(fd);
    }
  } closer{parent, fd_};
  const std::string name = relative.filename().string();
  struct stat st {};
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (const std::string why = refused_kind(st.st_mode); !why.empty()) refuse(role_, target, why);
    if (inputs_.contains(target))
      refuse(role_, target, "it is also an input of this run; it would be overwritten");
  }
  const std::string temp_name = fmt::format("{}.tmp-{}", name, ::getpid());
  ::unlinkat(parent, temp_name.c_str(), 0);
  TemporaryName temp(target.parent_path() / temp_name);
  const int fd = ::openat(parent, temp_name.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) {
    const int e = errno;
    temp.release();
    throw OutputError(
        fmt::format("cannot write {} ({}): {}", target.string(), role_, errno_text(e)));
  }
  int e = write_all(fd, content);
  if (!e && ::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) e = errno;
  if (::close(fd) != 0 && !e) e = errno;
  if (!e && ::renameat(parent, temp_name.c_str(), parent, name.c_str()) != 0) e = errno;
  if (e) {
    ::unlinkat(parent, temp_name.c_str(), 0);
    temp.release();
    throw OutputError(
        fmt::format("cannot write {} ({}): {}", target.string(), role_, errno_text(e)));
  }
  temp.release();
  if (relative != kManifest) written_.push_back(relative.generic_string());
  return target;
}

void OutputFolder::finish() {
  if (fd_ < 0) return;
  // The earlier plan's files this plan did not write again: removed, so that none of
  // them outlives the plan it was part of. unlinkat() removes a link itself, never what
  // it points to, and no folder on the way is entered through a link.
  const std::set<std::string> now(written_.begin(), written_.end());
  std::set<std::string> folders;
  for (const std::string& f : previous_) {
    if (now.count(f)) continue;
    const fs::path rel(f);
    int parent = fd_;
    for (const auto& part : rel.parent_path()) {
      const int next = parent < 0 ? -1
                                  : ::openat(parent, part.c_str(),
                                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (parent != fd_ && parent >= 0) ::close(parent);
      parent = next;
    }
    if (parent < 0) continue;
    ::unlinkat(parent, rel.filename().c_str(), 0);
    if (parent != fd_) ::close(parent);
    for (fs::path p = rel.parent_path(); !p.empty(); p = p.parent_path())
      folders.insert(p.generic_string());
  }
  for (auto it = folders.rbegin(); it != folders.rend(); ++it)  // deepest first; kept if not empty
    ::unlinkat(fd_, it->c_str(), AT_REMOVEDIR);
  write_manifest(now);
  ::close(fd_);
  fd_ = -1;
}

}  // namespace hellotrace::host
