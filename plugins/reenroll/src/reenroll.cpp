// reenroll: an action plugin (HT_CAP_ACT) that turns findings into a re-enrollment
// plan: reenroll-plan.ps1, reenroll-plan.md, plan.json and Intune remediation pairs.
#include <hellotrace/plugin_sdk.hpp>

#include "plan.hpp"

namespace hellotrace::reenroll {
namespace {

class Reenroll : public sdk::Plugin {
 public:
  explicit Reenroll(const nlohmann::json& /*config*/) {}

  void act(const nlohmann::json& input, sdk::OutputSink& out) const override {
    const Plan plan = make_plan(input);
    for (const std::string& d : plan.diagnostics) out.diagnose(HT_DIAG_WARNING, d);
    out.artifact(kPlanScript, render_powershell(plan));
    out.artifact(kPlanMarkdown, render_markdown(plan));
    // `replace`: a value with invalid UTF-8 must not make dump() throw.
    out.artifact(
        kManifest,
        render_manifest(plan).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    for (const IntunePair& p : plan.intune) {
      out.artifact("intune/" + p.name + "-detect.ps1", render_intune_detect(plan, p));
      out.artifact("intune/" + p.name + "-remediate.ps1", render_intune_remediate(plan, p));
    }
  }
};

}  // namespace
}  // namespace hellotrace::reenroll

HT_DEFINE_PLUGIN(reenroll, hellotrace::reenroll::Reenroll,
                 ({"reenroll",
                   "1.0.0",
                   "Writes a safe Windows Hello re-enrollment plan (PowerShell with -WhatIf, "
                   "Markdown, plan.json, Intune remediations) from findings",
                   HT_CAP_ACT,
                   {},
                   {}}))
