// The certutil plugin table: reads `certutil -dcinfo verify` and `certutil -enterprise -store
// NTAuth` and finds KDC certificates whose issuing CA is not in NTAuth.
#include <hellotrace/plugin_sdk.hpp>

#include "certutil.hpp"

namespace {

class CertutilPlugin final : public hellotrace::sdk::Plugin {
 public:
  explicit CertutilPlugin(const nlohmann::json& /*config*/) {}
  int sniff(std::span<const uint8_t> prefix, std::string_view name) const override {
    return hellotrace::certutil::sniff(prefix, name);
  }
  void parse(const hellotrace::sdk::Source& source,
             hellotrace::sdk::EventSink& out) const override {
    hellotrace::certutil::parse(source.data, out);
  }
  void analyze(const nlohmann::json& input, hellotrace::sdk::OutputSink& out) const override {
    hellotrace::certutil::analyze(input, out);
  }
};

}  // namespace

HT_DEFINE_PLUGIN(certutil, CertutilPlugin,
                 ({"certutil",
                   "1.0.0",
                   "Reads certutil -dcinfo verify and certutil -enterprise -store NTAuth and "
                   "finds KDC certificates that clients cannot use",
                   HT_CAP_PARSE | HT_CAP_ANALYZE,
                   {"certutil-dcinfo", "certutil-store"},
                   {"pki.kdc_certificate", "pki.store", "pki.store_certificate"},
                   {"pki.*"}}))
