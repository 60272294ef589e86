// Correlation benchmark: N users × 20 events each (prerequisite checks, dsregcmd
// sections, key registrations, AD keys, a tenant-wide scheduler), fed to the real
// Analysis (identity graph, rules, timelines, key-sync). Prints time, events/s and
// peak RSS for growing sizes so that linear growth can be read off:
//   bench_correlate [max_users=50000]
// Sizes: max/8, max/4, max/2, max users (20 events each; 50,000 users = 1,000,000 events).
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <hellotrace/time.hpp>

#include "engine/rules.hpp"
#include "engine/timeline.hpp"

using namespace hellotrace;
using namespace hellotrace::host;

namespace {

void feed_user(Analysis& a, int u, int64_t t0) {
  const std::string sid = fmt::format("S-1-5-21-1004336348-1177238915-682003330-{}", 10000 + u);
  const std::string upn = fmt::format("user{}@contoso.com", u);
  const std::string device = fmt::format("PC-{:05}", u);
  const std::string device_id = fmt::format("{:08x}-1a3b-4c5d-8e9f-a0b1c2d3e4f5", u);
  auto base = [&](const char* kind, int64_t t) {
    Event e;
    e.kind = kind;
    e.time = t;
    e.file = fmt::format("fleet/{}.evtx", device);
    e.origin.record = static_cast<uint64_t>(u);
    return e;
  };
  for (int i = 0; i < 8; ++i) {  // prerequisite checks at each sign-in: fail, then pass
    Event e = base("prereq.check", t0 + i * time::kTicksPerHour);
    e.source = "udr";
    e.event_id = i < 6 ? 360 : 358;
    e.subject.user_sid = sid;
    e.subject.device_name = device;
    e.add("DeviceIsJoined", "Yes");
    e.add("AADPrt", i < 6 ? "No" : "Yes");
    e.add("NgcPolicyEnabled", "Yes");
    e.add("UserIsRemote", "Yes");
    a.observe(e);
  }
  for (const char* kind : {"device.state", "device.details", "tenant.details", "user.state",
                           "sso.state", "device.diagnostics", "proxy.config", "prereq.check"}) {
    Event e = base(kind, t0 + 9 * time::kTicksPerHour);
    e.source = "dsregcmd";
    e.subject.user_upn = upn;
    e.subject.user_sam = fmt::format("CONTOSO\\user{}", u);
    e.subject.device_name = device;
    e.subject.device_id = device_id;
    e.add("AzureAdJoined", "YES");
    e.add("PreReqResult", "WillProvision");
    a.observe(e);
  }
  Event reg = base("ngc.key_registered", t0 + 8 * time::kTicksPerHour);
  reg.source = "udr";
  reg.event_id = 300;
  reg.subject.user_sid = sid;
  reg.subject.user_upn = upn;
  reg.subject.device_name = device;
  reg.add("KeyId", fmt::format("{:08x}-0000-4000-8000-000000000001", u));
  reg.add("Attestation", "ATT_HARD");
  a.observe(reg);
  Event key =
      base("ad.key_credential", (u % 3 ? t0 + 8 * time::kTicksPerHour + time::kTicksPerMinute
                                       : t0 - 400 * time::kTicksPerHour));
  key.source = "keycred";
  key.subject.user_dn = fmt::format("CN=User {},OU=Staff,DC=contoso,DC=com", u);
  key.subject.user_upn = upn;
  key.add("Usage", "NGC");
  a.observe(key);
  Event other = base("hello.event", t0);
  other.source = "udr";
  other.subject.user_sid = sid;
  a.observe(other);
  Event last = base("tpm.info", t0);
  last.source = "udr";
  last.subject.device_name = device;
  last.add("IsTpmLockedOut", "false");
  a.observe(last);
}

long peak_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Runs one size in a child process so that peak RSS belongs to that size alone.
void measure(const RuleSet& rules, int users) {
  const pid_t child = fork();
  if (child == 0) {
    const auto start = std::chrono::steady_clock::now();
    AnalysisOptions o;
    o.now = *time::parse_iso("2025-03-05T00:00:00Z");
    Analysis a(rules, o);
    const int64_t t0 = *time::parse_iso("2025-03-03T08:00:00Z");
    for (int u = 0; u < users; ++u) feed_user(a, u, t0);
    Event sched;
    sched.kind = "sync.scheduler";
    sched.source = "entra-sync";
    sched.add("CurrentlyEffectiveSyncCycleInterval", "00:30:00");
    sched.add("NextSyncCycleStartTimeInUTC", "2025-03-04T23:42:00Z");
    sched.add("SyncCycleEnabled", "True");
    a.observe(sched);
    const auto observed = std::chrono::steady_clock::now();
    const Report r = a.finish();
    const auto done = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(done - start).count();
    const double events = users * 20.0;
    fmt::print(
        "{:>8} users {:>9.0f} events  {:6.2f} s (observe {:5.2f} s, finish {:5.2f} s)  {:9.0f} "
        "events/s  "
        "peak RSS {:6.1f} MB  {:5.0f} B/event  findings {}  timelines {}\n",
        users, events, s, std::chrono::duration<double>(observed - start).count(),
        std::chrono::duration<double>(done - observed).count(), events / s, peak_rss_kb() / 1024.0,
        peak_rss_kb() * 1024.0 / events, r.findings.size(), r.users.size());
    std::fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
}

}  // namespace

int main(int argc, char** argv) {
  const int max_users = argc > 1 ? std::atoi(argv[1]) : 50000;
  RuleSet rules;
  rules.load(HT_SOURCE_DIR "/rules");
  fmt::print(
      "correlation benchmark: 20 events per user, shipped rules ({}), reference: the same code at "
      "1/8 of the size\n",
      rules.rules().size());
  std::fflush(stdout);
  for (int users : {max_users / 8, max_users / 4, max_users / 2, max_users}) measure(rules, users);
  return 0;
}
