// TPM facts shared by the parser (derived fields of tpm.info events) and the analyzer
// (which re-derives them, so tpm.info events from other sources — HelloForBusiness 5555,
// the tpm-verifier probe — are read the same way). Pure functions, no state.
#pragma once

#include <cstdint>
#include <hellotrace/event.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hellotrace::tpm {

// ---- ROCA (CVE-2017-15361, Microsoft ADV170012) ------------------------------------

// Whether Infineon (IFX) TPM firmware `major.minor` is in a range ADV170012 lists as
// generating weak RSA keys: 4.x ≤ 4.33 and 4.40–4.42; 5.x ≤ 5.61; 6.x ≤ 6.42;
// 7.x ≤ 7.61; 133.x ≤ 133.32; 149.x ≤ 149.32. Any other major is not listed.
bool roca_affected_ifx(uint32_t major, uint32_t minor);
// The affected range of that major as text ("7.0–7.61"), or "" when none is listed.
std::string roca_range(uint32_t major);

// ---- values -------------------------------------------------------------------

// "7.63.3353.0", "4.43", "402.1.0.0" → its numeric parts (at least two, at most four,
// each < 2^32); nullopt for anything else ("Not Supported", "", "7").
std::optional<std::vector<uint32_t>> parse_version(std::string_view s);
// The TCG vendor id as text: the four bytes of the big-endian integer, NULs and padding
// dropped (1229346816 = 0x49465800 → "IFX"). "" when no byte is printable.
std::string vendor_from_id(uint32_t id);
// "True"/"true"/"Yes"/"1" → true, "False"/"false"/"No"/"0" → false (trimmed, any case).
std::optional<bool> parse_bool(std::string_view s);

// ---- derived facts --------------------------------------------------------------

// First field with this name, ASCII case-insensitive (PowerShell's own rule), or
// nullptr.
const std::string* find_field(const std::vector<Field>& fields, std::string_view name);

// What the analyzer and the derived fields need, from any tpm.info field set.
struct Derived {
  std::string tpm_version;   // "2.0", "1.2" or "" (unknown)
  std::string firmware;      // "a.b.c.d" as the source printed it, or ""
  std::string manufacturer;  // "IFX", "NTC", "INTC", … or ""
  std::optional<bool> roca;  // set only for IFX with a readable firmware version
};
Derived derive(const std::vector<Field>& fields);

// Appends the derived fields (TpmVersion, FirmwareVersion, Manufacturer,
// RocaAffectedFirmware) that the event does not already carry under that name.
void add_derived_fields(Event& event);

}  // namespace hellotrace::tpm
