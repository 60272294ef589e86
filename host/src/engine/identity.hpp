// Identity resolution: one identity per person and per device, from every source.
//
// Each event names some facts about its subject — user SID, UPN, AD DN,
// sAMAccountName, NGC key id; device id and device name. Facts named together by one
// event belong to one person (or one device). The graph unites them, and:
//  - matches case-insensitively where Windows does (UPN, DN, sAMAccountName, device
//    name; device names compare by their first DNS label), exactly where it does not;
//  - never merges two people on a weak hint: a merge that would put two different
//    SIDs, DNs or UPNs (or two different device ids) into one identity is refused and
//    recorded as a conflict; a bare sAMAccountName without domain only joins a person
//    that has no other bare name;
//  - explains itself: every merge keeps the fact pair and the event that tied them.
// A reader may rely on: ids are dense (0..count-1) and stable for one run; an event's
// user and device ids are available as soon as it is observed, and resolve() gives
// the final identity after later merges.
#pragma once

#include <cstdint>
#include <hellotrace/event.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace hellotrace::host {

enum class FactType : uint8_t { kSid, kUpn, kDn, kSam, kNgcKey, kDeviceId, kDeviceName };
const char* fact_type_name(FactType t);

struct Fact {
  FactType type;
  std::string value;  // normalized
};

struct Merge {
  std::string a, b;  // "upn:jdoe@contoso.com", "sid:S-1-5-21-…"
  std::string file;
  Position at;
};

struct Conflict {
  std::string kept, refused;  // facts that would have been merged
  std::string reason;         // "two different SIDs"
  std::string file;
  Position at;
};

// One person or device after resolution.
struct Identity {
  bool is_device = false;
  std::vector<std::string> sids, upns, dns, sams, ngc_keys;  // users
  std::vector<std::string> device_ids, device_names;         // devices (names as first written)
  std::vector<Merge> merges;                                 // why these facts are one
  std::string display() const;  // UPN, else DOMAIN\name, else SID, else DN; device name or id
};

class IdentityGraph {
 public:
  struct Link {
    int user = -1;    // node of the user facts this event names (-1: none)
    int device = -1;  // node of the device facts
  };
  // Adds the facts an event names and ties those it names together.
  Link observe(const Event& e);
  // Final identity index (into identities()) of a node returned by observe().
  int resolve(int node) const;
  // Builds the identities (call once, after every observe()).
  void finish();
  const std::vector<Identity>& identities() const { return identities_; }
  const std::vector<Conflict>& conflicts() const { return conflicts_; }
  // Identity index of a fact ("upn", value) if known.
  std::optional<int> find(FactType type, std::string_view value) const;

  static std::optional<Fact> normalize(FactType type, std::string_view raw);

 private:
  int node_of(const Fact& f);
  int root(int n) const;
  // Unites the components of a and b unless that merges two different people.
  void unite(int a, int b, const Event& e);

  struct Node {
    Fact fact;
    mutable int parent;
    std::string written;  // device names: the first spelling seen ("PC-0517"), for display
  };
  struct Component {  // per root: the strong facts it holds, to refuse bad merges
    std::string sid, dn, upn, device_id, bare_sam;
  };
  std::vector<Node> nodes_;
  std::vector<Component> components_;
  std::unordered_map<std::string, int> index_;  // "type:value" → node
  std::vector<std::vector<Merge>> merges_;      // per root
  std::vector<Conflict> conflicts_;
  std::vector<int> identity_of_root_;
  std::vector<Identity> identities_;
};

}  // namespace hellotrace::host
