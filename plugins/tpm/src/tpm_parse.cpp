#include "tpm_parse.hpp"

#include <array>
#include <hellotrace/pstext/pstext.hpp>
#include <hellotrace/text/decode_issues.hpp>
#include <hellotrace/text/text.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tpm_facts.hpp"

namespace hellotrace::tpm {

namespace {

using text::icontains;
using text::iequals;
using text::istarts_with;
using text::trim;

constexpr std::string_view kKind = "tpm.info";

// Properties only Get-Tpm's TpmObject has after its first ten lines. Windows prints an
// empty line between ManufacturerVersionFull20 and ManagedAuthLevel (the published
// Get-Tpm example shows it), so Format-List readers see two blocks: the second one is
// recognised by these names and joined to the first.
constexpr std::array<std::string_view, 9> kGetTpmTail = {
    "ManagedAuthLevel", "OwnerAuth",    "OwnerClearDisabled", "AutoProvisioning", "LockedOut",
    "LockoutHealTime",  "LockoutCount", "LockoutMax",         "SelfTest"};

// Columns that name the computer an object came from: Invoke-Command / CIM sessions
// add PSComputerName, Get-WmiObject __SERVER; scripts that collect from many machines
// often add ComputerName.
constexpr std::array<std::string_view, 5> kComputerColumns = {"PSComputerName", "__SERVER",
                                                              "ComputerName", "CSName", "Computer"};

enum class ObjectKind { kGetTpm, kWin32Tpm, kGetTpmTail, kOther };

ObjectKind classify(const pstext::Object& o) {
  if (o.has("IsActivated_InitialValue") || o.has("IsEnabled_InitialValue") ||
      o.has("IsOwned_InitialValue") || o.has("PhysicalPresenceVersionInfo") ||
      (o.has("SpecVersion") && o.has("ManufacturerId")))
    return ObjectKind::kWin32Tpm;
  if (o.has("TpmPresent") || o.has("TpmReady") || o.has("ManufacturerIdTxt") ||
      o.has("ManufacturerVersionFull20"))
    return ObjectKind::kGetTpm;
  int tail = 0;
  for (std::string_view n : kGetTpmTail) tail += o.has(n);
  return tail >= 2 ? ObjectKind::kGetTpmTail : ObjectKind::kOther;
}

void set_subject_from_columns(Event& e) {
  for (std::string_view column : kComputerColumns) {
    const std::string* v = find_field(e.fields, column);
    if (v && !trim(*v).empty()) {
      e.subject.device_name = std::string(trim(*v));
      return;
    }
  }
}

Position at_line(uint64_t line) {
  Position p;
  if (line != 0) p.line = line;
  return p;
}

// ---- PowerShell objects (Get-Tpm, Win32_Tpm) ------------------------------------

struct Pending {
  ObjectKind kind;
  pstext::Object object;
};

void parse_objects(std::string_view decoded, sdk::EventSink& out) {
  pstext::Result r = pstext::parse(decoded);
  for (const auto& p : r.problems) out.warning(at_line(p.line), p.message);
  for (const auto& e : r.errors) {
    const std::string_view first = trim(std::string_view(e.text).substr(0, e.text.find('\n')));
    out.warning(at_line(e.line), "PowerShell error in the export: " + std::string(first));
  }

  // Classify, join Get-Tpm's second block to its first, drop what is not a TPM.
  std::vector<Pending> kept;
  for (auto& o : r.objects) {
    ObjectKind kind = classify(o);
    if (kind == ObjectKind::kOther) {
      out.info(at_line(o.line), "not a TPM object (no Get-Tpm or Win32_Tpm property), skipped");
      continue;
    }
    if (kind == ObjectKind::kGetTpmTail) {
      if (!kept.empty() && kept.back().kind == ObjectKind::kGetTpm &&
          kept.back().object.format == o.format) {
        bool overlap = false;
        for (const auto& prop : o.properties) overlap |= kept.back().object.has(prop.name);
        if (!overlap) {
          for (auto& prop : o.properties) kept.back().object.properties.push_back(std::move(prop));
          continue;
        }
      }
      kind = ObjectKind::kGetTpm;  // e.g. `Get-Tpm | Select LockedOut, LockoutCount`
    }
    kept.push_back({kind, std::move(o)});
  }

  // Stray lines after the first object are damage (a line PowerShell would never write
  // there, an edit, a cut), except prompts, stream messages and a transcript's footer.
  if (!kept.empty()) {
    const uint64_t first = kept.front().object.line;
    for (const auto& t : r.text) {
      const std::string_view line = trim(t.text);
      if (t.line <= first || line.empty() || pstext::prompt_command(t.text)) continue;
      if (line.starts_with("**********")) break;  // Stop-Transcript footer follows
      if (istarts_with(line, "WARNING:") || istarts_with(line, "VERBOSE:")) continue;
      out.warning(at_line(t.line),
                  "not a 'Name : Value' line, skipped: " + std::string(line.substr(0, 80)));
    }
  }

  const bool ends_cut = !decoded.empty() && decoded.back() != '\n';
  for (size_t i = 0; i < kept.size(); ++i) {
    const Pending& p = kept[i];
    Event e;
    e.kind = std::string(kKind);
    e.origin.line = p.object.line;
    for (const auto& prop : p.object.properties) e.add(prop.name, prop.value);
    set_subject_from_columns(e);
    e.add("Export", p.kind == ObjectKind::kWin32Tpm ? "Win32_Tpm" : "Get-Tpm");
    // A text export that stops without a line break inside the last object, before the
    // property PowerShell prints last, was cut short (copy/paste, full disk, size cap).
    if (i + 1 == kept.size() && ends_cut && p.object.format == pstext::Format::kList) {
      const std::string_view closing = p.kind == ObjectKind::kWin32Tpm ? "SpecVersion" : "SelfTest";
      if (!p.object.has(closing)) {
        out.warning(at_line(p.object.line), "the file ends inside this object, before '" +
                                                std::string(closing) +
                                                "': it looks cut short; kept what was read");
        e.add("Incomplete", "True");
      }
    }
    add_derived_fields(e);
    out.emit(e);
  }
}

// ---- tpmtool getdeviceinformation ------------------------------------------------

// tpmtool prints `-Name: Value` lines (CRLF); `-Lockout Information:` opens a block of
// tab-indented `-Name: Value` lines. Names are kept as written (without the dash).
bool is_tpmtool_text(std::string_view decoded) {
  text::Lines lines(decoded);
  for (int n = 0; n < 200; ++n) {
    auto l = lines.next();
    if (!l) break;
    const std::string_view t = trim(l->text);
    if ((istarts_with(t, "-TPM Present:") || istarts_with(t, "-TPM Version:") ||
         istarts_with(t, "-TPM Manufacturer ID:")))
      return true;
  }
  return false;
}

struct ToolObject {
  Event event;
};

void finish_tpmtool(ToolObject& o, sdk::EventSink& out) {
  if (o.event.fields.empty()) return;
  Event& e = o.event;
  e.add("Export", "tpmtool");
  // The lockout data rule (rules/tpm.json) and the analyzer read Get-Tpm's names.
  if (const std::string* v = find_field(e.fields, "Is Locked Out");
      v && !find_field(e.fields, "LockedOut"))
    e.add("LockedOut", *v);
  if (const std::string* v = find_field(e.fields, "Lockout Counter");
      v && !find_field(e.fields, "LockoutCount"))
    e.add("LockoutCount", *v);
  add_derived_fields(e);
  out.emit(e);
  o = ToolObject{};
}

void parse_tpmtool(std::string_view decoded, sdk::EventSink& out) {
  ToolObject cur;
  std::string server;  // "[PC-0517]: PS C:\> tpmtool …" names the remote computer
  uint64_t last_number = 0;
  bool last_ok = true;
  text::Lines lines(decoded);
  while (auto l = lines.next()) {
    const std::string_view raw = l->text;
    const std::string_view t = trim(raw);
    if (t.empty()) continue;
    if (pstext::prompt_command(raw)) {
      finish_tpmtool(cur, out);
      server.clear();
      if (t.front() == '[') server = std::string(trim(t.substr(1, t.find("]:") - 1)));
      continue;
    }
    if (istarts_with(t, "tpmtool")) continue;  // the command echoed in a paste
    last_number = l->number;
    const size_t colon = t.find(':');
    if (t.front() != '-' || colon == std::string_view::npos || colon < 2) {
      last_ok = false;
      out.warning(at_line(l->number),
                  "not a tpmtool '-Name: Value' line, skipped: " + std::string(t.substr(0, 80)));
      continue;
    }
    last_ok = true;
    const std::string name(trim(t.substr(1, colon - 1)));
    const std::string value(trim(t.substr(colon + 1)));
    const bool nested = raw.front() == ' ' || raw.front() == '\t';
    // A new device's output starts again with "TPM Present" (or repeats a top-level
    // name): several outputs pasted into one file give several events.
    if (!nested && !cur.event.fields.empty() &&
        (iequals(name, "TPM Present") || find_field(cur.event.fields, name))) {
      finish_tpmtool(cur, out);
    }
    if (cur.event.fields.empty()) {
      cur.event.kind = std::string(kKind);
      cur.event.origin.line = l->number;
      cur.event.subject.device_name = server;
    }
    cur.event.add(name, value);
  }
  const bool ends_cut = !decoded.empty() && decoded.back() != '\n';
  if (ends_cut && !last_ok && !cur.event.fields.empty()) {
    out.warning(at_line(last_number),
                "the file ends in the middle of a line: it looks cut short; kept what was read");
    cur.event.add("Incomplete", "True");
  }
  finish_tpmtool(cur, out);
}

bool has_marker(std::string_view s, std::string_view marker) { return icontains(s, marker); }

}  // namespace

int sniff(std::span<const uint8_t> prefix, std::string_view /*file_name*/) {
  // Binary logs (EVTX "ElfFile") are never ours, even if a record mentions a TPM.
  static constexpr std::string_view kEvtx = "ElfFile";
  if (prefix.size() >= kEvtx.size() &&
      std::string_view(reinterpret_cast<const char*>(prefix.data()), kEvtx.size()) == kEvtx)
    return 0;
  const std::string s = text::decode(prefix);
  if (s.find('\0') != std::string::npos) return 0;  // other binary data
  if (has_marker(s, "-TPM Present:") || has_marker(s, "-TPM Manufacturer ID:")) return 95;
  if (has_marker(s, "Microsoft.Tpm.Commands.TpmObject")) return 95;  // Export-Csv #TYPE
  if (has_marker(s, "TpmPresent") && (has_marker(s, "TpmReady") || has_marker(s, "ManufacturerId")))
    return 95;
  if (has_marker(s, "IsActivated_InitialValue") || has_marker(s, "PhysicalPresenceVersionInfo"))
    return 90;
  if (has_marker(s, "ManufacturerVersionFull20") || has_marker(s, "ManufacturerIdTxt")) return 80;
  return 0;
}

void parse(std::span<const uint8_t> bytes, sdk::EventSink& out) {
  const std::string decoded = text::decode_reporting(bytes, out);
  const uint64_t before = out.emitted();
  if (is_tpmtool_text(decoded))
    parse_tpmtool(decoded, out);
  else
    parse_objects(decoded, out);
  if (out.emitted() == before)
    out.warning({}, "no TPM facts found (expected Get-Tpm, Win32_Tpm or tpmtool output)");
}

}  // namespace hellotrace::tpm
