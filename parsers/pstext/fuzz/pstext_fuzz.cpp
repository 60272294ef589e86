// libFuzzer target: every pstext reader on arbitrary bytes (decoded as the plugins do),
// plus the value helpers on every value found.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <hellotrace/pstext/pstext.hpp>
#include <span>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hellotrace::pstext;
  const std::span<const uint8_t> bytes(data, size);
  const Result r = parse_bytes(bytes);
  for (const auto& o : r.objects) {
    if (o.line == 0) std::abort();  // every object has a line
    for (const auto& p : o.properties) {
      bool truncated = false;
      (void)split_collection(p.value, &truncated);
      (void)parse_hashtable(p.value);
    }
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse_console(text);
  (void)parse_csv(text);
  (void)parse_json(text);
  Options keep;
  keep.json_nesting = JsonNesting::kKeepJson;
  (void)parse_json(text, keep);
  (void)detect_format(text);
  return 0;
}
