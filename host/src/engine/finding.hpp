// A finding: one blocker (catalog id from docs/BLOCKERS.md) for one user/device,
// with the evidence that shows it. A reader may rely on: `rule` is a stable id,
// `severity` one of critical/high/medium/info, and every evidence item names the
// file and the position of an event that was read.
#pragma once

#include <hellotrace/event.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hellotrace::host {

struct Evidence {
  std::string file;
  Position position;
  int64_t time = HT_NO_TIME;
  std::string source;  // plugin
  std::string kind;    // event kind
  int64_t event_id = HT_NO_EVENT_ID;
  std::string excerpt;  // "IsDeviceJoined=NO; PreReqResult=WillNotProvision"
};

struct Finding {
  std::string rule;
  std::string severity;
  std::string title;
  std::string category;
  std::string summary;  // one sentence specific to this user/device
  Subject subject;
  std::vector<Evidence> evidence;
  std::string remediation;
  std::string documentation;
  nlohmann::json details = nlohmann::json::object();  // rule-specific (e.g. ETA)
  int64_t first_time() const;
  int64_t last_time() const;
};

// Where an event was read: "dsreg.txt:53", "udr.evtx record 41", "x.bin offset 0x1f",
// or the file alone. Raw text: a text output escapes it (terminal.hpp), HTML its own way.
std::string where(std::string_view file, const Position& p);

// Severity order: critical 3, high 2, medium 1, info 0; -1 for unknown words.
int severity_rank(std::string_view severity);

}  // namespace hellotrace::host
