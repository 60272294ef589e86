// The console splitter plugin: a PowerShell transcript or a pasted console session is a
// container; each command's output becomes a part the host routes to the parser that
// claims it. See ../README.md.
#include <fmt/format.h>

#include <hellotrace/plugin_sdk.hpp>
#include <hellotrace/text/text.hpp>

#include "console_split.hpp"

namespace {

class ConsolePlugin final : public hellotrace::sdk::Plugin {
 public:
  explicit ConsolePlugin(const nlohmann::json& /*config*/) {}

  int sniff(std::span<const uint8_t> prefix, std::string_view /*name*/) const override {
    return hellotrace::console::score(hellotrace::text::decode(prefix));
  }

  void split(const hellotrace::sdk::Source& source, hellotrace::sdk::PartSink& out) const override {
    const std::string decoded = hellotrace::text::decode(source.data);
    const hellotrace::console::Session session = hellotrace::console::split(decoded);
    for (const auto& b : session.blocks)
      out.part(fmt::format("#L{}-L{}", b.first_line, b.last_line), b.text, b.first_line,
               b.command.empty() ? std::string("output before the first prompt") : b.command);
    if (session.blocks.empty())
      out.diagnose(HT_DIAG_INFO, {}, "a console session without any command output");
  }
};

}  // namespace

HT_DEFINE_PLUGIN(console, ConsolePlugin,
                 ({"console",
                   "1.0.0",
                   "Cuts PowerShell transcripts (English, German) and pasted console sessions "
                   "into each command's output",
                   HT_CAP_SPLIT,
                   {"powershell-transcript", "console-paste"},
                   {}}))
