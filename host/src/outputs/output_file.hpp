// Where hellotrace writes: the one module every output goes through (--json, --html,
// --markdown, --db, `plan --out` artifacts, `probe --json`). A reader may rely on:
//  - "-" is standard output; anything else is a regular file or a new path. A symbolic
//    link, a device node, a FIFO, a socket or a folder is refused (OutputError naming
//    the option and the path), and so is a path that is also an input of the run (the
//    same device and inode, or the same canonical path) or an existing file that a
//    parser recognises as input (an input's name taken for an output's);
//  - a file is written under a temporary name beside it ("NAME.tmp-PID", created new,
//    never through a link) and renamed over the target only when every write, the
//    flush and the close succeeded: a failed or interrupted run leaves the old file;
//  - temporaries are removed on failure, and on SIGINT, SIGTERM and SIGHUP;
//  - every write to standard output is checked too (check_stdout()).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hellotrace::host {

struct OutputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The files a run reads; an output never replaces one of them.
class InputSet {
 public:
  void add(const std::filesystem::path& file);
  bool contains(const std::filesystem::path& path) const;

 private:
  std::set<std::pair<dev_t, ino_t>> ids_;
  std::set<std::filesystem::path> canonical_;
};

// Names the parser that would read an existing file as input, or "" (set by the CLI,
// which has the plugins).
using InputRecogniser = std::function<std::string(const std::filesystem::path&)>;
// Is an existing file (its first 8 KiB, the parser that recognised it) an earlier output
// of the same kind? Such a file may be replaced although a parser reads it.
using EarlierOutput = std::function<bool(std::string_view head, const std::string& parser)>;

// Refuses a target that must not be written (see above); "-" passes. `role` names the
// option in messages ("--json").
void check_output_target(const std::string& role, const std::filesystem::path& target,
                         const InputSet& inputs, const InputRecogniser& recognise = {},
                         const EarlierOutput& earlier_output = {});

// Removes the registered temporaries and dies of the signal, on SIGINT, SIGTERM and
// SIGHUP; ignores SIGXFSZ so that a file size limit is a checked write error.
void install_output_signal_handlers();

// A temporary file's name, registered for removal on a signal while it lives.
class TemporaryName {
 public:
  explicit TemporaryName(std::filesystem::path path);
  ~TemporaryName();
  TemporaryName(const TemporaryName&) = delete;
  TemporaryName& operator=(const TemporaryName&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Removes the file (if still there) and stops tracking it.
  void remove();
  // The file became the target (renamed): stop tracking it.
  void release();

 private:
  std::filesystem::path path_;
  int slot_ = -1;
};

// Creates `target`'s temporary beside it (O_CREAT|O_EXCL|O_NOFOLLOW) and returns its
// open descriptor; throws OutputError. Used by the writers and by the database.
int create_temporary(const std::string& role, const std::filesystem::path& target,
                     std::unique_ptr<TemporaryName>& name);
// fsyncs and renames a closed temporary over the target; throws OutputError.
void replace_with(const std::string& role, TemporaryName& temp,
                  const std::filesystem::path& target);

// Gives std::cout a buffer that remembers why a write failed (call once, first).
void install_checked_stdout();

// One output file (or standard output for "-").
class OutputFile {
 public:
  class Buffer;
  OutputFile(std::string role, std::filesystem::path target);
  ~OutputFile();  // without commit(): the temporary is removed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  std::ostream& stream();
  // Flushes, closes and renames; throws OutputError ("cannot write PATH: reason").
  void commit();

 private:
  std::string role_;
  std::filesystem::path target_;
  std::unique_ptr<TemporaryName> temp_;
  std::unique_ptr<Buffer> buffer_;
  std::unique_ptr<std::ostream> stream_;
};

// Writes all of `bytes` to `fd` (retrying short writes); returns 0 or errno.
int write_all(int fd, std::string_view bytes);

// Flushes std::cout and stdout; throws OutputError when anything written to standard
// output was lost (a full disk, /dev/full, a closed pipe that did not kill us). Needs
// install_checked_stdout() to name the reason.
void check_stdout();

// The folder of `plan --out`: created when missing (never through a link). Files an
// earlier plan wrote there (listed in its ".hellotrace-plan" manifest) are replaced, and
// those this plan does not write again are removed by finish(), so no stale artifact
// survives (a run that fails before finish() removes nothing); any other entry makes the
// folder refused unless `force`. Artifacts are created under it without following links
// at any level.
class OutputFolder {
 public:
  OutputFolder(std::string role, std::filesystem::path dir, bool force, const InputSet& inputs);
  ~OutputFolder();
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;
  // Writes one artifact (a relative path without ".." checked by the caller); returns
  // the path written; throws OutputError.
  std::filesystem::path write(const std::filesystem::path& relative, std::string_view content);
  // Removes the earlier plan's files not written again; records what was written (the
  // manifest the next run cleans up after).
  void finish();
  const std::filesystem::path& path() const { return dir_; }

 private:
  void open(bool force);
  int open_parent(const std::filesystem::path& relative);
  void write_manifest(const std::set<std::string>& files);
  std::string role_;
  std::filesystem::path dir_;
  InputSet inputs_;
  int fd_ = -1;
  std::vector<std::string> written_;
  std::set<std::string> previous_;  // listed in the earlier plan's manifest
};

}  // namespace hellotrace::host
