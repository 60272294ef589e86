#include "normalize.hpp"

#include <hellotrace/text/text.hpp>
#include <string>

namespace hellotrace::udr {

using text::iequals;

Family family_of(const eventlog::Record& r) {
  auto is = [&](std::string_view channel, std::string_view provider) {
    return iequals(r.channel, channel) || iequals(r.provider, provider);
  };
  if (is("Microsoft-Windows-User Device Registration/Admin",
         "Microsoft-Windows-User Device Registration"))
    return Family::kUserDeviceRegistration;
  if (is("Microsoft-Windows-HelloForBusiness/Operational", "Microsoft-Windows-HelloForBusiness"))
    return Family::kHelloForBusiness;
  if (is("Microsoft-Windows-AAD/Operational", "Microsoft-Windows-AAD")) return Family::kAad;
  const std::string_view source =
      r.event_source_name.empty() ? std::string_view(r.provider) : r.event_source_name;
  if (iequals(source, "ADSync") || iequals(source, "Directory Synchronization"))
    return Family::kAdSync;
  return Family::kOther;
}

std::string_view kind_of(const eventlog::Record& r) {
  const uint32_t id = r.event_id;
  switch (family_of(r)) {
    case Family::kUserDeviceRegistration:
      switch (id) {
        case 358:
        case 360:
        case 361:
        case 362:
          return "prereq.check";
        case 300:
          return "ngc.key_registered";
        case 301:
          return "ngc.key_registration_failed";
        case 304:
        case 305:
        case 307:
        case 201:
        case 204:
          return "device.join_failed";
        case 306:
          return "device.joined";
        default:
          return "udr.event";
      }
    case Family::kHelloForBusiness:
      if (id == 5555) return "tpm.info";       // Hello's TPM facts
      if (id == 8002) return "ngc.container";  // container state
      if (r.level >= 1 && r.level <= 2) return "hello.error";
      return "hello.event";
    case Family::kAad:
      if (r.level >= 1 && r.level <= 2) return "aad.error";
      return "aad.event";
    case Family::kAdSync:
      // Ids documented in plugins/entra-sync/README.md; classic events whose strings
      // are positional, so the kind says what happened and the fields stay as written.
      switch (id) {
        case 904:
          return "adsync.scheduler";  // scheduler started/stopped, cycle start/end
        case 906:
          return "adsync.run_profile";  // a run profile finished (connector, profile)
        case 6100:
          return "adsync.run_error";  // a run step ended with errors (counts)
        case 2001:
        case 2002:
          return "adsync.service";
        case 114:
          return "adsync.export_cycle";  // Directory Synchronization: export cycle completed
        default:
          return "adsync.event";
      }
    case Family::kOther:
      break;
  }
  return "eventlog.record";
}

static bool is_service_sid(std::string_view sid) {
  return sid == "S-1-5-18" || sid == "S-1-5-19" || sid == "S-1-5-20";
}

static const std::string* first_of(const eventlog::Record& r,
                                   std::initializer_list<std::string_view> names) {
  for (auto n : names)
    if (const std::string* v = r.find(n); v && !v->empty()) return v;
  return nullptr;
}

void normalize(const eventlog::Record& r, Event& e) {
  e.time = r.time;
  e.time_flags = 0;
  e.kind.assign(kind_of(r));
  e.channel = r.channel;
  e.provider = r.provider.empty() ? r.event_source_name : r.provider;
  e.event_id = r.event_id;
  e.fields.clear();
  e.fields.reserve(r.data.size() + 8);
  for (const auto& d : r.data) e.fields.push_back({d.name, d.value});
  auto meta = [&](const char* name, std::string value) {
    if (!value.empty()) e.fields.push_back({name, std::move(value)});
  };
  meta("@Level", std::to_string(r.level));
  if (r.task) meta("@Task", std::to_string(r.task));
  if (r.opcode) meta("@Opcode", std::to_string(r.opcode));
  meta("@Computer", r.computer);
  meta("@UserID", r.user_sid);
  meta("@ActivityID", r.activity_id);
  if (r.qualifiers) meta("@Qualifiers", std::to_string(*r.qualifiers));
  meta("@Message", r.message);

  Subject& s = e.subject;
  s = Subject{};
  const std::string* sid = first_of(r, {"UserSid", "UserSID"});
  const std::string& header_sid = r.user_sid;
  if (sid && !is_service_sid(*sid))
    s.user_sid = *sid;
  else if (!header_sid.empty() && !is_service_sid(header_sid))
    s.user_sid = header_sid;
  if (const std::string* upn = first_of(r, {"UPN", "UserPrincipalName", "UserEmail"});
      upn && upn->find('@') != std::string::npos)
    s.user_upn = *upn;
  s.device_name = r.computer;
  if (const std::string* t = first_of(r, {"TenantId", "TenantID"}))
    if (auto g = text::normalize_guid(*t)) s.tenant_id = *g;
  if (const std::string* d = first_of(r, {"DeviceId", "DeviceID"}))
    if (auto g = text::normalize_guid(*d)) s.device_id = *g;
  if (const std::string* k = first_of(r, {"KeyId", "KeyID"})) s.ngc_key_id = *k;

  e.origin = Position{r.line, r.offset, r.record_id ? r.record_id : HT_NO_NUMBER};
}

}  // namespace hellotrace::udr
