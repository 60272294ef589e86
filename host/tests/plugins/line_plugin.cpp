// A minimal parser plugin for the loader and pipeline tests: claims files that
// start with "LINES", emits one "test.line" event per following line.
#include <hellotrace/plugin_sdk.hpp>
#include <hellotrace/text/text.hpp>

#ifndef TEST_PLUGIN_NAME
#define TEST_PLUGIN_NAME "lines"
#endif

namespace {
class LinePlugin : public hellotrace::sdk::Plugin {
 public:
  explicit LinePlugin(const nlohmann::json& config) {
    if (config.value("fail_init", false)) throw std::runtime_error("asked to fail");
  }
  int sniff(std::span<const uint8_t> prefix, std::string_view) const override {
    const std::string_view s(reinterpret_cast<const char*>(prefix.data()), prefix.size());
    return s.rfind("LINES", 0) == 0 ? 80 : 0;
  }
  void parse(const hellotrace::sdk::Source& src, hellotrace::sdk::EventSink& out) const override {
    const std::string text = hellotrace::text::decode(src.data);
    for (const auto& line : hellotrace::text::split_lines(text)) {
      if (line.number == 1 || line.text.empty()) continue;
      if (line.text == "BAD") {
        out.warning({line.number, HT_NO_NUMBER, HT_NO_NUMBER}, "bad line");
        continue;
      }
      if (line.text == "THROW") throw std::runtime_error("boom");
      hellotrace::Event e;
      e.kind = "test.line";
      e.time = 0;
      e.origin.line = line.number;
      e.subject.user_upn = "user@contoso.com";
      e.add("text", std::string(line.text));
      out.emit(e);
    }
  }
};
}  // namespace

HT_DEFINE_PLUGIN(
    test_lines, LinePlugin,
    ({TEST_PLUGIN_NAME, "1.2.3", "test plugin", HT_CAP_PARSE, {"lines"}, {"test.line"}}))
