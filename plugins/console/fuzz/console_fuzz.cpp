// libFuzzer target: the console splitter on arbitrary bytes, decoded as the plugin
// does. Blocks must be in file order, within the text, and never overlap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <hellotrace/text/text.hpp>
#include <span>

#include "console_split.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string decoded = hellotrace::text::decode(std::span<const uint8_t>(data, size));
  const auto session = hellotrace::console::split(decoded);
  const uint64_t lines = hellotrace::text::split_lines(decoded).size();
  uint64_t after = 0;
  for (const auto& b : session.blocks) {
    if (b.first_line <= after || b.last_line < b.first_line || b.last_line > lines) std::abort();
    if (b.text.empty() || b.text.back() != '\n') std::abort();
    after = b.last_line;
  }
  (void)hellotrace::console::score(decoded);
  return 0;
}
