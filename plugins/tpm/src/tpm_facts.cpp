#include "tpm_facts.hpp"

#include <charconv>
#include <hellotrace/text/text.hpp>

namespace hellotrace::tpm {

namespace {

// ADV170012's table, one row per firmware major: minors up to `upto` are affected, and
// for 4.x also the separate 4.40–4.42 band (4.34–4.39 and 4.43 were fixed builds).
struct RocaRow {
  uint32_t major;
  uint32_t upto;
  uint32_t band_from;  // 0: no second band
  uint32_t band_to;
};
constexpr RocaRow kRoca[] = {
    {4, 33, 40, 42}, {5, 61, 0, 0}, {6, 42, 0, 0}, {7, 61, 0, 0}, {133, 32, 0, 0}, {149, 32, 0, 0},
};

const RocaRow* roca_row(uint32_t major) {
  for (const auto& r : kRoca)
    if (r.major == major) return &r;
  return nullptr;
}

// TCG spec family from the texts sources print: "2.0", "2", "2.0, 0, 1.38" (Win32_Tpm
// SpecVersion: family first), "1.2", "1.2, 2, 3".
std::string normalize_family(std::string_view s) {
  s = text::trim(s);
  if (const size_t comma = s.find(','); comma != std::string_view::npos)
    s = text::trim(s.substr(0, comma));
  if (s == "2" || s.starts_with("2.")) return "2.0";
  if (s == "1.2" || s.starts_with("1.2.")) return "1.2";
  return {};
}

}  // namespace

bool roca_affected_ifx(uint32_t major, uint32_t minor) {
  const RocaRow* r = roca_row(major);
  if (!r) return false;
  if (minor <= r->upto) return true;
  return r->band_from != 0 && minor >= r->band_from && minor <= r->band_to;
}

std::string roca_range(uint32_t major) {
  const RocaRow* r = roca_row(major);
  if (!r) return {};
  const std::string m = std::to_string(major);
  std::string out = m + ".0–" + m + "." + std::to_string(r->upto);
  if (r->band_from)
    out += " and " + m + "." + std::to_string(r->band_from) + "–" + m + "." +
           std::to_string(r->band_to);
  return out;
}

std::optional<std::vector<uint32_t>> parse_version(std::string_view s) {
  s = text::trim(s);
  std::vector<uint32_t> parts;
  while (!s.empty()) {
    uint32_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end == s.data()) return std::nullopt;
    parts.push_back(v);
    s.remove_prefix(static_cast<size_t>(end - s.data()));
    if (s.empty()) break;
    if (s.front() != '.' || s.size() == 1 || parts.size() == 4) return std::nullopt;
    s.remove_prefix(1);
  }
  if (parts.size() < 2) return std::nullopt;
  return parts;
}

std::string vendor_from_id(uint32_t id) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const char c = static_cast<char>((id >> shift) & 0xFF);
    if (c >= 0x21 && c <= 0x7E) out += c;  // NUL / space padding ("IFX\0", "AMD\0")
  }
  return out;
}

std::optional<bool> parse_bool(std::string_view s) {
  s = text::trim(s);
  if (text::iequals(s, "true") || text::iequals(s, "yes") || s == "1") return true;
  if (text::iequals(s, "false") || text::iequals(s, "no") || s == "0") return false;
  return std::nullopt;
}

const std::string* find_field(const std::vector<Field>& fields, std::string_view name) {
  for (const auto& f : fields)
    if (text::iequals(f.name, name)) return &f.value;
  return nullptr;
}

Derived derive(const std::vector<Field>& fields) {
  auto get = [&](std::string_view name) -> std::string_view {
    const std::string* v = find_field(fields, name);
    return v ? text::trim(*v) : std::string_view();
  };
  Derived d;

  // Manufacturer: the text a source printed (Get-Tpm / Win32_Tpm ManufacturerIdTxt,
  // tpmtool "TPM Manufacturer ID"), else the integer ManufacturerId decoded.
  for (std::string_view name : {"ManufacturerIdTxt", "TPM Manufacturer ID", "Manufacturer"}) {
    std::string v;
    for (char c : get(name))
      if (c != '\0') v += c;
    if (!text::trim(v).empty()) {
      d.manufacturer = std::string(text::trim(v));
      break;
    }
  }
  if (d.manufacturer.empty()) {
    const std::string_view id = get("ManufacturerId");
    uint32_t n = 0;
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
    if (ec == std::errc() && end == id.data() + id.size() && n != 0)
      d.manufacturer = vendor_from_id(n);
  }

  // Firmware: ManufacturerVersionFull20 is the full four-part version on TPM 2.0 (and
  // "Not Supported" on 1.2, where ManufacturerVersion holds it).
  for (std::string_view name : {"ManufacturerVersionFull20", "TPM Manufacturer Version",
                                "ManufacturerVersion", "FirmwareVersion"}) {
    const std::string_view v = get(name);
    if (parse_version(v)) {
      d.firmware = std::string(v);
      break;
    }
  }

  // Family: said outright (HelloForBusiness 5555 / derived TpmVersion, tpmtool "TPM
  // Version", Win32_Tpm SpecVersion), else inferred from ManufacturerVersionFull20,
  // which only TPM 2.0 fills in: a version there means 2.0; any other non-empty text
  // ("Not Supported", or its translation) means the 2.0 query does not apply: 1.2.
  for (std::string_view name : {"TpmVersion", "TPM Version", "SpecVersion"}) {
    d.tpm_version = normalize_family(get(name));
    if (!d.tpm_version.empty()) break;
  }
  if (d.tpm_version.empty()) {
    const std::string_view full20 = get("ManufacturerVersionFull20");
    const std::optional<bool> present = parse_bool(get("TpmPresent"));
    if (parse_version(full20))
      d.tpm_version = "2.0";
    else if (!full20.empty() && present.value_or(true))
      d.tpm_version = "1.2";
  }

  if (text::iequals(d.manufacturer, "IFX") && !d.firmware.empty()) {
    const auto v = parse_version(d.firmware);
    d.roca = roca_affected_ifx((*v)[0], (*v)[1]);
  }
  return d;
}

void add_derived_fields(Event& event) {
  const Derived d = derive(event.fields);
  auto add = [&](std::string_view name, const std::string& value) {
    if (!find_field(event.fields, name)) event.add(std::string(name), value);
  };
  add("TpmVersion", d.tpm_version);
  if (!d.firmware.empty()) add("FirmwareVersion", d.firmware);
  if (!d.manufacturer.empty()) add("Manufacturer", d.manufacturer);
  if (d.roca) add("RocaAffectedFirmware", *d.roca ? "True" : "False");
}

}  // namespace hellotrace::tpm
