// The dcinventory plugin table: reads domain controller inventories (Get-ADDomainController)
// and Windows version exports of DCs (CurrentBuild + UBR) and finds DCs that cannot serve
// Windows Hello for Business key trust.
#include <hellotrace/plugin_sdk.hpp>

#include "dcinventory.hpp"

namespace {

class DcInventoryPlugin final : public hellotrace::sdk::Plugin {
 public:
  explicit DcInventoryPlugin(const nlohmann::json& /*config*/) {}
  int sniff(std::span<const uint8_t> prefix, std::string_view name) const override {
    return hellotrace::dcinventory::sniff(prefix, name);
  }
  void parse(const hellotrace::sdk::Source& source,
             hellotrace::sdk::EventSink& out) const override {
    hellotrace::dcinventory::parse(source.data, out);
  }
  void analyze(const nlohmann::json& input, hellotrace::sdk::OutputSink& out) const override {
    hellotrace::dcinventory::analyze(input, out);
  }
};

}  // namespace

HT_DEFINE_PLUGIN(dcinventory, DcInventoryPlugin,
                 ({"dcinventory",
                   "1.0.0",
                   "Reads domain controller inventories (Get-ADDomainController) and Windows "
                   "version exports (CurrentBuild/UBR) and finds DCs that cannot serve key trust",
                   HT_CAP_PARSE | HT_CAP_ANALYZE,
                   {"get-addomaincontroller", "windows-currentversion"},
                   {"dc.inventory", "os.version"},
                   {"dc.inventory", "os.version"}}))
