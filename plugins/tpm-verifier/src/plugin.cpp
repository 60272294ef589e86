// tpm-verifier: probes a live TPM 2.0 (hellotrace probe tpm-verifier --option tcti=…) into
// a Get-Tpm-compatible `tpm.info` event and a `tpm.attestation` event recording whether a
// TPM2_Certify of a freshly created key verified in software.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <hellotrace/plugin_sdk.hpp>
#include <string>

#include "verifier.hpp"

namespace {

namespace tpmv = hellotrace::tpmv;
using hellotrace::Event;
using hellotrace::sdk::EventSink;

constexpr const char* kDefaultTcti = "device:/dev/tpmrm0";

// A string option; absent or "" gives the fallback. `hellotrace probe --option k=v`
// passes strings; anything else is a mistake worth a clear message.
std::string option(const nlohmann::json& options, const char* name, std::string fallback) {
  if (!options.is_object() || !options.contains(name) || options[name].is_null()) return fallback;
  if (!options[name].is_string())
    throw std::invalid_argument(fmt::format("option \"{}\" must be a string", name));
  std::string v = options[name].get<std::string>();
  return v.empty() ? fallback : v;
}

tpmv::KeyAlg key_alg_option(const nlohmann::json& options, const char* name,
                            tpmv::KeyAlg fallback) {
  const std::string v = option(options, name, "");
  if (v.empty()) return fallback;
  if (auto alg = tpmv::parse_key_alg(v)) return *alg;
  throw std::invalid_argument(fmt::format("option \"{}\": \"{}\" is not ecc or rsa", name, v));
}

tpmv::Hierarchy hierarchy_option(const nlohmann::json& options, const char* name,
                                 tpmv::Hierarchy fallback) {
  const std::string v = option(options, name, "");
  if (v.empty()) return fallback;
  if (auto h = tpmv::parse_hierarchy(v)) return *h;
  throw std::invalid_argument(
      fmt::format("option \"{}\": \"{}\" is not endorsement, owner or null", name, v));
}

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

int64_t now_ticks() {
  using Ticks = std::chrono::duration<int64_t, std::ratio<1, 10'000'000>>;
  return std::chrono::duration_cast<Ticks>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* yes_no(bool b) { return b ? "True" : "False"; }

// Get-Tpm prints LockoutHealTime as a whole unit ("2 hours", "10 minutes").
std::string heal_time(uint32_t seconds) {
  auto unit = [](uint32_t n, const char* name) {
    return fmt::format("{} {}{}", n, name, n == 1 ? "" : "s");
  };
  if (seconds != 0 && seconds % 86400 == 0) return unit(seconds / 86400, "day");
  if (seconds != 0 && seconds % 3600 == 0) return unit(seconds / 3600, "hour");
  if (seconds != 0 && seconds % 60 == 0) return unit(seconds / 60, "minute");
  return unit(seconds, "second");
}

Event info_event(const tpmv::Properties& p, const std::string& tcti) {
  Event e;
  e.kind = "tpm.info";
  // Get-Tpm's names first, so analyzers of Get-Tpm exports read this event unchanged.
  e.add("TpmPresent", "True");
  // The TPM can hold keys: storage and endorsement hierarchies are enabled.
  e.add("TpmReady", yes_no(p.storage_enabled() && p.endorsement_enabled()));
  e.add("ManufacturerIdTxt", p.manufacturer_text);
  e.add("ManufacturerId", std::to_string(p.manufacturer));
  e.add("ManufacturerVersion", p.firmware_version());
  e.add("ManufacturerVersionFull20", p.firmware_version());
  e.add("OwnerClearDisabled", yes_no(p.disable_clear()));
  e.add("LockedOut", yes_no(p.in_lockout()));
  e.add("LockoutHealTime", heal_time(p.lockout_interval));
  e.add("LockoutCount", std::to_string(p.lockout_counter));
  e.add("LockoutMax", std::to_string(p.max_auth_fail));
  e.add("TpmVersion", p.family.empty() ? "2.0" : p.family);
  e.add("Source", "probe");
  // TPM-native facts Get-Tpm does not show.
  e.add("VendorString", p.vendor_string);
  e.add("SpecLevel", std::to_string(p.spec_level));
  e.add("SpecRevision", p.spec_revision_text());
  e.add("LockoutIntervalSeconds", std::to_string(p.lockout_interval));
  e.add("LockoutRecoverySeconds", std::to_string(p.lockout_recovery));
  e.add("OwnerAuthSet", yes_no(p.owner_auth_set()));
  e.add("EndorsementAuthSet", yes_no(p.endorsement_auth_set()));
  e.add("LockoutAuthSet", yes_no(p.lockout_auth_set()));
  e.add("StorageHierarchyEnabled", yes_no(p.storage_enabled()));
  e.add("EndorsementHierarchyEnabled", yes_no(p.endorsement_enabled()));
  e.add("Tcti", tcti);
  return e;
}

Event attestation_event(const tpmv::Attestation& a, const std::string& tcti) {
  Event e;
  e.kind = "tpm.attestation";
  e.add("Verified", yes_no(a.verdict.ok()));
  e.add("Reason", tpmv::reason_code(a.verdict.reason));
  e.add("ReasonDetail", a.verdict.detail);
  e.add("AttestationKeyAlgorithm", a.ak_algorithm);
  e.add("AttestationKeyHierarchy", tpmv::hierarchy_name(a.ak_hierarchy_used));
  e.add("KeyAlgorithm", a.key_algorithm);
  e.add("KeyHierarchy", tpmv::hierarchy_name(a.key_hierarchy_used));
  e.add("Nonce", tpmv::hex(a.nonce));
  // ROCA is a property of RSA key generation; an ECC key has nothing to test.
  e.add("RocaVulnerable", a.roca_vulnerable ? yes_no(*a.roca_vulnerable) : "NotApplicable");
  e.add("CertifiedName", tpmv::hex(a.verdict.certified_name));
  if (!a.notes.empty()) {
    std::string notes;
    for (const auto& n : a.notes) notes += (notes.empty() ? "" : "; ") + n;
    e.add("Notes", notes);
  }
  e.add("Tcti", tcti);
  return e;
}

class TpmVerifier : public hellotrace::sdk::Plugin {
 public:
  explicit TpmVerifier(const nlohmann::json& /*config*/) {}

  void probe(const nlohmann::json& options, EventSink& out) const override {
    const std::string tcti = option(options, "tcti", kDefaultTcti);
    const std::string device = option(options, "device", host_name());
    tpmv::AttestOptions how;
    how.ak_alg = key_alg_option(options, "ak_algorithm", how.ak_alg);
    how.key_alg = key_alg_option(options, "key_algorithm", how.key_alg);
    how.ak_hierarchy = hierarchy_option(options, "ak_hierarchy", how.ak_hierarchy);
    how.key_hierarchy = hierarchy_option(options, "key_hierarchy", how.key_hierarchy);

    tpmv::Tpm tpm(tcti);  // throws, naming the TCTI, when no TPM answers: HT_FAILED
    const int64_t time = now_ticks();
    auto stamp = [&](Event e) {
      e.time = time;
      e.subject.device_name = device;
      return e;
    };
    tpmv::Properties props;
    try {
      props = tpm.properties();
    } catch (const tpmv::TpmError& e) {  // it answered once, then stopped
      throw std::runtime_error(fmt::format("TPM through TCTI \"{}\": {}", tcti, e.what()));
    }
    out.emit(stamp(info_event(props, tcti)));

    const tpmv::Attestation a = tpm.attest(how);
    for (const auto& note : a.notes) out.info({}, note);
    if (!a.verdict.ok())
      out.warning({}, fmt::format("TPM attestation through \"{}\" did not verify: {}: {}", tcti,
                                  tpmv::reason_code(a.verdict.reason), a.verdict.detail));
    out.emit(stamp(attestation_event(a, tcti)));
  }
};

}  // namespace

HT_DEFINE_PLUGIN(tpm_verifier, TpmVerifier,
                 ({"tpm-verifier",
                   "1.0.0",
                   "Probes a live TPM 2.0 (tpm2-tss): properties, lockout, and a TPM2_Certify "
                   "attestation verified in software",
                   HT_CAP_PROBE,
                   {},
                   {"tpm.info", "tpm.attestation"}}))
