// libFuzzer target: the registry export reader on arbitrary bytes, decoded as the
// plugins do, then every format's reader on the raw text, plus the key helpers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <hellotrace/regfile/regfile.hpp>
#include <span>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hellotrace::regfile;
  const Result r = parse_bytes(std::span<const uint8_t>(data, size));
  for (const auto& e : r.entries) {
    if (e.line == 0 && r.format != Format::kPsItemProperty) std::abort();  // entries have lines
    const std::string k = canonical_key(e.key);
    if (!key_within(k, k)) std::abort();  // a key is within itself
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse(text);
  (void)detect_format(text);
  return 0;
}
