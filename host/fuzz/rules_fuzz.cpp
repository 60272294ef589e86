// Fuzzes the rules loader (host/src/engine/rules.*): any bytes as a rule file — JSON with
// comments, patterns compiled by RE2, nesting refused past its limit, "phases" and
// "summaries" (rules/phases.json) — then every accepted rule and phase signal matched
// against one event and every matching phase note filled, so compiled patterns and the
// note's {…} slots run too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hellotrace;
  host::RuleSet rules;
  rules.load_text(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
  if (!rules.rules().empty() || !rules.phase_rules().empty()) {
    Event e;
    e.kind = "prereq.check";
    e.source = "udr";
    e.event_id = 360;
    e.fields = {{"PreReqResult", "0"}, {"IsDeviceJoined", "true"}, {"UserPrincipalName", "a@b.c"}};
    e.subject.user_upn = "a@b.c";
    (void)rules.match(e);
    for (const host::PhaseRule* p : rules.phases(e)) (void)host::phase_note(*p, e);
    (void)rules.summary_fields(e.kind);
  }
  return 0;
}
