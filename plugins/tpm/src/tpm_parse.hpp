// TPM exports → tpm.info events: Get-Tpm (Format-List, Format-Table, Export-Csv,
// ConvertTo-Json), Get-CimInstance Win32_Tpm, and `tpmtool getdeviceinformation`.
// See ../README.md.
#pragma once

#include <cstdint>
#include <hellotrace/plugin_sdk.hpp>
#include <span>
#include <string_view>

namespace hellotrace::tpm {

int sniff(std::span<const uint8_t> prefix, std::string_view file_name);
void parse(std::span<const uint8_t> bytes, sdk::EventSink& out);

}  // namespace hellotrace::tpm
