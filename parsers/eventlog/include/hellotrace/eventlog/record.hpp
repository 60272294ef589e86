// One Windows event-log record, whatever it was read from (.evtx, event XML, CSV,
// JSON): the System fields plus the EventData/UserData name→value pairs, in order.
// Every reader in parsers/ yields this shape, so the `udr` plugin and the
// equivalence tests see one thing.
//
// A reader may rely on: strings are UTF-8; GUIDs are upper case in braces as
// Windows renders them ({23B8D46B-…}); `time` is UTC in 100 ns ticks since the Unix
// epoch (HT_NO_TIME when absent); numbers are as Windows renders them in XML
// (decimal, negative integers in two's complement: -180, not -2147483468);
// `data` keeps duplicate and unnamed entries (unnamed ones get an empty name).
#pragma once

#include <hellotrace/plugin_api.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hellotrace::eventlog {

struct DataItem {
  std::string name;   // Data Name="…" (EventData) or element name (UserData); may be empty
  std::string value;  // rendered text
  bool operator==(const DataItem&) const = default;
};

struct Record {
  uint64_t record_id = 0;              // System/EventRecordID
  int64_t time = HT_NO_TIME;           // System/TimeCreated/@SystemTime
  uint32_t event_id = 0;               // System/EventID
  std::optional<uint16_t> qualifiers;  // System/EventID/@Qualifiers (classic events)
  uint8_t version = 0;
  uint8_t level = 0;
  uint16_t task = 0;
  uint8_t opcode = 0;
  uint64_t keywords = 0;
  std::string provider;           // Provider/@Name
  std::string provider_guid;      // Provider/@Guid
  std::string event_source_name;  // Provider/@EventSourceName
  std::string channel;
  std::string computer;
  std::string user_sid;     // Security/@UserID
  std::string activity_id;  // Correlation/@ActivityID
  std::string related_activity_id;
  std::optional<uint32_t> process_id, thread_id;
  std::vector<DataItem> data;  // EventData/Data or UserData children, in order
  bool user_data = false;      // true when `data` came from UserData
  std::string message;         // RenderingInfo/Message, when the export has it

  // Where it was read from, for evidence: byte offset of the record in the file
  // (EVTX) or 1-based line (text exports); HT_NO_NUMBER when unknown.
  uint64_t offset = HT_NO_NUMBER;
  uint64_t line = HT_NO_NUMBER;

  const std::string* find(std::string_view name) const {
    for (const auto& d : data)
      if (d.name == name) return &d.value;
    return nullptr;
  }
  void clear() { *this = Record(); }
};

}  // namespace hellotrace::eventlog
