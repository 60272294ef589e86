// Fuzzes the rules loader (host/src/engine/rules.*): any bytes as a rule file — JSON with
// comments, patterns compiled by RE2, nesting refused past its limit — then every
// accepted rule matched against one event, so compiled patterns run too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hellotrace;
  host::RuleSet rules;
  rules.load_text(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
  if (!rules.rules().empty()) {
    Event e;
    e.kind = "prereq.check";
    e.source = "udr";
    e.event_id = 360;
    e.fields = {{"PreReqResult", "0"}, {"IsDeviceJoined", "true"}, {"UserPrincipalName", "a@b.c"}};
    (void)rules.match(e);
  }
  return 0;
}
