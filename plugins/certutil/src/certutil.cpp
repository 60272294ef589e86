#include "certutil.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <hellotrace/analysis_findings.hpp>
#include <hellotrace/text/decode_issues.hpp>
#include <hellotrace/text/text.hpp>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace hellotrace::certutil {

namespace {

using nlohmann::json;
using text::icontains;
using text::iequals;
using text::istarts_with;
using text::trim;

// "Name: value" of a certutil line (the name has no colon; indentation dropped).
std::optional<std::pair<std::string_view, std::string_view>> name_value(std::string_view line) {
  line = trim(line);
  const size_t colon = line.find(": ");
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  return std::pair{trim(line.substr(0, colon)), trim(line.substr(colon + 2))};
}

// certutil prints errors as "0x80092013 (-2146885613 CRYPT_E_REVOCATION_OFFLINE)": the
// symbol after the decimal value.
std::string error_symbol(std::string_view line) {
  const size_t open = line.rfind('(');
  const size_t close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return {};
  const std::string_view inside = trim(line.substr(open + 1, close - open - 1));
  const size_t space = inside.find(' ');
  if (space == std::string_view::npos || inside.empty() || inside[0] != '-') return {};
  return std::string(trim(inside.substr(space + 1)));
}

// One certificate block of either output, fields as certutil names them.
struct Block {
  uint64_t line = 0;
  std::vector<Field> fields;
  std::vector<std::string> errors;  // error symbols (or lines) of the verification
  bool valid = false;               // "Certificate is valid"
  void add(std::string_view name, std::string_view value) {
    fields.push_back({std::string(name), std::string(value)});
  }
};

// ---- certutil -dcinfo [verify] ---------------------------------------------------------

void emit_kdc(const Block& b, const std::string& dc, bool verify_run, sdk::EventSink& out) {
  Event e;
  e.kind = "pki.kdc_certificate";
  e.origin.line = b.line;
  e.subject.device_name = dc;
  e.add("DC", dc);
  for (const auto& f : b.fields) e.add(f.name, f.value);
  std::string errors;
  for (const auto& s : b.errors) errors += (errors.empty() ? "" : ", ") + s;
  // "verify" makes certutil check each KDC certificate's chain and revocation as this
  // machine sees it; without it nothing is said about validity.
  e.add("Verify", !b.errors.empty() ? "failed"
                  : b.valid         ? "valid"
                  : verify_run      ? "unknown"
                                    : "not verified");
  if (!errors.empty()) e.add("VerifyError", errors);
  out.emit(e);
}

void parse_dcinfo(const std::vector<text::Line>& lines, sdk::EventSink& out) {
  std::string dc;       // the DC being tested
  bool in_kdc = false;  // inside "** KDC Certificates for DC …"
  std::optional<Block> cert;
  bool verify_run = false;
  size_t emitted = 0;
  auto flush = [&] {
    if (cert && !dc.empty()) {
      emit_kdc(*cert, dc, verify_run, out);
      ++emitted;
    }
    cert.reset();
  };
  for (const auto& l : lines) {
    const std::string_view t = trim(l.text);
    if (istarts_with(t, "*** Testing DC[")) {
      flush();
      in_kdc = false;
      const size_t colon = t.find("]:");
      dc = colon == std::string_view::npos ? std::string() : std::string(trim(t.substr(colon + 2)));
      continue;
    }
    if (istarts_with(t, "** ")) {
      flush();
      in_kdc = icontains(t, "KDC Certificates for DC");
      continue;
    }
    if (!in_kdc) continue;
    if (istarts_with(t, "Certificate ") && !t.empty() && t.back() == ':' &&
        t.find(' ', 12) == std::string_view::npos) {
      flush();
      cert.emplace();
      cert->line = l.number;
      continue;
    }
    if (!cert) {
      if (icontains(t, "KDC certs for")) in_kdc = false;
      continue;
    }
    if (icontains(t, "KDC certs for")) {
      flush();
      in_kdc = false;
      continue;
    }
    if (iequals(t, "Certificate is valid")) {
      cert->valid = true;
      verify_run = true;
      continue;
    }
    if (istarts_with(t, "Verified Application Policies") || istarts_with(t, "Verified Issuance"))
      verify_run = true;
    if (istarts_with(t, "ERROR:") || icontains(t, "Certificate is REVOKED")) {
      verify_run = true;
      std::string s = error_symbol(t);
      if (s.empty()) s = std::string(t.substr(0, 120));
      if (std::find(cert->errors.begin(), cert->errors.end(), s) == cert->errors.end())
        cert->errors.push_back(s);
      continue;
    }
    if (auto nv = name_value(t)) {
      static const char* kKept[] = {
          "Serial Number",   "Issuer",    "Subject", "Certificate Template Name (Certificate Type)",
          "Cert Hash(sha1)", "NotBefore", "NotAfter"};
      for (const char* k : kKept)
        if (iequals(nv->first, k)) cert->add(nv->first, nv->second);
    }
  }
  flush();
  if (emitted == 0)
    out.info({},
             "certutil -dcinfo output without KDC certificates (no DC answered, or none has one)");
}

// ---- certutil -store (NTAuth, Root, …) -------------------------------------------------

void parse_store(const std::vector<text::Line>& lines, sdk::EventSink& out) {
  std::string store;
  uint64_t store_line = 0;
  std::optional<Block> cert;
  size_t count = 0;
  bool completed = false;
  auto flush = [&] {
    if (!cert) return;
    Event e;
    e.kind = "pki.store_certificate";
    e.origin.line = cert->line;
    e.add("Store", store);
    for (const auto& f : cert->fields) e.add(f.name, f.value);
    out.emit(e);
    ++count;
    cert.reset();
  };
  for (const auto& l : lines) {
    const std::string_view t = trim(l.text);
    if (store.empty() && !t.empty() && t.find('"') != std::string_view::npos &&
        !istarts_with(t, "=")) {
      store = std::string(trim(t.substr(0, t.find('"'))));  // NTAuth "Enterprise NTAuth"
      store_line = l.number;
      continue;
    }
    if (istarts_with(t, "================ Certificate")) {
      flush();
      cert.emplace();
      cert->line = l.number;
      continue;
    }
    if (istarts_with(t, "CertUtil:")) {
      flush();
      completed = icontains(t, "completed successfully");
      continue;
    }
    if (!cert) continue;
    if (auto nv = name_value(t)) {
      static const char* kKept[] = {"Serial Number", "Issuer",   "Subject",        "NotBefore",
                                    "NotAfter",      "Template", "Cert Hash(sha1)"};
      for (const char* k : kKept)
        if (iequals(nv->first, k)) cert->add(nv->first, nv->second);
    }
  }
  flush();
  Event e;
  e.kind = "pki.store";
  e.origin.line = store_line ? store_line : 1;
  e.add("Store", store);
  e.add("Certificates", std::to_string(count));
  // Without certutil's closing line the listing may be cut: an absent CA proves nothing.
  e.add("Complete", completed ? "True" : "False");
  if (!completed)
    out.warning({lines.empty() ? 1 : lines.back().number, HT_NO_NUMBER, HT_NO_NUMBER},
                "certutil -store output without its closing 'CertUtil: -store command completed "
                "successfully.' line: the listing looks cut short");
  out.emit(e);
}

}  // namespace

std::string normalize_dn(std::string_view dn) {
  std::string out;
  bool space = false;
  for (char c : trim(dn)) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    // Blanks around the separators are layout; inside a value they are one space.
    if (space && !out.empty() && out.back() != ',' && out.back() != '=' && c != ',' && c != '=')
      out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  return out;
}

int sniff(std::span<const uint8_t> prefix, std::string_view /*file_name*/) {
  const std::string t = text::decode(prefix);
  if (icontains(t, "KDC Certificates for DC") || icontains(t, "*** Testing DC[")) return 90;
  if (icontains(t, "================ Certificate") && icontains(t, "Cert Hash(sha1)")) return 85;
  if (icontains(t, "Enterprise NTAuth")) return 80;
  return 0;
}

void parse(std::span<const uint8_t> bytes, sdk::EventSink& out) {
  const std::string decoded = text::decode_reporting(bytes, out);
  const auto lines = text::split_lines(decoded);
  bool dcinfo = false, store = false;
  for (const auto& l : lines) {
    const std::string_view t = trim(l.text);
    if (istarts_with(t, "*** Testing DC[") || icontains(t, "KDC Certificates for DC"))
      dcinfo = true;
    if (istarts_with(t, "================ Certificate")) store = true;
  }
  if (dcinfo)
    parse_dcinfo(lines, out);
  else if (store)
    parse_store(lines, out);
  else
    out.info({}, "neither certutil -dcinfo nor certutil -store output");
}

// ---- Analyzer --------------------------------------------------------------------------

namespace {}  // namespace

void analyze(const json& input, sdk::OutputSink& out) {
  auto events = input.find("events");
  if (events == input.end() || !events->is_array()) return;
  const json* ntauth = nullptr;  // the (last) complete NTAuth listing
  std::set<std::string> in_ntauth;
  std::vector<const json*> kdc;
  for (const auto& ev : *events) {
    if (!ev.is_object()) continue;
    const std::string kind = analysis::member(ev, "kind");
    if (kind == "pki.store" && iequals(analysis::event_field(ev, "Store"), "NTAuth") &&
        analysis::event_field(ev, "Complete") == "True")
      ntauth = &ev;
    else if (kind == "pki.store_certificate" &&
             iequals(analysis::event_field(ev, "Store"), "NTAuth"))
      in_ntauth.insert(normalize_dn(analysis::event_field(ev, "Subject")));
    else if (kind == "pki.kdc_certificate")
      kdc.push_back(&ev);
  }
  if (!ntauth) return;  // no complete NTAuth listing: nothing can be said to be missing
  for (const json* k : kdc) {
    const std::string issuer = analysis::event_field(*k, "Issuer");
    if (issuer.empty() || in_ntauth.count(normalize_dn(issuer))) continue;
    const std::string dc = analysis::event_field(*k, "DC");
    json f = {{"rule", "signin.ntauth_missing"},
              {"severity", "high"},
              {"title", "The CA that issued a DC's KDC certificate is not in NTAuth"},
              {"category", "signin"},
              {"user", analysis::no_user()},
              {"device", {{"name", dc.empty() ? json() : json(dc)}, {"id", nullptr}}},
              {"tenant", nullptr},
              {"details",
               {{"issuer", issuer},
                {"ntauth_certificates", analysis::event_field(*ntauth, "Certificates")}}}};
    f["summary"] = fmt::format(
        "the KDC certificate of domain controller {} was issued by '{}', which is not in the "
        "enterprise NTAuth store: the DC does not use it for certificate (PKINIT) sign-in, so "
        "Windows Hello for Business key trust sign-ins against it fail",
        dc, issuer);
    f["remediation"] = fmt::format(
        "Publish the issuing CA's certificate to NTAuth (as an Enterprise Admin, with the CA "
        "certificate exported to a file): 'certutil -dspublish -f <issuing-ca.cer> NTAuthCA', "
        "then check with 'certutil -enterprise -store NTAuth' that '{}' is listed; domain "
        "controllers pick it up at the next Group Policy refresh ('certutil -pulse' or "
        "'gpupdate /force' on the DC). An enterprise CA publishes itself when installed; a CA "
        "installed later, a non-Microsoft CA or an NTAuth object cleaned up by hand need this "
        "step.",
        issuer);
    f["documentation"] =
        "https://learn.microsoft.com/troubleshoot/windows-server/windows-security/"
        "enabling-smart-card-logon-third-party-certification-authorities";
    f["evidence"] = json::array(
        {analysis::evidence_of(*k,
                               {"DC", "Issuer", "Subject",
                                "Certificate Template Name (Certificate Type)", "Serial Number"},
                               "certutil"),
         analysis::evidence_of(*ntauth, {"Store", "Certificates", "Complete"}, "certutil")});
    out.finding(f);
  }
}

}  // namespace hellotrace::certutil
