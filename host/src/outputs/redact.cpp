#include "outputs/redact.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <hellotrace/text/text.hpp>
#include <map>
#include <memory>
#include <unordered_map>

#include "outputs/digest.hpp"

namespace hellotrace::host {

namespace {

bool word(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
}
bool hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool local_char(char c) {
  return word(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Length of a GUID (8-4-4-4-12 hex) at s[i], or 0.
size_t guid_at(std::string_view s, size_t i) {
  static constexpr int kGroups[] = {8, 4, 4, 4, 12};
  size_t j = i;
  for (int g = 0; g < 5; ++g) {
    if (g && (j >= s.size() || s[j++] != '-')) return 0;
    for (int k = 0; k < kGroups[g]; ++k)
      if (j >= s.size() || !hex(s[j++])) return 0;
  }
  return j - i;
}

// Length of the start of a GUID cut by a summary ("3f2a9c1e-5b7d-4e…"), up to the "…".
size_t cut_guid_at(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && hex(s[j])) ++j;
  if (j - i != 8 || j >= s.size() || s[j] != '-') return 0;
  while (j < s.size() && (hex(s[j]) || s[j] == '-')) ++j;
  return s.substr(j, 3) == "\xE2\x80\xA6" ? j - i : 0;
}

// Length of a redactable SID (S-1-5-21-… or S-1-12-1-…) at s[i], or 0.
size_t sid_at(std::string_view s, size_t i) {
  size_t prefix = 0;
  for (std::string_view p : {std::string_view("s-1-5-21-"), std::string_view("s-1-12-1-")}) {
    if (s.size() - i < p.size()) continue;
    bool ok = true;
    for (size_t k = 0; k < p.size() && ok; ++k) ok = lower(s[i + k]) == p[k];
    if (ok) prefix = p.size();
  }
  if (!prefix) return 0;
  size_t j = i + prefix;
  while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') || s[j] == '-')) ++j;
  while (j > i + prefix && s[j - 1] == '-') --j;
  return j > i + prefix ? j - i : 0;
}

// Length of an e-mail-shaped string at s[i] (local@label.label…), or 0.
size_t email_at(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && local_char(s[j])) ++j;
  if (j == i || j >= s.size() || s[j] != '@') return 0;
  size_t k = j + 1, dots = 0, label = 0, end = 0;
  for (; k < s.size(); ++k) {
    if (word(s[k]) || s[k] == '-') {
      ++label;
    } else if (s[k] == '.' && label > 0) {
      ++dots;
      label = 0;
      continue;
    } else {
      break;
    }
    if (dots > 0) end = k + 1;
  }
  return dots > 0 && end > 0 ? end - i : 0;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class Redactor {
 public:
  explicit Redactor(std::string salt) : salt_(std::move(salt)) {}

  // ---- pseudonyms per kind (keys: lower-cased values) ---------------------------

  std::string upn(std::string_view raw) {
    const std::string v = text::to_lower(text::trim(raw));
    if (auto it = upn_.find(v); it != upn_.end()) return it->second;
    const size_t at = v.find('@');
    const std::string local = v.substr(0, at);
    int n = 0;
    if (auto it = person_of_.find(local); it != person_of_.end()) n = it->second;
    return assign_upn(v, n ? n : ++people_, 0);
  }
  std::string assign_upn(const std::string& v, int person, int index) {
    if (auto it = upn_.find(v); it != upn_.end()) return it->second;
    const std::string p = index ? fmt::format("user-{}.{}@redacted.invalid", person, index + 1)
                                : fmt::format("user-{}@redacted.invalid", person);
    upn_[v] = p;
    add_needle(v, p);
    const size_t at = v.find('@');
    if (at != std::string::npos) {
      person_name(v.substr(0, at), person);
      domain(v.substr(at + 1));
    }
    return p;
  }
  // A name of a person (UPN local part, CN, bare account) seen in free text.
  void person_name(const std::string& name, int person) {
    if (name.size() < 3) return;
    person_of_.try_emplace(name, person);
    add_needle(name, fmt::format("user-{}", person));
    // Parts of the name ("sofia" of sofia.marquez or "Sofia Marquez") name the person
    // in file names (get-aduser-sofia.txt).
    size_t start = 0;
    for (size_t i = 0; i <= name.size(); ++i)
      if (i == name.size() || !word(name[i])) {
        if (i - start >= 3)
          file_words_.try_emplace(name.substr(start, i - start), fmt::format("user-{}", person));
        start = i + 1;
      }
  }
  void domain(const std::string& d) {
    if (d.size() < 3) return;
    if (d.find('.') != std::string::npos) {
      add_needle(d, "redacted.invalid");
      const std::string first = d.substr(0, d.find('.'));
      if (first.size() >= 3) add_needle(first, "redacted");
    } else {
      add_needle(d, "REDACTED");
    }
  }

  std::string sid(std::string_view raw) {
    std::string v = text::to_lower(text::trim(raw));
    if (auto it = sid_.find(v); it != sid_.end()) return it->second;
    std::string p;
    if (v.rfind("s-1-5-21-", 0) == 0) {
      const size_t last = v.rfind('-');
      const std::string dom = v.substr(9, last > 9 ? last - 9 : 0);
      const std::string rid = v.substr(last + 1);
      auto [d, inserted] = domains_.try_emplace(dom, static_cast<int>(domains_.size()) + 1);
      long long r = 0;
      try {
        r = rid.size() < 12 ? std::stoll(rid) : 0;
      } catch (...) {
      }
      const std::string new_rid = (r > 0 && r < 1000) ? rid : std::to_string(1000 + ++sids_);
      p = fmt::format("S-1-5-21-0-0-{}-{}", d->second, new_rid);
    } else if (v.rfind("s-1-12-1-", 0) == 0) {
      p = fmt::format("S-1-12-1-0-0-0-{}", ++sids_);
    } else {
      return std::string(raw);  // well-known or built-in: no person
    }
    sid_[v] = p;
    add_needle(v, p);
    return p;
  }

  std::string guid(std::string_view kind, std::string_view raw) {
    auto g = text::normalize_guid(raw);
    const std::string v = g ? *g : text::to_lower(text::trim(raw));
    if (auto it = guid_.find(v); it != guid_.end()) return it->second;
    std::string p;
    if (g) {
      const std::string input =
          salt_.empty() ? fmt::format("hellotrace-redact\x1f{}\x1f{}", kind, guid_.size())
                        : fmt::format("{}\x1f{}\x1f{}", salt_, kind, v);
      auto h = sha256(input);
      h[6] = static_cast<uint8_t>((h[6] & 0x0F) | 0x40);  // looks like a version 4 GUID
      h[8] = static_cast<uint8_t>((h[8] & 0x3F) | 0x80);
      p = fmt::format(
          "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}"
          "{:02x}{:02x}",
          h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13],
          h[14], h[15]);
      add_needle(v, p);
      add_needle("{" + v + "}", "{" + p + "}");
    } else {
      p = fmt::format("{}-{}", kind == "tenant" ? "TENANT" : "KEYID", ++other_ids_);
      add_needle(v, p);
    }
    guid_[v] = p;
    return p;
  }

  std::string device_name(std::string_view raw) {
    const std::string full = text::to_lower(text::trim(raw));
    const std::string label = full.substr(0, full.find('.'));
    if (label.empty()) return std::string(raw);
    auto it = device_.find(label);
    if (it == device_.end()) {
      it = device_.emplace(label, fmt::format("DEVICE-{}", device_.size() + 1)).first;
      add_needle(label, it->second);
      // File names spell PC-1504 as pc1504.
      std::string squashed;
      for (char c : label)
        if (word(c)) squashed.push_back(c);
      if (squashed.size() >= 3) file_words_.try_emplace(squashed, it->second);
    }
    if (label.size() < full.size()) {
      domain(full.substr(label.size() + 1));
      return it->second + "." + scan(full.substr(label.size() + 1));
    }
    return it->second;
  }

  std::string dn(std::string_view raw, int person) {
    const std::string v = text::to_lower(text::trim(raw));
    if (auto it = dn_.find(v); it != dn_.end()) return it->second;
    if (!person) person = ++people_;
    const std::string p = fmt::format("CN=user-{},OU=redacted,DC=redacted,DC=invalid", person);
    dn_[v] = p;
    add_needle(v, p);
    // The same DN with a space after each separating comma (as AD tools print it).
    std::string spaced;
    for (size_t i = 0; i < v.size(); ++i) {
      spaced.push_back(v[i]);
      if (v[i] == ',' && (i == 0 || v[i - 1] != '\\') && i + 1 < v.size() && v[i + 1] != ' ')
        spaced.push_back(' ');
    }
    add_needle(spaced, p);
    // Components: CN → the person, OU → ou-K, DC → the domain.
    std::string dc;
    bool first = true;
    size_t start = 0;
    for (size_t i = 0; i <= v.size(); ++i) {
      if (i < v.size() && !(v[i] == ',' && (i == 0 || v[i - 1] != '\\'))) continue;
      std::string rdn(text::trim(std::string_view(v).substr(start, i - start)));
      start = i + 1;
      const size_t eq = rdn.find('=');
      if (eq == std::string::npos) continue;
      const std::string type(text::trim(std::string_view(rdn).substr(0, eq)));
      const std::string value(text::trim(std::string_view(rdn).substr(eq + 1)));
      if (type == "cn" && first)
        person_name(value, person);
      else if (type == "ou" && value.size() >= 3 && !ou_.count(value)) {
        ou_[value] = fmt::format("ou-{}", ou_.size() + 1);
        add_needle(value, ou_[value]);
      } else if (type == "dc")
        dc += (dc.empty() ? "" : ".") + value;
      first = false;
    }
    if (!dc.empty()) domain(dc);
    return p;
  }

  std::string sam(std::string_view raw, int person) {
    const std::string v = text::to_lower(text::trim(raw));
    if (auto it = sam_.find(v); it != sam_.end()) return it->second;
    const size_t slash = v.find('\\');
    const std::string name = slash == std::string::npos ? v : v.substr(slash + 1);
    if (!person) {
      auto it = person_of_.find(name);
      person = it != person_of_.end() ? it->second : ++people_;
    }
    const std::string p = slash == std::string::npos ? fmt::format("user-{}", person)
                                                     : fmt::format("REDACTED\\user-{}", person);
    sam_[v] = p;
    add_needle(v, p);
    if (slash != std::string::npos) {
      const std::string netbios = v.substr(0, slash);
      if (netbios.size() >= 2) add_needle(netbios, "REDACTED");
    }
    person_name(name, person);
    if (name.size() < 3)
      add_needle(name, p.substr(p.find("user-")));  // the fact itself, however short
    return p;
  }

  int new_person() { return ++people_; }

  // Learns identifiers from "Name=value; Name=value" texts (summaries, excerpts, notes)
  // by the field name, before any text is rewritten.
  void learn_fields(std::string_view s) {
    size_t start = 0;
    while (start < s.size()) {
      size_t end = s.find("; ", start);
      if (end == std::string_view::npos) end = s.size();
      const std::string_view seg = s.substr(start, end - start);
      start = end + 2;
      const size_t eq = seg.find('=');
      if (eq == std::string_view::npos || eq == 0) continue;
      const std::string name = text::to_lower(text::trim(seg.substr(0, eq)));
      std::string_view value = text::trim(seg.substr(eq + 1));
      if (value.size() >= 3 && value.substr(value.size() - 3) == "…") value.remove_suffix(3);
      if (value.size() < 2) continue;
      learn(name, value);
    }
  }
  void learn(std::string name, std::string_view value) {
    // "@Computer": a System value of an event record (the DC of a 4768), named apart
    // from the EventData.
    if (name.starts_with('@')) name.erase(0, 1);
    const std::string v = text::to_lower(value);
    if (name == "keyid" || name == "ngckeyid" || name == "keyidentifier")
      guid("ngc_key", value);
    else if (name == "deviceid" || name == "azureaddeviceid")
      guid("device", value);
    else if (name == "tenantid")
      guid("tenant", value);
    else if ((name == "upn" || name == "userprincipalname" || name == "userupn" ||
              name == "executingusername") &&
             v.find('@') != std::string::npos && v.find(' ') == std::string::npos)
      upn(value);
    else if ((name == "distinguishedname" || name == "dn") && v.find('=') != std::string::npos)
      dn(value, 0);
    else if (name == "samaccountname" || name == "useraccount" || name == "accountname" ||
             name == "username")
      sam(value, 0);
    else if (name == "devicename" || name == "computername" || name == "machinename" ||
             name == "computer")
      device_name(value);
    else if (name == "domainname" || name == "domain" || name == "netbiosdomain")
      domain(v);
    else if (name == "tenantname" && v.size() >= 3)
      add_needle(v, "redacted-tenant");
    else if (name == "connector" || name == "connectorname")
      connector(value);
  }

  // An Entra Connect connector is named after the forest or tenant it connects
  // ("corp.contoso.com", "contoso.onmicrosoft.com - AAD"): connector-K, keeping the
  // " - AAD" that tells the Entra connector from an AD one.
  std::string connector(std::string_view raw) {
    const std::string v = text::to_lower(text::trim(raw));
    if (v.size() < 3) return std::string(raw);
    auto it = connector_.find(v);
    if (it == connector_.end()) {
      constexpr std::string_view kAad = " - aad";
      const bool aad = v.size() > kAad.size() && v.ends_with(kAad);
      const std::string p =
          fmt::format("connector-{}{}", connector_.size() + 1, aad ? " - AAD" : "");
      it = connector_.emplace(v, p).first;
      add_needle(v, p);
      if (aad) add_needle(v.substr(0, v.size() - kAad.size()), p.substr(0, p.size() - 6));
    }
    return it->second;
  }

  // ---- free text ----------------------------------------------------------------

  void add_needle(const std::string& lowered, const std::string& replacement) {
    if (lowered.empty()) return;
    if (!needle_set_.emplace(lowered, replacement).second) return;
    auto& list = by_first_[static_cast<unsigned char>(lowered[0])];
    list.push_back(lowered);
    dirty_ = true;
  }

  void sort_needles() {  // longest needle first
    if (!dirty_) return;
    for (auto& list : by_first_)
      std::stable_sort(list.begin(), list.end(), [](const std::string& a, const std::string& b) {
        return a.size() > b.size();
      });
    dirty_ = false;
  }

  std::string scan(std::string_view s, bool shapes = true) {
    std::string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
      sort_needles();
      const bool boundary = i == 0 || !word(s[i - 1]);
      // Known values, longest first.
      const auto& list = by_first_[static_cast<unsigned char>(lower(s[i]))];
      bool done = false;
      for (const std::string& n : list) {
        if (n.size() > s.size() - i) continue;
        if (word(n.front()) && !boundary) continue;
        bool eq = true;
        for (size_t k = 0; k < n.size() && eq; ++k) eq = lower(s[i + k]) == n[k];
        if (!eq) continue;
        const size_t end = i + n.size();
        if (end < s.size() && word(n.back()) && word(s[end])) continue;
        out += needle_set_[n];
        i = end;
        done = true;
        break;
      }
      if (done) continue;
      // Shapes: GUIDs, SIDs, e-mail addresses.
      if (shapes && boundary && word(s[i])) {
        size_t n = guid_at(s, i);
        if (n && (i + n == s.size() || !word(s[i + n]))) {
          out += guid("guid", s.substr(i, n));
          i += n;
          continue;
        }
        n = cut_guid_at(s, i);
        if (n) {
          out += "(id cut)";
          i += n;
          continue;
        }
        n = sid_at(s, i);
        if (n) {
          out += sid(s.substr(i, n));
          i += n;
          continue;
        }
      }
      if (shapes && (i == 0 || !local_char(s[i - 1])) && local_char(s[i])) {
        const size_t n = email_at(s, i);
        if (n) {
          out += upn(s.substr(i, n));
          i += n;
          continue;
        }
      }
      out.push_back(s[i]);
      ++i;
    }
    return out;
  }

  void txt(std::string& s) {
    if (!s.empty()) s = scan(s);
  }
  void rule_text(std::string& s) {  // from rule files: known values only
    if (!s.empty()) s = scan(s, false);
  }
  void file(std::string& path) {
    if (!path.empty()) path = scan(file_name_words(base_name(path)));
  }
  // Words of a file or folder name (runs of letters and digits) that are a known name
  // part or device name, replaced by its pseudonym.
  std::string file_name_words(std::string_view name) const {
    std::string out;
    size_t i = 0;
    while (i < name.size()) {
      if (!word(name[i])) {
        out.push_back(name[i++]);
        continue;
      }
      size_t end = i;
      while (end < name.size() && word(name[end])) ++end;
      const std::string w = text::to_lower(name.substr(i, end - i));
      auto it = file_words_.find(w);
      out += it != file_words_.end() ? it->second : std::string(name.substr(i, end - i));
      i = end;
    }
    return out;
  }
  // A message (stderr): every word that holds a path has its folder and file names
  // treated as file names, then the whole text as free text.
  std::string message(std::string_view m) {
    std::string out;
    size_t i = 0;
    while (i < m.size()) {
      size_t end = i;
      while (end < m.size() && m[end] != ' ') ++end;
      const std::string_view w = m.substr(i, end - i);
      out += w.find_first_of("/\\") != std::string_view::npos ? file_name_words(w) : std::string(w);
      if (end < m.size()) out.push_back(' ');
      i = end + 1;
    }
    return scan(out);
  }
  void json(nlohmann::json& j) {
    if (j.is_string()) {
      j = scan(j.get_ref<const std::string&>());
    } else if (j.is_array()) {
      for (auto& v : j) json(v);
    } else if (j.is_object()) {
      nlohmann::json copy = nlohmann::json::object();
      for (auto& [k, v] : j.items()) {
        nlohmann::json value = v;
        json(value);
        copy[scan(k)] = std::move(value);
      }
      j = std::move(copy);
    }
  }
  void evidence(Evidence& e) {
    file(e.file);
    txt(e.excerpt);
  }

 private:
  std::string salt_;
  int people_ = 0, sids_ = 0, other_ids_ = 0;
  bool dirty_ = false;
  std::unordered_map<std::string, std::string> upn_, sid_, guid_, dn_, sam_, device_, ou_,
      connector_;
  // Words of file and folder names: name parts and device names without hyphens.
  std::unordered_map<std::string, std::string> file_words_;
  std::unordered_map<std::string, int> person_of_, domains_;
  std::unordered_map<std::string, std::string> needle_set_;
  std::array<std::vector<std::string>, 256> by_first_;
};

}  // namespace

struct Redaction::Impl {
  explicit Impl(std::string salt) : x(std::move(salt)) {}
  Redactor x;
};

Redaction::Redaction(std::string salt) : impl_(std::make_unique<Impl>(std::move(salt))) {}
Redaction::~Redaction() = default;

void Redaction::apply(Event& e) {
  Redactor& x = impl_->x;
  Subject& s = e.subject;
  if (!s.user_upn.empty()) s.user_upn = x.upn(s.user_upn);
  if (!s.user_dn.empty()) s.user_dn = x.dn(s.user_dn, 0);
  if (!s.user_sam.empty()) s.user_sam = x.sam(s.user_sam, 0);
  if (!s.user_sid.empty()) s.user_sid = x.sid(s.user_sid);
  if (!s.device_name.empty()) s.device_name = x.device_name(s.device_name);
  if (!s.device_id.empty()) s.device_id = x.guid("device", s.device_id);
  if (!s.tenant_id.empty()) s.tenant_id = x.guid("tenant", s.tenant_id);
  if (!s.ngc_key_id.empty()) s.ngc_key_id = x.guid("ngc_key", s.ngc_key_id);
  for (const Field& f : e.fields)
    if (!f.value.empty()) x.learn(text::to_lower(f.name), text::trim(f.value));
  for (Field& f : e.fields) x.txt(f.value);
  x.file(e.file);
}

std::string Redaction::text(std::string_view s) { return impl_->x.scan(s); }
std::string Redaction::message(std::string_view s) { return impl_->x.message(s); }

void redact(Report& r, const std::string& salt) {
  Redaction redaction(salt);
  redaction.apply(r);
}

void Redaction::apply(Report& r) {
  Redactor& x = impl_->x;
  // 1. People, in Report::users order, then the others; then devices.
  std::vector<int> order;
  std::vector<bool> seen(r.identities.size(), false);
  for (const UserTimeline& t : r.users)
    if (t.identity >= 0 && static_cast<size_t>(t.identity) < seen.size() && !seen[t.identity]) {
      seen[t.identity] = true;
      order.push_back(t.identity);
    }
  for (size_t i = 0; i < r.identities.size(); ++i)
    if (!seen[i] && !r.identities[i].is_device) order.push_back(static_cast<int>(i));
  for (const UserTimeline& t : r.users)
    for (int d : t.devices)
      if (d >= 0 && static_cast<size_t>(d) < seen.size() && !seen[d]) {
        seen[d] = true;
        order.push_back(d);
      }
  for (size_t i = 0; i < r.identities.size(); ++i)
    if (!seen[i] && r.identities[i].is_device) order.push_back(static_cast<int>(i));

  for (int i : order) {
    Identity& id = r.identities[i];
    if (!id.is_device) {
      const int person = x.new_person();
      for (size_t k = 0; k < id.upns.size(); ++k)
        id.upns[k] = x.assign_upn(text::to_lower(id.upns[k]), person, static_cast<int>(k));
      for (auto& v : id.dns) v = x.dn(v, person);
      for (auto& v : id.sams) v = x.sam(v, person);
      for (auto& v : id.sids) v = x.sid(v);
    }
    for (auto& v : id.ngc_keys) v = x.guid("ngc_key", v);
    for (auto& v : id.device_ids) v = x.guid("device", v);
    for (auto& v : id.device_names) v = x.device_name(v);
  }
  // 2. Subjects of findings (values the identity graph may not hold: tenant ids, …).
  auto subject = [&](Subject& s) {
    if (!s.user_upn.empty()) s.user_upn = x.upn(s.user_upn);
    if (!s.user_dn.empty()) s.user_dn = x.dn(s.user_dn, 0);
    if (!s.user_sam.empty()) s.user_sam = x.sam(s.user_sam, 0);
    if (!s.user_sid.empty()) s.user_sid = x.sid(s.user_sid);
    if (!s.device_name.empty()) s.device_name = x.device_name(s.device_name);
    if (!s.device_id.empty()) s.device_id = x.guid("device", s.device_id);
    if (!s.tenant_id.empty()) s.tenant_id = x.guid("tenant", s.tenant_id);
    if (!s.ngc_key_id.empty()) s.ngc_key_id = x.guid("ngc_key", s.ngc_key_id);
  };
  for (Finding& f : r.findings) subject(f.subject);

  // 3. Identifiers named by field in summaries and excerpts ("KeyId=…").
  for (const Finding& f : r.findings)
    for (const Evidence& e : f.evidence) x.learn_fields(e.excerpt);
  for (const UserTimeline& t : r.users) {
    for (const TimelineEntry& e : t.entries) x.learn_fields(e.summary);
    for (const PhaseStatus& p : t.phases)
      if (p.evidence) x.learn_fields(p.evidence->excerpt);
  }
  for (const SyncCycle& c : r.sync.cycles) {
    x.connector(c.connector);
    x.learn_fields(c.evidence.excerpt);
  }

  // 4. Free text everywhere.
  for (Identity& id : r.identities)
    for (Merge& m : id.merges) {
      x.txt(m.a);
      x.txt(m.b);
      x.file(m.file);
    }
  for (Conflict& c : r.conflicts) {
    x.txt(c.kept);
    x.txt(c.refused);
    x.txt(c.reason);
    x.file(c.file);
  }
  for (Finding& f : r.findings) {
    x.rule_text(f.title);
    x.txt(f.summary);
    x.rule_text(f.remediation);  // the documentation link is left as the rule gives it
    for (Evidence& e : f.evidence) x.evidence(e);
    x.json(f.details);
  }
  for (UserTimeline& t : r.users) {
    for (TimelineEntry& e : t.entries) {
      // Entries view interned strings (timeline.hpp): the redacted text is interned in
      // turn. The originals stay in the pool, unreachable from the report.
      std::string summary(e.summary), file(e.file);
      x.txt(summary);
      x.file(file);
      e.summary = r.strings->intern(summary);
      e.file = r.strings->intern(file);
      if (!e.superseded_by.empty()) {  // "file:line" of another event: its file name too
        std::string by(e.superseded_by);
        x.file(by);
        e.superseded_by = r.strings->intern(by);
      }
    }
    for (PhaseStatus& p : t.phases) {
      x.txt(p.note);
      if (p.evidence) x.evidence(*p.evidence);
    }
  }
  for (SyncCycle& c : r.sync.cycles) {
    c.connector = x.connector(c.connector);
    x.txt(c.profile);
    x.txt(c.result);
    x.evidence(c.evidence);
  }
  if (r.sync.scheduler) x.evidence(r.sync.scheduler->evidence);
}

std::string redact_text(const std::string& text, const std::string& salt) {
  return Redaction(salt).text(text);
}

}  // namespace hellotrace::host
