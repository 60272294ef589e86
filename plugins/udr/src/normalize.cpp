#include "normalize.hpp"

#include <charconv>
#include <hellotrace/text/text.hpp>
#include <optional>
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
  // The Security channel also holds Microsoft-Windows-Eventlog records (1102): only the
  // auditing provider writes the Kerberos 4768/4771 records, so match the provider.
  if (iequals(r.provider, "Microsoft-Windows-Security-Auditing")) return Family::kSecurityAuditing;
  const std::string_view source =
      r.event_source_name.empty() ? std::string_view(r.provider) : r.event_source_name;
  if (iequals(source, "ADSync") || iequals(source, "Directory Synchronization"))
    return Family::kAdSync;
  // The KDC writes classic System-log events (provider name with EventSourceName "KDC")
  // and, when enabled, events of its own Operational channel.
  if (is("Microsoft-Windows-Kerberos-Key-Distribution-Center/Operational",
         "Microsoft-Windows-Kerberos-Key-Distribution-Center") ||
      iequals(source, "KDC"))
    return Family::kKdc;
  // The client's Kerberos log: provider Security-Kerberos, channel Kerberos/Operational
  // (disabled by default).
  if (is("Microsoft-Windows-Kerberos/Operational", "Microsoft-Windows-Security-Kerberos"))
    return Family::kKerberosClient;
  return Family::kOther;
}

// ---- Kerberos PKINIT (DC Security log 4768 / 4771) ------------------------------
//
// Sources: "4768(S, F): A Kerberos authentication ticket (TGT) was requested" and
// "4771(F): Kerberos pre-authentication failed" (learn.microsoft.com, windows-itpro-docs
// threat-protection/auditing): Status / failure codes are hex ("0x0", "0x3E"),
// PreAuthType is decimal ("2" password, "15"/"16"/"17" PKINIT, "-" in failure events);
// CertIssuerName/CertSerialNumber/CertThumbprint are filled only when a certificate was
// used for pre-authentication (always empty in 4771). RFC 4556 §3.1.3 for PKINIT codes.

namespace {

std::optional<uint32_t> number_of(std::string_view v, bool hex_default) {
  v = text::trim(v);
  int base = hex_default ? 16 : 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    v.remove_prefix(2);
    base = 16;
  }
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n, base);
  if (ec != std::errc() || end != v.data() + v.size() || v.empty()) return std::nullopt;
  return n;
}

std::optional<uint32_t> status_of(const eventlog::Record& r) {
  const std::string* s = r.find("Status");
  return s ? number_of(*s, true) : std::nullopt;
}

struct KerberosError {
  uint32_t code;
  const char* name;
  const char* meaning;
};

// The codes a PKINIT logon meets (MS 4768/4771 tables; RFC 4556 for 0x46–0x51).
constexpr KerberosError kKerberosErrors[] = {
    {0x06, "KDC_ERR_C_PRINCIPAL_UNKNOWN", "client not found in the directory"},
    {0x10, "KDC_ERR_PADATA_TYPE_NOSUPP",
     "the KDC cannot do certificate pre-authentication: no usable KDC (Domain Controller / "
     "Kerberos Authentication) certificate"},
    {0x12, "KDC_ERR_CLIENT_REVOKED", "account disabled, expired or locked out"},
    {0x17, "KDC_ERR_KEY_EXPIRED", "password expired"},
    {0x18, "KDC_ERR_PREAUTH_FAILED", "pre-authentication data invalid (wrong password)"},
    {0x25, "KRB_AP_ERR_SKEW", "clock skew too great"},
    {0x3E, "KDC_ERR_CLIENT_NOT_TRUSTED",
     "the KDC does not trust the client's certificate or its root (untrusted or revoked "
     "certificate, issuing CA not trusted for logon)"},
    {0x3F, "KDC_ERR_KDC_NOT_TRUSTED", "the KDC's certificate could not be verified"},
    {0x40, "KDC_ERR_INVALID_SIG", "the signature of the PKINIT request is invalid"},
    {0x41, "KDC_ERR_KEY_TOO_WEAK", "the key parameters are not accepted"},
    {0x46, "KDC_ERR_CANT_VERIFY_CERTIFICATE", "the client certificate could not be verified"},
    {0x47, "KDC_ERR_INVALID_CERTIFICATE", "the client certificate is invalid"},
    {0x48, "KDC_ERR_REVOKED_CERTIFICATE", "the client certificate is revoked"},
    {0x49, "KDC_ERR_REVOCATION_STATUS_UNKNOWN",
     "revocation status of the client certificate unknown"},
    {0x4B, "KDC_ERR_CLIENT_NAME_MISMATCH",
     "no key of the client in msDS-KeyCredentialLink matches (key trust: key not synchronized "
     "or replicated yet, or deleted), or the certificate does not name the client"},
    {0x4D, "KDC_ERR_INCONSISTENT_KEY_PURPOSE", "the certificate cannot be used for PKINIT"},
};

const KerberosError* kerberos_error(uint32_t code) {
  for (const auto& k : kKerberosErrors)
    if (k.code == code) return &k;
  return nullptr;
}

// Codes RFC 4556 defines for PKINIT only: a 4768 failure carrying one was a PKINIT
// attempt even though failure events write PreAuthType "-".
bool pkinit_only_code(uint32_t code) {
  return (code >= 0x3E && code <= 0x41) || (code >= 0x46 && code <= 0x51);
}

bool has_value(const eventlog::Record& r, std::string_view name) {
  const std::string* v = r.find(name);
  return v && !text::trim(*v).empty() && text::trim(*v) != "-";
}

// A TGT request (4768) or pre-authentication failure (4771) that used PKINIT.
bool is_pkinit(const eventlog::Record& r) {
  if (const std::string* p = r.find("PreAuthType"))
    if (auto t = number_of(*p, false); t && *t >= 14 && *t <= 17) return true;  // PA-PK-AS-*
  if (has_value(r, "CertIssuerName") || has_value(r, "CertSerialNumber") ||
      has_value(r, "CertThumbprint"))
    return true;
  auto st = status_of(r);
  return st && pkinit_only_code(*st);
}

}  // namespace

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
    case Family::kSecurityAuditing:
      // Only PKINIT TGT requests are part of the enrollment story (the first on-premises
      // sign-in with the Windows Hello key); password logons stay eventlog.record.
      if ((id == 4768 || id == 4771) && is_pkinit(r)) {
        auto st = status_of(r);
        return id == 4768 && st && *st == 0 ? "kerberos.pkinit" : "kerberos.pkinit_failed";
      }
      break;
    case Family::kKdc:
      // KDC certificate problems (System: 19 no certificate for PKINIT, 20 selected
      // certificate no longer valid, 29 no suitable/verifiable certificate; Operational:
      // 120 current certificate fails validation, 200 no suitable certificate).
      if (id == 19 || id == 20 || id == 29 || id == 120 || id == 200) return "kdc.certificate";
      break;
    case Family::kKerberosClient:
      // The client cannot validate the DC's KDC certificate, so PKINIT sign-in fails:
      // Operational 107 "The Kerberos client received a KDC certificate that does not have
      // a matched domain name" (Microsoft, Windows Hello for Business known deployment
      // issues); System 9 KERBEVT_BAD_KDC_CERTIFICATE "The client has failed to validate
      // the Domain Controller certificate for %2" (Microsoft, Event ID 9 — KDC
      // Certificate Availability).
      if (id == 107 || id == 9) return "kerberos.kdc_certificate_invalid";
      break;
    case Family::kOther:
      break;
  }
  return "eventlog.record";
}

static bool is_service_sid(std::string_view sid) {
  return sid == "S-1-5-18" || sid == "S-1-5-19" || sid == "S-1-5-20";
}

// Derived facts of a PKINIT event, appended after the EventData: Result, and for
// failures the code's name and meaning; KeyTrust when the certificate tells it.
static void add_pkinit_facts(const eventlog::Record& r, std::string_view kind, Event& e) {
  auto add = [&](const char* name, std::string value) {
    if (!r.find(name)) e.fields.push_back({name, std::move(value)});  // never shadow EventData
  };
  const bool ok = kind == "kerberos.pkinit";
  add("Result", ok ? "success" : "failure");
  const auto st = status_of(r);
  const KerberosError* k = !ok && st ? kerberos_error(*st) : nullptr;
  if (k) {
    add("Failure", k->name);
    add("FailureReason", k->meaning);
  }
  // Key trust: the client sends its Windows Hello public key in a self-signed
  // certificate (learn.microsoft.com "How Windows Hello for Business authentication
  // works"); such issuers start with the user's SID (FalconForce "Certified Pre-Owned"
  // KQL: TGTs "with certs starting with a sid"), while certificate trust and smart
  // cards show the issuing CA. An empty issuer (always so in 4771) tells nothing.
  if (const std::string* issuer = r.find("CertIssuerName");
      issuer && has_value(r, "CertIssuerName"))
    add("KeyTrust", text::istarts_with(text::trim(*issuer), "S-1-") ? "True" : "False");
}

// The account a DC Security record is about: TargetSid and TargetDomainName\TargetUserName
// (4771 has no domain: the bare name). Computer accounts (name$) are devices, and the DC
// that wrote the record is not the user's device.
static void kerberos_subject(const eventlog::Record& r, Subject& s) {
  s = Subject{};
  auto value = [&](std::string_view field) {
    const std::string* v = r.find(field);
    return v ? text::trim(*v) : std::string_view();
  };
  const std::string_view name = value("TargetUserName");
  if (name.empty() || name == "-") return;
  if (name.back() == '$') {
    s.device_name.assign(name.substr(0, name.size() - 1));
    return;
  }
  if (const std::string* sid = r.find("TargetSid")) {
    const std::string_view v = text::trim(*sid);
    if (text::istarts_with(v, "S-1-") && v != "S-1-0-0" && !is_service_sid(v)) s.user_sid.assign(v);
  }
  if (name.find('@') != std::string_view::npos) {
    s.user_upn.assign(name);  // the client named itself by UPN (NT-ENTERPRISE)
    return;
  }
  const std::string_view domain = value("TargetDomainName");
  s.user_sam = domain.empty() || domain == "-" ? std::string(name)
                                               : std::string(domain) + "\\" + std::string(name);
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
  if (e.kind == "kerberos.pkinit" || e.kind == "kerberos.pkinit_failed")
    add_pkinit_facts(r, e.kind, e);
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
  if (e.kind == "kerberos.pkinit" || e.kind == "kerberos.pkinit_failed") kerberos_subject(r, s);

  e.origin = Position{r.line, r.offset, r.record_id ? r.record_id : HT_NO_NUMBER};
}

}  // namespace hellotrace::udr
