// Replays files (or every file under folders) through LLVMFuzzerTestOneInput, for
// builds without libFuzzer: keeps fuzz targets compiling and their seeds passing.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static void run(const std::filesystem::path& p, size_t& count) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ++count;
}

int main(int argc, char** argv) {
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    const std::filesystem::path root(argv[i]);
    if (std::filesystem::is_directory(root, ec)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(root, ec))
        if (e.is_regular_file()) run(e.path(), count);
    } else if (std::filesystem::exists(root, ec)) {
      run(root, count);
    }
  }
  // Also the degenerate inputs every parser must survive.
  LLVMFuzzerTestOneInput(nullptr, 0);
  const uint8_t one = 0xFF;
  LLVMFuzzerTestOneInput(&one, 1);
  std::printf("replayed %zu inputs\n", count + 2);
  return 0;
}
