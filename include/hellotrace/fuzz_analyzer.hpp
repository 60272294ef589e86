// The body of a libFuzzer target for a parser + analyzer plugin: sniff() and parse() on
// arbitrary bytes, then analyze() on the events parse() produced, built as the host builds
// them (odd sizes give the events a device, even ones none), so the analyzer sees odd
// values too — all through the plugin table as the host calls it. Aborts on what must never
// happen: a sniff score out of range, a failed parse or analyze, a finding without a rule or
// evidence.
#pragma once

#include <cstdlib>
#include <hellotrace/analysis_input.hpp>
#include <hellotrace/plugin_testing.hpp>
#include <string>

namespace hellotrace::harness {

inline int fuzz_parse_and_analyze(const PluginUnderTest& plugin, const uint8_t* data, size_t size,
                                  const std::string& file_name, const std::string& source,
                                  const std::string& device_name) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const int score = plugin.sniff(bytes, file_name);
  if (score < 0 || score > 100) std::abort();
  auto run = plugin.parse(bytes, "fuzz-input");
  if (run.status != HT_OK) std::abort();  // bad input is reported, never a failure
  analysis::ojson events = analysis::ojson::array();
  for (auto& e : run.events) {
    e.source = source;
    events.push_back(analysis::event_json(e, -1, size % 2 ? 0 : -1));
  }
  const auto analyzed = plugin.analyze(
      analysis::input_json(std::move(events), {analysis::device_identity_json(0, device_name)}));
  if (analyzed.status != HT_OK) std::abort();
  for (const auto& f : analyzed.findings)
    if (!f.is_object() || !f.contains("rule") || f["evidence"].empty()) std::abort();
  return 0;
}

}  // namespace hellotrace::harness
