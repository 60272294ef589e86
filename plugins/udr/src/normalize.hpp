// From an event-log record (any export form) to a normalized event.
//
// A reader may rely on: the kind depends only on channel/provider and event id
// (table in README.md), never on the localized message; `fields` hold the record's
// EventData/UserData items unchanged and in order, followed by System facts under
// names starting with "@" (@Level, @Computer, @UserID, …) that cannot collide with
// EventData names; well-known service SIDs (SYSTEM, LOCAL SERVICE, NETWORK
// SERVICE) never become the subject's user.
#pragma once

#include <hellotrace/event.hpp>
#include <hellotrace/eventlog/record.hpp>
#include <string_view>

namespace hellotrace::udr {

enum class Family { kUserDeviceRegistration, kHelloForBusiness, kAad, kAdSync, kOther };

Family family_of(const eventlog::Record& r);
std::string_view kind_of(const eventlog::Record& r);

// Fills `out` (cleared first) from `r`; reuses out's storage.
void normalize(const eventlog::Record& r, Event& out);

}  // namespace hellotrace::udr
