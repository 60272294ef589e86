// Turning values read from logs into text that is safe in a PowerShell script, a
// Markdown page or a comment, and checking identifiers by shape before a step uses
// them. Every value from the findings passes through here: the logs are written by
// the machines being diagnosed, so a UPN, device name or key id may be hostile.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hellotrace::reenroll {

// Replaces every invalid UTF-8 sequence (bad lead byte, overlong, surrogate, truncated)
// with U+FFFD, so no decoder can read a quote character out of it.
std::string clean_utf8(std::string_view s);

// A PowerShell single-quoted literal reading as `s`: nothing inside expands; the
// apostrophe and the four typographic single quotes PowerShell also accepts as
// delimiters (U+2018, U+2019, U+201A, U+201B) are doubled.
std::string ps_literal(std::string_view s);

// One line of printable text for a comment, a message or a Markdown cell: control
// characters (C0, DEL, C1 including NEL), line/paragraph separators, bidirectional
// overrides (Trojan Source) and the BOM become '?', invalid UTF-8 becomes U+FFFD, and
// the result is cut to `max_chars` code points (with "..." appended).
std::string one_line(std::string_view s, size_t max_chars = 160);

// `one_line` plus a backslash before every ASCII punctuation character, so Markdown
// renders the value as plain text (no links, HTML, emphasis or table breaks).
std::string md_text(std::string_view s);

// Shape checks. Each returns the normalized value, or nothing when the shape is wrong.
std::optional<std::string> valid_sid(std::string_view s);         // S-1-5-21-…
std::optional<std::string> valid_guid(std::string_view s);        // lower case, no braces
std::optional<std::string> valid_ngc_key_id(std::string_view s);  // {GUID} upper case
std::optional<std::string> valid_ad_key_id(std::string_view s);   // 64 lower hex (or base64)
std::optional<std::string> valid_upn(std::string_view s);
// A DNS or NetBIOS computer name; returns the NetBIOS form that %COMPUTERNAME% shows
// (first label, upper case, at most 15 characters).
std::optional<std::string> valid_computer_name(std::string_view s);
std::optional<std::string> valid_utc_time(std::string_view s);  // 2024-11-14T13:51:47.0000000Z
// The DC=…,DC=… tail of a distinguished name (the user's domain), each label a DNS label.
std::optional<std::string> domain_of_dn(std::string_view dn);
// DOMAIN\account as the AD connector account is written.
std::optional<std::string> valid_account(std::string_view s);

}  // namespace hellotrace::reenroll
