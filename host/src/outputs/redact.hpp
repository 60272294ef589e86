// Redaction of a Report before it leaves the organisation (tickets, vendors).
//
// redact(report, salt) replaces identifiers with stable pseudonyms: within one call the
// same value always gets the same pseudonym, wherever it occurs, and two calls on equal
// reports (same salt) give equal results. Call it once per Report; every output (HTML,
// Markdown, NDJSON, SQLite findings) is then produced from the redacted Report.
//
// WHAT IS REPLACED, and by what
//  - UPNs                → user-N@redacted.invalid (N numbers people in Report::users order,
//                          then other people, then values only findings/texts name; a
//                          second UPN of one person: user-N.2@redacted.invalid)
//  - UPN local parts, the leading CN value of a DN, bare sAMAccountNames (3+ characters)
//                        → user-N (so "John Doe" and "jdoe" in free text become user-N)
//  - SIDs S-1-5-21-A-B-C-RID → S-1-5-21-0-0-D-RID', where D numbers the domains and RID'
//                          keeps well-known RIDs below 1000 (500 Administrator, 512 …) and
//                          replaces others by 1000+k (k numbers SIDs); Entra SIDs
//                          S-1-12-1-… → S-1-12-1-0-0-0-k. Other SIDs (S-1-5-18, S-1-5-32-544,
//                          …) name no person and are kept.
//  - DNs                 → CN=user-N,OU=redacted,DC=redacted,DC=invalid; in free text
//                          their OU values become ou-K and their DC domain redacted.invalid
//  - sAMAccountNames     → REDACTED\user-N (DOMAIN\name) or user-N (bare)
//  - domains (UPN suffixes, DC= parts of DNs, NetBIOS names before '\') → redacted.invalid,
//                          or REDACTED for a single label (3+ characters)
//  - device names        → DEVICE-K (first DNS label; an FQDN keeps the redacted domain)
//  - device ids, tenant ids, NGC key ids and EVERY GUID-shaped string in any text
//                        → a GUID-shaped pseudonym: with a salt, derived from
//                          SHA-256(salt, kind, value) (stable across reports made with the
//                          same secret salt); without a salt, from the kind and an ordinal
//                          (not derived from the value, so it cannot be confirmed by
//                          guessing). NGC key ids that are not GUIDs (base64 key hashes)
//                          → KEYID-K; tenant ids that are not GUIDs → TENANT-K.
//  - the start of a GUID cut short by a summary ("3f2a9c1e-5b7d-…") → "(id cut)…".
//  - any e-mail-shaped string (x@y.z) in any text → as a UPN (user-N@redacted.invalid).
//  - values of identifying fields quoted as "Name=value" in summaries and excerpts
//    (KeyId, NgcKeyId, DeviceId, TenantId, UPN, DistinguishedName, SamAccountName,
//    UserAccount, DeviceName, ComputerName, DomainName, TenantName, …) are learnt
//    first, by kind, so base64 key ids and tenant names go too (KEYID-K, redacted-tenant).
// WHERE: identity facts (UPNs, SIDs, DNs, accounts, NGC keys, device ids and names),
// merge explanations and conflicts, finding subjects, summaries, evidence excerpts,
// details JSON (keys and string values),
// timeline entry summaries, phase notes and their evidence, sync cycles (connector,
// profile, result) and scheduler evidence. Known values are replaced as substrings,
// ASCII case-insensitively, only where they are not part of a longer word (letters and
// digits around them), longest value first, in one pass (a pseudonym is never redacted
// again). Titles and remediation come from rule files: only known values are replaced
// there (no GUID/SID/e-mail shapes, so references stay intact); documentation links
// are left as the rule gives them.
// FILE NAMES: every file path keeps only its base name (the folders may name the user),
// and known values in the base name are replaced as in free text; so are its words
// (runs of letters and digits) that are a part of a person's name (3+ characters of a
// UPN local part, a CN or an account: get-aduser-sofia.txt → get-aduser-user-1.txt) or
// a device name without its hyphens (dsregcmd-status-pc1504.txt → …-DEVICE-1.txt).
// CONNECTORS: Entra Connect connector names → connector-K (" - AAD" kept).
// MESSAGES (stderr, under --redact): held until the report is redacted, then printed
// through message(): free text, with the folder and file names of paths as file names.
//
// WHAT IS NOT REPLACED: times, event ids, kinds, sources (plugin names), rule ids and
// severities, positions (line, record, offset), numbers and error codes, well-known SIDs,
// values the Report does not know as identifiers and that have no recognisable shape
// (for example a tenant display name "Contoso Ltd" is only changed where it contains a
// known domain label, a person's display name only where it is the CN of a known DN,
// host names in free text only when they are known device names, IP addresses are kept).
// The order of users stays the one of the original report (sorted by original name).
// Without a salt, pseudonyms depend on the order values are met in the report: they are
// stable within a report and for equal reports, not across different reports.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "engine/timeline.hpp"

namespace hellotrace::host {

void redact(Report& r, const std::string& salt = "");

// The same, in steps, for outputs made from events too (the SQLite events table,
// `hellotrace events`): apply(Report&) first (it learns every identifier of the
// report), then apply(Event&) to each event; one Redaction gives one set of
// pseudonyms. Event fields are learnt by name (KeyId=…, UPN=…) and rewritten as free
// text; kind, source, channel, provider, event id and times are kept; the file keeps
// its base name.
class Redaction {
 public:
  explicit Redaction(std::string salt = "");
  ~Redaction();
  Redaction(const Redaction&) = delete;
  Redaction& operator=(const Redaction&) = delete;
  void apply(Report& r);
  void apply(Event& e);
  std::string text(std::string_view s);  // free text, with what is known so far
  // A message for stderr: as text(), and the folder and file names in it as file names.
  std::string message(std::string_view s);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Redacts one free-text string the way redact() does, with only the patterns
// (GUIDs, SIDs, e-mail addresses) known; for tests and ad-hoc use.
std::string redact_text(const std::string& text, const std::string& salt = "");

}  // namespace hellotrace::host
