// Fuzz target: arbitrary message text (and a template file of it) through the catalog.
#include <cstddef>
#include <cstdint>
#include <hellotrace/eventmessage/catalog.hpp>
#include <string_view>

namespace em = hellotrace::eventmessage;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const em::Catalog shipped = [] {
    em::Catalog c;
    c.load_dir(em::source_messages_dir());
    return c;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (uint32_t id : {300u, 301u, 358u, 360u, 362u, 4768u, 4771u, 5555u})
    (void)shipped.recover("", id, text);
  (void)shipped.language_of(text);
  em::Catalog own;  // the input as a template file
  own.load_text(text, "fuzz.json");
  (void)own.recover("", 1, text);
  return 0;
}
