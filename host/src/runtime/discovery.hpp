// Turns the paths a user gives into input files, and maps files for reading.
// A reader may rely on: files come out sorted within each folder and in argument
// order across arguments, each once; what cannot be read is reported, not dropped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace hellotrace::host {

struct InputFile {
  std::filesystem::path path;
  uint64_t size = 0;
  // Why a file found inside a folder is no input at all (a bundle's README, notes, a
  // test's expected.json): it is listed as skipped, never sniffed. Empty otherwise;
  // always empty for files named on the command line.
  std::string not_an_input;
};

// The reason for InputFile::not_an_input from a file's name, or "".
std::string not_an_input_reason(const std::filesystem::path& file);

struct Discovery {
  std::vector<InputFile> files;
  std::vector<std::string> errors;  // "PATH: no such file or folder"
};

Discovery discover(const std::vector<std::string>& paths);

// The bytes of a whole file, read-only (empty files give an empty span). Files up to
// kReadLimit are read into memory: unmapping a file in a process whose threads run on
// several cores interrupts every core to flush its TLB, which cost 12 % of a fleet run
// (thousands of small files); larger files are memory-mapped, so that their pages
// stay clean page cache the kernel can drop instead of growing the heap.
class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  // Returns "" on success, else why the file could not be read.
  std::string open(const std::filesystem::path& path);
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  static constexpr size_t kReadLimit = 8u << 20;

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::unique_ptr<uint8_t[]> read_;  // a small file's bytes
};

}  // namespace hellotrace::host
