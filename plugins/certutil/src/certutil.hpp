// certutil outputs of the PKI that key trust sign-in rests on: the DCs' KDC certificates
// (`certutil -dcinfo verify`) and the enterprise NTAuth store (`certutil -enterprise -store
// NTAuth`). See ../README.md.
#pragma once

#include <hellotrace/plugin_sdk.hpp>
#include <span>
#include <string>
#include <string_view>

namespace hellotrace::certutil {

// "CN=Contoso CA, DC=corp,DC=contoso" and "cn=contoso ca,dc=corp, dc=contoso" are one name.
std::string normalize_dn(std::string_view dn);

int sniff(std::span<const uint8_t> prefix, std::string_view file_name);
void parse(std::span<const uint8_t> bytes, sdk::EventSink& out);
void analyze(const nlohmann::json& input, sdk::OutputSink& out);

}  // namespace hellotrace::certutil
