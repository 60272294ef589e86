// The tpm analyzer: tpm.info (+ policy.setting, prereq.check) per device → tpm.absent,
// tpm.not_ready, tpm.version_unsupported, tpm.vulnerable_firmware. See ../README.md.
#pragma once

#include <hellotrace/plugin_sdk.hpp>
#include <nlohmann/json.hpp>

namespace hellotrace::tpm {

void analyze(const nlohmann::json& input, sdk::OutputSink& out);

}  // namespace hellotrace::tpm
