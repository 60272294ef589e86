#include "engine/timeline.hpp"

#include <algorithm>
#include <climits>
#include <deque>
#include <hellotrace/analysis_input.hpp>
#include <hellotrace/time.hpp>
#include <map>
#include <set>
#include <span>
#include <unordered_map>

#include "engine/keysync.hpp"

namespace hellotrace::host {

const char* phase_name(Phase p) {
  static const char* const kNames[] = {"policy",        "device_joined", "prt",
                                       "prerequisites", "provisioning",  "key_registered",
                                       "sync_cycle",    "key_in_ad",     "onprem_signin"};
  return kNames[static_cast<size_t>(p)];
}

const char* phase_title(Phase p) {
  static const char* const kTitles[] = {"WHfB policy applied",
                                        "Device hybrid-joined",
                                        "Entra PRT obtained",
                                        "Prerequisite check",
                                        "Provisioning (MFA, PIN)",
                                        "Key registered in Entra ID",
                                        "Sync cycle after registration",
                                        "Key in AD (msDS-KeyCredentialLink)",
                                        "First on-premises sign-in"};
  return kTitles[static_cast<size_t>(p)];
}

const char* phase_state_name(PhaseState s) {
  switch (s) {
    case PhaseState::kDone:
      return "done";
    case PhaseState::kFailed:
      return "failed";
    case PhaseState::kPending:
      return "pending";
    case PhaseState::kUnknown:
      break;
  }
  return "unknown";
}

std::optional<Phase> phase_from_name(std::string_view name) {
  for (size_t i = 0; i < kPhaseCount; ++i)
    if (name == phase_name(static_cast<Phase>(i))) return static_cast<Phase>(i);
  return std::nullopt;
}

std::optional<PhaseState> phase_state_from_name(std::string_view name) {
  for (PhaseState s : {PhaseState::kDone, PhaseState::kFailed, PhaseState::kPending})
    if (name == phase_state_name(s)) return s;
  return std::nullopt;  // "unknown" is what no statement says
}

// ---- phase signals -------------------------------------------------------------

std::vector<PhaseSignal> phase_signals(const RuleSet& rules, const Event& e) {
  std::vector<PhaseSignal> out;
  for (const PhaseRule* p : rules.phases(e)) out.push_back({p->phase, p->state, phase_note(*p, e)});
  return out;
}

// ---- summaries -----------------------------------------------------------------

static std::string summarize(const RuleSet& rules, const Event& e) {
  if (const auto* fields = rules.summary_fields(e.kind))
    return FindingCollector::excerpt(e, *fields);
  std::string out;
  int n = 0;
  for (const Field& f : e.fields) {
    if (f.name.empty() || f.name[0] == '@' || f.name == "section" || f.name == "run" ||
        f.value.empty())
      continue;
    if (n++ == 4) break;
    if (!out.empty()) out += "; ";
    out += f.name + "=" + (f.value.size() > 80 ? f.value.substr(0, 80) + "…" : f.value);
  }
  return out;
}

// ---- interned strings ----------------------------------------------------------

std::string_view StringPool::intern(std::string_view s) {
  if (auto it = index_.find(s); it != index_.end()) return *it;
  constexpr size_t kBlock = 64 * 1024;
  char* at;
  if (s.size() > kBlock / 4) {  // a long string gets a block of its own
    blocks_.push_back(std::make_unique<char[]>(s.size()));
    at = blocks_.back().get();
  } else {
    if (s.size() > left_) {
      blocks_.push_back(std::make_unique<char[]>(kBlock));
      next_ = blocks_.back().get();
      left_ = kBlock;
    }
    at = next_;
    next_ += s.size();
    left_ -= s.size();
  }
  std::copy(s.begin(), s.end(), at);
  return *index_.insert(std::string_view(at, s.size())).first;
}

// ---- analysis ------------------------------------------------------------------

static bool later(int64_t a, int64_t b);

bool kind_matches(const std::vector<std::string>& patterns, std::string_view kind) {
  for (const std::string& p : patterns) {
    if (p.size() >= 2 && p.ends_with(".*")) {
      if (kind.size() > p.size() - 1 &&
          kind.starts_with(std::string_view(p).substr(0, p.size() - 1)))
        return true;
    } else if (kind == p) {
      return true;
    }
  }
  return false;
}

struct Analysis::Impl {
  struct Kept {
    TimelineEntry entry;
    int user_node, device_node;
  };
  struct KeptEvent {  // a full event for analyzer plugins
    Event event;
    int user_node, device_node;
  };
  // The latest signal of one phase at one fact node. Compact on purpose (views into
  // the pool, evidence as the entry itself): a node holds only the phases it saw,
  // and the PhaseStatus with its Evidence is built once per person in finish().
  struct Signal {
    Phase phase;
    PhaseState state;
    std::string_view note;  // interned: the same notes repeat on every sign-in
    TimelineEntry entry;
    PhaseStatus status() const {
      return {phase, state, entry.time, std::string(note),
              Evidence{std::string(entry.file), entry.origin, entry.time, std::string(entry.source),
                       std::string(entry.kind), entry.event_id, std::string(entry.summary)}};
    }
  };
  using Signals = std::vector<Signal>;
  // One observation of a stateful rule's check (rules.hpp, StateSpec).
  struct StateObservation {
    const Rule* rule;
    bool passed;
    int64_t time;
    int user_node, device_node;
    std::string_view file;  // interned
    Position origin;
  };
  Impl(const RuleSet& r, AnalysisOptions o) : rules(r), options(std::move(o)), collector(r) {}

  // Keeps, per fact node, the latest signal of each phase: memory grows with people
  // and devices, not with events.
  void record_signals(int node, std::vector<PhaseSignal>& signals, const TimelineEntry& entry) {
    if (node < 0 || signals.empty()) return;
    Signals& have = phases[node];
    for (PhaseSignal& s : signals) {
      auto p = std::find_if(have.begin(), have.end(),
                            [&](const Signal& x) { return x.phase == s.phase; });
      if (p == have.end())
        p = have.insert(have.end(), Signal{s.phase, s.state, {}, {}});
      else if (!later(entry.time, p->entry.time))
        continue;
      p->state = s.state;
      p->note = strings->intern(s.note);
      p->entry = entry;
    }
  }

  const RuleSet& rules;
  AnalysisOptions options;
  std::shared_ptr<StringPool> strings = std::make_shared<StringPool>();
  FindingCollector collector;
  IdentityGraph graph;
  // A deque: it grows without copying and without a doubled capacity, and finish()
  // frees it from the front while the timelines fill.
  std::deque<Kept> kept;
  std::vector<KeptEvent> for_analyzers;
  std::unordered_map<int, Signals> phases;  // by fact node
  std::vector<StateObservation> states;
  KeySyncInput keysync;
  int64_t newest = HT_NO_TIME;
};

Analysis::Analysis(const RuleSet& rules, AnalysisOptions options)
    : impl_(std::make_unique<Impl>(rules, std::move(options))) {}
Analysis::~Analysis() = default;

PreparedEvent Analysis::prepare(const Event& e) const {
  const Impl& m = *impl_;
  PreparedEvent p;
  p.hits = m.rules.match(e);
  p.findings = FindingCollector::findings_of(e, p.hits);
  if (e.kind == "eventlog.record") return p;  // not part of any enrollment story
  p.clears = m.rules.clears(e);
  p.summary = summarize(m.rules, e);
  p.signals = phase_signals(m.rules, e);
  return p;
}

void Analysis::observe(const Event& e, PreparedEvent&& prepared) {
  Impl& m = *impl_;
  if (e.time != HT_NO_TIME && (m.newest == HT_NO_TIME || e.time > m.newest)) m.newest = e.time;
  for (Finding& f : prepared.findings) m.collector.add(std::move(f));
  if (e.kind == "eventlog.record") return;  // not part of any enrollment story
  const auto link = m.graph.observe(e);
  StringPool& pool = *m.strings;
  for (const Rule* r : prepared.hits)
    if (r->state)
      m.states.push_back({r, false, e.time, link.user, link.device, pool.intern(e.file), e.origin});
  for (const Rule* r : prepared.clears)
    m.states.push_back({r, true, e.time, link.user, link.device, pool.intern(e.file), e.origin});
  Impl::Kept k{{e.time,
                pool.intern(e.kind),
                pool.intern(e.source),
                e.event_id,
                pool.intern(e.file),
                e.origin,
                pool.intern(prepared.summary),
                link.user < 0,
                {}},
               link.user,
               link.device};
  m.record_signals(link.user >= 0 ? link.user : link.device, prepared.signals, k.entry);
  m.keysync.observe(e, link.user, link.device);
  m.kept.push_back(std::move(k));
  if (!m.options.keep_kinds.empty() && kind_matches(m.options.keep_kinds, e.kind))
    m.for_analyzers.push_back({e, link.user, link.device});
}

static bool later(int64_t a, int64_t b) {  // a is later evidence than b (no time = oldest)
  if (b == HT_NO_TIME) return a != HT_NO_TIME;
  return a != HT_NO_TIME && a >= b;
}

// Fills a finding's subject from its identity (a SID-only event gains the UPN).
static void enrich(Subject& s, const Identity* user, const Identity* device) {
  auto first = [](const std::vector<std::string>& v) {
    return v.empty() ? std::string() : v.front();
  };
  if (user) {
    if (s.user_upn.empty()) s.user_upn = first(user->upns);
    if (s.user_sid.empty()) s.user_sid = first(user->sids);
    if (s.user_dn.empty()) s.user_dn = first(user->dns);
    if (s.user_sam.empty()) s.user_sam = first(user->sams);
  }
  if (device) {
    if (s.device_id.empty()) s.device_id = first(device->device_ids);
    if (s.device_name.empty()) s.device_name = first(device->device_names);
  }
}

namespace {

// Which device a subject-less export belongs to: the only device named by the other
// exports of its folder (-1 when the folder names none or several).
class FolderDevices {
 public:
  template <class Kept>
  FolderDevices(const Kept& kept, const IdentityGraph& graph) {
    for (const auto& k : kept) {
      const int d = graph.resolve(k.device_node);
      if (d < 0) continue;
      auto [it, inserted] = device_.try_emplace(folder(k.entry.file), d);
      if (!inserted && it->second != d) it->second = kSeveral;
    }
  }
  int of(std::string_view file) const {
    auto it = device_.find(folder(file));
    return it == device_.end() || it->second == kSeveral ? -1 : it->second;
  }

 private:
  static constexpr int kSeveral = -2;
  static std::string folder(std::string_view file) {
    const size_t slash = file.find_last_of('/');
    return slash == std::string::npos ? std::string() : std::string(file.substr(0, slash));
  }
  std::unordered_map<std::string, int> device_;
};

using ojson = nlohmann::ordered_json;

ojson text_or_empty(const std::vector<std::string>& v) { return v.empty() ? "" : v.front(); }
using analysis::time_or_null;

}  // namespace

static ojson identity_json(const Identity& id, size_t i) {
  ojson j = {{"index", i}, {"type", id.is_device ? "device" : "user"}, {"display", id.display()}};
  if (id.is_device) {
    j["device_name"] = text_or_empty(id.device_names);
    j["device_id"] = text_or_empty(id.device_ids);
  } else {
    j["sid"] = text_or_empty(id.sids);
    j["upn"] = text_or_empty(id.upns);
    j["dn"] = text_or_empty(id.dns);
    j["sam"] = text_or_empty(id.sams);
    j["ngc_key_ids"] = id.ngc_keys;
  }
  return j;
}

static ojson user_json(const UserTimeline& t) {
  ojson phases = ojson::array();
  for (const PhaseStatus& p : t.phases)
    phases.push_back({{"phase", phase_name(p.phase)},
                      {"state", phase_state_name(p.state)},
                      {"time", time_or_null(p.time)},
                      {"note", p.note}});
  return {{"identity", t.identity}, {"devices", t.devices}, {"phases", std::move(phases)}};
}

nlohmann::ordered_json people_json(const Report& report) {
  ojson identities = ojson::array();
  for (size_t i = 0; i < report.identities.size(); ++i)
    identities.push_back(identity_json(report.identities[i], i));
  ojson users = ojson::array();
  for (const UserTimeline& t : report.users) users.push_back(user_json(t));
  return {{"identities", std::move(identities)}, {"users", std::move(users)}};
}

// The correlated run as analyzer plugins read it (docs/PLUGINS.md).
template <class Impl, class Users, class Folders>
static ojson analysis_input(const Report& report, const Users& by_user, const Impl& m,
                            const Folders& folder_devices) {
  ojson identities = ojson::array();
  for (size_t i = 0; i < report.identities.size(); ++i)
    identities.push_back(identity_json(report.identities[i], i));
  ojson users = ojson::array();
  for (const UserTimeline& t : by_user) users.push_back(user_json(t));
  ojson events = ojson::array();
  for (const auto& k : m.for_analyzers) {
    const Event& e = k.event;
    const int u = m.graph.resolve(k.user_node);
    int d = m.graph.resolve(k.device_node);
    if (u < 0 && d < 0) d = folder_devices.of(e.file);
    events.push_back(analysis::event_json(e, u, d));
  }
  return analysis::input_json(std::move(events), std::move(identities), std::move(users),
                              report.now);
}

// A rule's "yields_to": its finding goes when one of those rules fires for the same
// user and device (or for the same device with the user unknown, and so on). Then its
// "explained_by": a finding of another rule about the same person says why (details and
// a note in the summary). Keys are (rule, user identity, device identity).
template <class Grouped>
static void yield_and_explain(Grouped& grouped, const RuleSet& rules) {
  auto compatible = [](int u, int d, int u2, int d2) {
    return (u2 == u || u2 < 0) && (d2 == d || d2 < 0 || d < 0) && (u2 >= 0 || d2 >= 0);
  };
  for (auto it = grouped.begin(); it != grouped.end();) {
    const auto& [rule, u, d] = it->first;
    const Rule* r = rules.find(rule);
    bool yields = false;
    for (const std::string& other : r ? r->yields_to : std::vector<std::string>{})
      for (auto o = grouped.lower_bound({other, INT_MIN, INT_MIN});
           !yields && o != grouped.end() && std::get<0>(o->first) == other; ++o)
        yields = compatible(u, d, std::get<1>(o->first), std::get<2>(o->first));
    it = yields ? grouped.erase(it) : std::next(it);
  }
  for (auto& [key, f] : grouped) {
    const auto& [rule, u, d] = key;
    const Rule* r = rules.find(rule);
    if (!r || u < 0) continue;
    for (const Explanation& x : r->explained_by)
      for (auto o = grouped.lower_bound({x.rule, INT_MIN, INT_MIN});
           o != grouped.end() && std::get<0>(o->first) == x.rule; ++o) {
        if (std::get<1>(o->first) != u) continue;
        std::string note = x.note;
        for (const auto& [name, value] : o->second.details.items()) {
          const std::string slot = "{" + name + "}";
          for (size_t p; (p = note.find(slot)) != std::string::npos;)
            note.replace(p, slot.size(),
                         value.is_string() ? value.template get<std::string>() : value.dump());
        }
        f.details["explained_by"].push_back(x.rule);
        if (!note.empty()) {
          f.summary += "; " + note;
          f.details["explanation"] = note;
        }
        break;
      }
  }
}

Report Analysis::finish() {
  Impl& m = *impl_;
  Report report;
  report.strings = m.strings;
  report.now = m.options.now ? *m.options.now : m.newest;
  m.graph.finish();
  report.identities = m.graph.identities();
  report.conflicts = m.graph.conflicts();

  // Timelines: one per person; devices link people to device-only events.
  // `by_user` in identity order; a vector rather than a map of nodes, so that the
  // final order by name is a permutation in place (a timeline is a few KB with its
  // phases: two copies of every one would be a peak of their own).
  std::vector<UserTimeline> by_user;
  std::vector<int> slot(report.identities.size(), -1);  // identity → index in by_user
  for (const auto& k : m.kept)
    if (const int u = m.graph.resolve(k.user_node); u >= 0) slot[u] = 0;
  by_user.reserve(static_cast<size_t>(std::count(slot.begin(), slot.end(), 0)));
  for (size_t u = 0; u < slot.size(); ++u)
    if (slot[u] == 0) {
      slot[u] = static_cast<int>(by_user.size());
      by_user.emplace_back().identity = static_cast<int>(u);
    }
  auto timeline_of = [&](int u) -> UserTimeline* {
    return u >= 0 && slot[u] >= 0 ? &by_user[slot[u]] : nullptr;
  };
  std::multimap<int, int> users_of_device;
  std::set<std::pair<int, int>> linked;
  for (const auto& k : m.kept) {
    const int u = m.graph.resolve(k.user_node);
    const int d = m.graph.resolve(k.device_node);
    if (u < 0) continue;
    if (d >= 0 && linked.insert({u, d}).second) {
      timeline_of(u)->devices.push_back(d);
      users_of_device.insert({d, u});
    }
  }
  for (UserTimeline& t : by_user)
    for (size_t i = 0; i < kPhaseCount; ++i) t.phases[i].phase = static_cast<Phase>(i);
  auto merge_phases = [](UserTimeline& t, const Impl::Signals& from) {
    for (const Impl::Signal& s : from) {
      PhaseStatus& p = t.phases[static_cast<size_t>(s.phase)];
      if (p.state != PhaseState::kUnknown && !later(s.entry.time, p.time)) continue;
      p = s.status();
    }
  };
  for (const auto& [node, phases] : m.phases) {
    const int id = m.graph.resolve(node);
    if (id < 0) continue;
    if (!report.identities[id].is_device) {
      if (UserTimeline* t = timeline_of(id)) merge_phases(*t, phases);
    } else {
      for (auto [it, end] = users_of_device.equal_range(id); it != end; ++it)
        merge_phases(*timeline_of(it->second), phases);
    }
  }
  m.phases = {};  // in the timelines now
  // An export that names nobody (Get-Tpm, a .reg file) belongs to the device of its
  // support bundle when its folder holds the exports of exactly one device.
  const FolderDevices folder_devices(m.kept, m.graph);

  AnalyzerOutput from_analyzers;
  if (m.options.analyze)
    from_analyzers = m.options.analyze(analysis_input(report, by_user, m, folder_devices));

  // The timelines hold most of a run's memory: count first so that every vector gets
  // its exact size (allocated at its first entry, so from the memory the kept entries
  // free as they move over).
  auto device_of = [&](const Impl::Kept& k) {
    const int d = m.graph.resolve(k.device_node);
    return d >= 0 ? d : folder_devices.of(k.entry.file);
  };
  std::vector<size_t> count(report.identities.size());  // entries per person
  for (const auto& k : m.kept) {
    if (const int u = m.graph.resolve(k.user_node); u >= 0) {
      ++count[u];
    } else if (const int d = device_of(k); d >= 0) {
      for (auto [it, end] = users_of_device.equal_range(d); it != end; ++it) ++count[it->second];
    }
  }
  // State (rules.hpp, StateSpec): per rule and person/device, the latest passing
  // observation at or before --now clears every failed one before it; failures after
  // --now do not count. Their evidence is dropped from the findings below, and an event
  // whose every failure was cleared is marked superseded in the timeline.
  using StateKey = std::tuple<const Rule*, int, int>;
  std::map<std::string_view, int> anonymous_files;  // file → key below -1
  auto state_key = [&](const Impl::StateObservation& o) -> std::optional<StateKey> {
    const int u = m.graph.resolve(o.user_node);
    int d = m.graph.resolve(o.device_node);
    if (u < 0 && d < 0) d = folder_devices.of(o.file);  // an export that names nobody
    if (u < 0 && d < 0) {
      // Nobody named, not even by the folder: one log file is one subject, as its
      // findings are (they group under the empty subject too).
      auto [it, added] = anonymous_files.try_emplace(o.file, -2 - int(anonymous_files.size()));
      return StateKey{o.rule, it->second, it->second};
    }
    switch (o.rule->state->per) {
      case StateSpec::Per::kUser:
        return u < 0 ? std::nullopt : std::optional(StateKey{o.rule, u, -1});
      case StateSpec::Per::kDevice:
        return d < 0 ? std::nullopt : std::optional(StateKey{o.rule, -1, d});
      case StateSpec::Per::kUserDevice:
        break;
    }
    return u < 0 && d < 0 ? std::nullopt : std::optional(StateKey{o.rule, u, d});
  };
  const auto after_now = [&](int64_t t) {
    return report.now != HT_NO_TIME && t != HT_NO_TIME && t > report.now;
  };
  std::map<StateKey, const Impl::StateObservation*> latest_pass;
  for (const auto& o : m.states) {
    if (!o.passed || o.time == HT_NO_TIME || after_now(o.time)) continue;
    auto key = state_key(o);
    if (!key) continue;
    auto keep = [&](const StateKey& k) {
      const Impl::StateObservation*& best = latest_pass[k];
      if (!best || o.time > best->time) best = &o;
    };
    keep(*key);
    // A failure seen without its user (dsregcmd run as SYSTEM) is cleared by a pass of
    // anyone on that device.
    if (o.rule->state->per == StateSpec::Per::kUserDevice && std::get<2>(*key) >= 0)
      keep({o.rule, -1, std::get<2>(*key)});
  }
  // An event: file, position and time (events of one file without a position differ by
  // time at least).
  using At = std::tuple<std::string_view, uint64_t, uint64_t, uint64_t, int64_t>;
  auto event_at = [](std::string_view file, const Position& p, int64_t time) {
    return At{file, p.line, p.offset, p.record, time};
  };
  struct Fate {
    int failed = 0, cleared = 0;
    const Impl::StateObservation* by = nullptr;
  };
  std::map<At, Fate> fates;
  // "file:line" of the passing observation; its time where it has no file (tests, probes).
  auto superseder = [](const Impl::StateObservation& by) {
    std::string text = where(by.file, by.origin);
    if (by.time != HT_NO_TIME)
      text += (text.empty() ? "the event of " : " at ") + time::format_iso(by.time);
    return text;
  };
  std::set<std::pair<std::string, At>> not_evidence;  // rule id, event
  for (const auto& o : m.states) {
    if (o.passed) continue;
    const Impl::StateObservation* by = nullptr;
    if (auto key = state_key(o); key && o.time != HT_NO_TIME)
      if (auto it = latest_pass.find(*key); it != latest_pass.end() && it->second->time > o.time)
        by = it->second;
    Fate& fate = fates[event_at(o.file, o.origin, o.time)];
    ++fate.failed;
    if (by) {
      ++fate.cleared;
      fate.by = by;
    }
    if (by || after_now(o.time))
      not_evidence.insert({o.rule->id, event_at(o.file, o.origin, o.time)});
  }
  for (auto& k : m.kept)
    if (auto it = fates.find(event_at(k.entry.file, k.entry.origin, k.entry.time));
        it != fates.end() && it->second.cleared == it->second.failed)
      k.entry.superseded_by = m.strings->intern(superseder(*it->second.by));
  m.states = {};
  auto add_entry = [&](UserTimeline& t, const TimelineEntry& e) {
    if (size_t& n = count[t.identity]) {  // the first entry: all of them fit
      t.entries.reserve(std::min(n, m.options.max_entries_per_user));
      n = 0;
    }
    if (t.entries.size() < m.options.max_entries_per_user)
      t.entries.push_back(e);
    else
      ++t.entries_omitted;
  };
  for (; !m.kept.empty(); m.kept.pop_front()) {
    const Impl::Kept& k = m.kept.front();
    const int u = m.graph.resolve(k.user_node);
    if (u >= 0) {
      add_entry(*timeline_of(u), k.entry);
      continue;
    }
    const int d = device_of(k);
    if (d < 0) continue;
    for (auto [it, end] = users_of_device.equal_range(d); it != end; ++it)
      add_entry(*timeline_of(it->second), k.entry);
  }
  m.kept.shrink_to_fit();

  // Findings: rules per event, regrouped per resolved identity (and device).
  std::vector<Finding> raw = m.collector.take();
  if (!not_evidence.empty()) {
    for (Finding& f : raw)
      std::erase_if(f.evidence, [&](const Evidence& e) {
        return not_evidence.count({f.rule, event_at(e.file, e.position, e.time)}) > 0;
      });
    std::erase_if(raw, [](const Finding& f) { return f.evidence.empty(); });
  }
  auto identity_of = [&](const Subject& s, bool device) -> int {
    const std::pair<FactType, const std::string*> user_facts[] = {{FactType::kSid, &s.user_sid},
                                                                  {FactType::kUpn, &s.user_upn},
                                                                  {FactType::kDn, &s.user_dn},
                                                                  {FactType::kSam, &s.user_sam}};
    const std::pair<FactType, const std::string*> device_facts[] = {
        {FactType::kDeviceId, &s.device_id}, {FactType::kDeviceName, &s.device_name}};
    using Facts = std::span<const std::pair<FactType, const std::string*>>;
    for (const auto& [type, value] : device ? Facts(device_facts) : Facts(user_facts))
      if (auto id = m.graph.find(type, *value)) return *id;
    return -1;
  };
  // Phase statements of analyzers fill what no event covered: an event is the device's
  // own record, an analyzer's reading of exports comes second.
  for (const PhaseStatement& st : from_analyzers.phases) {
    auto fill = [&](UserTimeline& t) {
      PhaseStatus& p = t.phases[static_cast<size_t>(st.phase)];
      if (p.state != PhaseState::kUnknown) return;
      p.state = st.state;
      p.time = st.evidence.time;
      p.note = st.note;
      p.evidence = st.evidence;
    };
    if (st.subject.names_user()) {
      if (UserTimeline* t = timeline_of(identity_of(st.subject, false))) fill(*t);  // them only
    } else if (const int d = identity_of(st.subject, true); d >= 0) {
      for (auto [it, end] = users_of_device.equal_range(d); it != end; ++it)
        fill(*timeline_of(it->second));
    }
  }
  from_analyzers.phases = {};
  KeySyncResult ks = analyze_key_sync(m.keysync, m.graph, report.now, timeline_of, raw);
  m.keysync = {};
  for (auto& f : ks.findings) raw.push_back(std::move(f));
  for (auto& f : from_analyzers.findings) raw.push_back(std::move(f));
  ks.findings = {};
  from_analyzers.findings = {};
  report.sync = ks.sync;

  std::map<std::tuple<std::string, int, int>, Finding> grouped;
  std::vector<Finding> unattributed;
  for (Finding& f : raw) {
    const int u = identity_of(f.subject, false);
    int d = identity_of(f.subject, true);
    if (u < 0 && d < 0 && f.subject == Subject{} && !f.evidence.empty())
      d = folder_devices.of(f.evidence.front().file);
    enrich(f.subject, u >= 0 ? &report.identities[u] : nullptr,
           d >= 0 ? &report.identities[d] : nullptr);
    auto [it, inserted] = grouped.try_emplace({f.rule, u, d}, std::move(f));  // f kept if not new
    if (inserted) continue;
    Finding& have = it->second;
    for (auto& ev : f.evidence) have.evidence.push_back(std::move(ev));
    merge_details(have, f);
  }
  raw = {};  // moved into `grouped`
  yield_and_explain(grouped, m.rules);
  report.findings.reserve(grouped.size());
  for (auto it = grouped.begin(); it != grouped.end(); it = grouped.erase(it)) {
    Finding& f = it->second;
    std::stable_sort(f.evidence.begin(), f.evidence.end(),
                     [](const Evidence& a, const Evidence& b) {
                       return later(b.time, a.time) && a.time != b.time;
                     });
    report.findings.push_back(std::move(f));
  }
  std::stable_sort(report.findings.begin(), report.findings.end(),
                   [](const Finding& a, const Finding& b) {
                     if (severity_rank(a.severity) != severity_rank(b.severity))
                       return severity_rank(a.severity) > severity_rank(b.severity);
                     if (a.rule != b.rule) return a.rule < b.rule;
                     return subject_key(a.subject) < subject_key(b.subject);
                   });
  for (size_t i = 0; i < report.findings.size(); ++i) {
    const int u = identity_of(report.findings[i].subject, false);
    if (UserTimeline* t = timeline_of(u)) t->findings.push_back(i);
  }

  // People by display name (ties in identity order): the order is worked out on the
  // names alone, then applied by swapping the timelines in place.
  std::vector<std::pair<std::string, size_t>> order;
  order.reserve(by_user.size());
  for (size_t i = 0; i < by_user.size(); ++i)
    order.emplace_back(report.identities[by_user[i].identity].display(), i);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<size_t> at(by_user.size());     // at[i]: where the timeline meant for i is now
  std::vector<size_t> holds(by_user.size());  // holds[j]: which timeline is at j
  for (size_t i = 0; i < at.size(); ++i) at[i] = holds[i] = i;
  for (size_t i = 0; i < order.size(); ++i) {
    const size_t j = at[order[i].second];
    if (j == i) continue;
    std::swap(by_user[i], by_user[j]);
    at[holds[i]] = j;
    holds[j] = holds[i];
    at[order[i].second] = i;
    holds[i] = order[i].second;
  }
  for (UserTimeline& t : by_user)
    std::stable_sort(t.entries.begin(), t.entries.end(),
                     [](const TimelineEntry& a, const TimelineEntry& b) {
                       if (a.time == HT_NO_TIME || b.time == HT_NO_TIME)
                         return a.time != HT_NO_TIME && b.time == HT_NO_TIME;
                       return a.time < b.time;
                     });
  report.users = std::move(by_user);
  return report;
}

}  // namespace hellotrace::host
