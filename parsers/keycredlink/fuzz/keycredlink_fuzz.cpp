// Fuzzes the DN-Binary parser, the blob decoder and the key-material decoders.
#include <cstddef>
#include <cstdint>
#include <hellotrace/keycredlink/keycredlink.hpp>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hellotrace::keycred;
  const std::span<const uint8_t> bytes(data, size);
  // As a blob.
  if (auto kc = decode(bytes); kc.ok()) {
    (void)roca_vulnerable(kc->material.modulus);
  }
  // As key material alone.
  (void)decode_key_material(bytes);
  // As DN-Binary text (and the blob inside it).
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto dn = parse_dn_binary(text); dn.ok()) (void)decode(dn->blob);
  (void)base64_decode(text);
  return 0;
}
