#include "engine/identity.hpp"

#include <algorithm>
#include <cctype>
#include <hellotrace/text/text.hpp>

namespace hellotrace::host {

const char* fact_type_name(FactType t) {
  switch (t) {
    case FactType::kSid:
      return "sid";
    case FactType::kUpn:
      return "upn";
    case FactType::kDn:
      return "dn";
    case FactType::kSam:
      return "sam";
    case FactType::kNgcKey:
      return "ngc_key";
    case FactType::kDeviceId:
      return "device_id";
    case FactType::kDeviceName:
      return "device_name";
  }
  return "?";
}

static bool is_device_fact(FactType t) {
  return t == FactType::kDeviceId || t == FactType::kDeviceName;
}

std::optional<Fact> IdentityGraph::normalize(FactType type, std::string_view raw) {
  std::string_view v = text::trim(raw);
  if (v.empty()) return std::nullopt;
  switch (type) {
    case FactType::kSid: {
      std::string s(v);
      if (s.size() < 5 || (s[0] != 'S' && s[0] != 's') || s[1] != '-') return std::nullopt;
      s[0] = 'S';
      for (size_t i = 2; i < s.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '-') return std::nullopt;
      if (s == "S-1-5-18" || s == "S-1-5-19" || s == "S-1-5-20" || s == "S-1-0-0")
        return std::nullopt;
      return Fact{type, s};
    }
    case FactType::kUpn:
      if (v.find('@') == std::string_view::npos || v.find(' ') != std::string_view::npos)
        return std::nullopt;
      return Fact{type, text::to_lower(v)};
    case FactType::kDn: {
      // Case-insensitive; spaces after the separating commas do not matter.
      std::string out;
      bool after_comma = false;
      for (size_t i = 0; i < v.size(); ++i) {
        const char c = v[i];
        if (after_comma && c == ' ') continue;
        after_comma = c == ',' && (i == 0 || v[i - 1] != '\\');
        out.push_back(c);
      }
      if (out.find('=') == std::string::npos) return std::nullopt;
      return Fact{type, text::to_lower(out)};
    }
    case FactType::kSam:
      return Fact{type, text::to_lower(v)};
    case FactType::kNgcKey: {
      std::string s;
      for (char c : v)
        if (c != '{' && c != '}' && c != ' ') s.push_back(c);
      return s.empty() ? std::nullopt : std::optional<Fact>(Fact{type, text::to_lower(s)});
    }
    case FactType::kDeviceId: {
      auto g = text::normalize_guid(v);
      return g ? std::optional<Fact>(Fact{type, *g}) : std::nullopt;
    }
    case FactType::kDeviceName: {
      std::string_view label = v.substr(0, v.find('.'));
      if (label.empty()) return std::nullopt;
      return Fact{type, text::to_lower(label)};
    }
  }
  return std::nullopt;
}

static std::string key_of(const Fact& f) {
  return std::string(fact_type_name(f.type)) + ":" + f.value;
}

int IdentityGraph::node_of(const Fact& f) {
  const std::string key = key_of(f);
  auto [it, inserted] = index_.try_emplace(key, static_cast<int>(nodes_.size()));
  if (inserted) {
    nodes_.push_back({f, it->second, {}});
    Component c;
    switch (f.type) {
      case FactType::kSid:
        c.sid = f.value;
        break;
      case FactType::kDn:
        c.dn = f.value;
        break;
      case FactType::kUpn:
        c.upn = f.value;
        break;
      case FactType::kDeviceId:
        c.device_id = f.value;
        break;
      case FactType::kSam:
        if (f.value.find('\\') == std::string::npos) c.bare_sam = f.value;
        break;
      default:
        break;
    }
    components_.push_back(std::move(c));
    merges_.emplace_back();
  }
  return it->second;
}

int IdentityGraph::root(int n) const {
  while (nodes_[n].parent != n) {
    nodes_[n].parent = nodes_[nodes_[n].parent].parent;  // path halving
    n = nodes_[n].parent;
  }
  return n;
}

void IdentityGraph::unite(int a, int b, const Event& e) {
  int ra = root(a), rb = root(b);
  if (ra == rb) return;
  const Component& ca = components_[ra];
  const Component& cb = components_[rb];
  auto clash = [](const std::string& x, const std::string& y) {
    return !x.empty() && !y.empty() && x != y;
  };
  const char* reason = clash(ca.sid, cb.sid)               ? "two different SIDs"
                       : clash(ca.dn, cb.dn)               ? "two different AD objects (DN)"
                       : clash(ca.upn, cb.upn)             ? "two different UPNs"
                       : clash(ca.device_id, cb.device_id) ? "two different device ids"
                       : clash(ca.bare_sam, cb.bare_sam)   ? "two different account names"
                                                           : nullptr;
  if (reason) {
    conflicts_.push_back(
        {key_of(nodes_[a].fact), key_of(nodes_[b].fact), reason, e.file, e.origin});
    return;
  }
  if (merges_[ra].size() < merges_[rb].size()) std::swap(ra, rb);
  Component& into = components_[ra];
  const Component& from = components_[rb];
  for (auto [dst, src] : {std::pair{&into.sid, &from.sid},
                          {&into.dn, &from.dn},
                          {&into.upn, &from.upn},
                          {&into.device_id, &from.device_id},
                          {&into.bare_sam, &from.bare_sam}})
    if (dst->empty()) *dst = *src;
  nodes_[rb].parent = ra;
  auto& list = merges_[ra];
  list.insert(list.end(), std::make_move_iterator(merges_[rb].begin()),
              std::make_move_iterator(merges_[rb].end()));
  merges_[rb].clear();
  list.push_back({key_of(nodes_[a].fact), key_of(nodes_[b].fact), e.file, e.origin});
}

IdentityGraph::Link IdentityGraph::observe(const Event& e) {
  Link link;
  const Subject& s = e.subject;
  int first_user = -1, first_device = -1;
  auto add = [&](FactType t, const std::string& raw) {
    if (raw.empty()) return;
    auto f = normalize(t, raw);
    if (!f) return;
    const int n = node_of(*f);
    if (t == FactType::kDeviceName && nodes_[n].written.empty()) {
      // Matching ignores case ("pc-0517" = "PC-0517"), people read the name as Windows
      // wrote it.
      const std::string_view trimmed = text::trim(raw);
      nodes_[n].written = std::string(trimmed.substr(0, trimmed.find('.')));
    }
    int& first = is_device_fact(t) ? first_device : first_user;
    if (first < 0)
      first = n;
    else
      unite(first, n, e);
  };
  add(FactType::kSid, s.user_sid);
  add(FactType::kUpn, s.user_upn);
  add(FactType::kDn, s.user_dn);
  add(FactType::kSam, s.user_sam);
  add(FactType::kNgcKey, s.ngc_key_id);
  add(FactType::kDeviceId, s.device_id);
  add(FactType::kDeviceName, s.device_name);
  link.user = first_user;
  link.device = first_device;
  return link;
}

int IdentityGraph::resolve(int node) const {
  if (node < 0 || node >= static_cast<int>(nodes_.size())) return -1;
  return identity_of_root_.empty() ? -1 : identity_of_root_[root(node)];
}

std::optional<int> IdentityGraph::find(FactType type, std::string_view value) const {
  auto f = normalize(type, value);
  if (!f) return std::nullopt;
  auto it = index_.find(key_of(*f));
  if (it == index_.end()) return std::nullopt;
  const int id = resolve(it->second);
  return id < 0 ? std::nullopt : std::optional<int>(id);
}

void IdentityGraph::finish() {
  identity_of_root_.assign(nodes_.size(), -1);
  identities_.clear();
  for (int n = 0; n < static_cast<int>(nodes_.size()); ++n) {
    const int r = root(n);
    if (identity_of_root_[r] < 0) {
      identity_of_root_[r] = static_cast<int>(identities_.size());
      Identity id;
      id.is_device = is_device_fact(nodes_[r].fact.type);
      id.merges = std::move(merges_[r]);  // not read after finish()
      identities_.push_back(std::move(id));
    }
    Identity& id = identities_[identity_of_root_[r]];
    const Fact& f = nodes_[n].fact;
    switch (f.type) {
      case FactType::kSid:
        id.sids.push_back(f.value);
        break;
      case FactType::kUpn:
        id.upns.push_back(f.value);
        break;
      case FactType::kDn:
        id.dns.push_back(f.value);
        break;
      case FactType::kSam:
        id.sams.push_back(f.value);
        break;
      case FactType::kNgcKey:
        id.ngc_keys.push_back(f.value);
        break;
      case FactType::kDeviceId:
        id.device_ids.push_back(f.value);
        break;
      case FactType::kDeviceName:
        id.device_names.push_back(nodes_[n].written.empty() ? f.value : nodes_[n].written);
        break;
    }
  }
  for (int n = 0; n < static_cast<int>(nodes_.size()); ++n)
    if (identity_of_root_[n] < 0) identity_of_root_[n] = identity_of_root_[root(n)];
  // Only merging reads these, and nothing merges after finish(): free them before the
  // timelines are built (a few hundred bytes per fact).
  components_ = {};
  merges_ = {};
}

std::string Identity::display() const {
  if (is_device)
    return !device_names.empty() ? device_names.front()
           : device_ids.empty()  ? ""
                                 : device_ids.front();
  if (!upns.empty()) return upns.front();
  for (const auto& s : sams)
    if (s.find('\\') != std::string::npos) return s;
  if (!sams.empty()) return sams.front();
  if (!sids.empty()) return sids.front();
  return dns.empty() ? (ngc_keys.empty() ? "" : "key " + ngc_keys.front()) : dns.front();
}

}  // namespace hellotrace::host
