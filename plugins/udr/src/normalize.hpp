// From an event-log record (any export form) to a normalized event.
//
// A reader may rely on: the kind depends only on channel/provider and event id
// (table in README.md), never on the localized message — except Security 4768/4771,
// whose kind also depends on their numeric PreAuthType/Status and certificate fields
// (PKINIT or not, success or not), still never on text; `fields` hold the record's
// EventData/UserData items unchanged and in order, then (kerberos.* kinds only) the
// derived Result/Failure/FailureReason/KeyTrust, then System facts under names
// starting with "@" (@Level, @Computer, @UserID, …) that cannot collide with
// EventData names; well-known service SIDs (SYSTEM, LOCAL SERVICE, NETWORK
// SERVICE) never become the subject's user.
#pragma once

#include <hellotrace/event.hpp>
#include <hellotrace/eventlog/record.hpp>
#include <string_view>

namespace hellotrace::udr {

enum class Family {
  kUserDeviceRegistration,
  kHelloForBusiness,
  kAad,
  kAdSync,
  kSecurityAuditing,  // DC Security log: Kerberos 4768/4771
  kKdc,               // Kerberos-Key-Distribution-Center (System, Operational)
  kKerberosClient,    // Security-Kerberos (the client's Kerberos/Operational log)
  kOther
};

Family family_of(const eventlog::Record& r);
std::string_view kind_of(const eventlog::Record& r);

// Fills `out` (cleared first) from `r`; reuses out's storage.
void normalize(const eventlog::Record& r, Event& out);

}  // namespace hellotrace::udr
