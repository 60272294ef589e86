// The console splitter on real-shaped sessions: English and German transcripts (with
// and without invocation headers), console pastes mixing PowerShell, cmd.exe and remote
// prompts, in UTF-8 and UTF-16.
#include <gtest/gtest.h>
#include <hellotrace/plugin_api.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <hellotrace/text/text.hpp>
#include <sstream>

#include "console_split.hpp"

namespace fs = std::filesystem;
using hellotrace::console::score;
using hellotrace::console::split;

namespace {

std::string decoded(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string raw = ss.str();
  return hellotrace::text::decode({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()});
}

const fs::path kSamples = fs::path(HT_SOURCE_DIR) / "plugins/console/samples";
const fs::path kScenarios = fs::path(HT_SOURCE_DIR) / "tests/scenarios";

}  // namespace

TEST(Console, GermanTranscriptInUtf16IsCutIntoCommands) {
  const std::string text =
      decoded(kScenarios / "transcript-de-permission-issue/transcript-sync01-de.txt");
  const auto s = split(text);
  EXPECT_EQ(s.banner, "Start der Windows PowerShell-Aufzeichnung");
  ASSERT_EQ(s.blocks.size(), 5u);  // Stop-Transcript has no output
  EXPECT_EQ(s.blocks[0].command, "Get-Service ADSync");
  EXPECT_EQ(s.blocks[0].first_line, 20u);
  EXPECT_EQ(s.blocks[0].last_line, 24u);
  EXPECT_EQ(s.blocks[1].command, "Get-ADSyncScheduler");
  EXPECT_EQ(s.blocks[1].first_line, 27u);
  EXPECT_NE(s.blocks[1].text.find("NextSyncCycleStartTimeInUTC         : 14.11.2024 12:51:47\n"),
            std::string::npos);
  EXPECT_EQ(s.blocks[2].command, "Get-ADSyncRunProfileResult -NumberRequested 4 -RunStepDetails");
  EXPECT_EQ(s.blocks[4].command.rfind("Get-ADUser -Filter", 0), 0u);
  // The banner, the notice and the closing banner are in no block.
  for (const auto& b : s.blocks) {
    EXPECT_EQ(b.text.find("Aufzeichnung"), std::string::npos) << b.first_line;
    EXPECT_EQ(b.text.rfind("PS C:\\Users\\adm-sync> ", 0), 0u) << "a block starts at its prompt";
  }
  EXPECT_EQ(score(text.substr(0, 8192)), 100);
}

TEST(Console, EnglishTranscriptWithInvocationHeaders) {
  const auto s = split(decoded(kSamples / "transcript_en_invocation_headers.txt"));
  EXPECT_EQ(s.banner, "Windows PowerShell transcript start");
  ASSERT_EQ(s.blocks.size(), 2u);
  EXPECT_EQ(s.blocks[0].command, "dsregcmd /status");
  EXPECT_EQ(s.blocks[1].command, "Get-Tpm");
  // "Command start time:" banners end the previous command's output.
  EXPECT_EQ(s.blocks[0].text.find("Command start time"), std::string::npos);
  EXPECT_EQ(s.blocks[0].text.find("*****"), std::string::npos);
}

TEST(Console, PasteMixingPowerShellCmdAndRemotePrompts) {
  const std::string text = decoded(kSamples / "paste_mixed_prompts.txt");
  const auto s = split(text);
  EXPECT_EQ(s.banner, "");
  ASSERT_EQ(s.blocks.size(), 4u);
  EXPECT_EQ(s.blocks[0].command, "");                  // output pasted before the first prompt
  EXPECT_EQ(s.blocks[1].command, "dsregcmd /status");  // cmd.exe: C:\Windows\system32>dsregcmd
  EXPECT_EQ(s.blocks[2].command, "Get-ADDomainController -Filter * | fl Name,OperatingSystem*");
  EXPECT_EQ(s.blocks[3].command, "certutil -dcinfo verify");
  EXPECT_EQ(score(text), 100);
}

TEST(Console, OneCommandIsNotAContainer) {
  const std::string text = decoded(kScenarios / "permission-issue/get-adsyncscheduler.txt");
  EXPECT_EQ(split(text).blocks.size(), 1u);
  EXPECT_EQ(score(text), 0) << "one command's output goes to its parser whole";
}

TEST(Console, OutputThatMerelyMentionsPromptsIsNoPrompt) {
  const std::string text =
      "Path        : C:\\Windows>notes\n"
      "PSPath      : PS is here > there\n"
      "Comment     : C:\\> with a space after is no cmd prompt\n";
  const auto s = split(text);
  EXPECT_EQ(s.prompts, 0u);
  ASSERT_EQ(s.blocks.size(), 1u);
  EXPECT_EQ(s.blocks[0].first_line, 1u);
  EXPECT_EQ(s.blocks[0].last_line, 3u);
}

TEST(Console, ABannerThatNeverClosesSwallowsNoOutput) {
  // A damaged transcript: a row of stars and a title, then output and no closing row.
  std::string text = "**********************\nWindows PowerShell transcript start\n";
  for (int i = 0; i < 60; ++i) text += "Name" + std::to_string(i) + " : value\n";
  const auto s = split(text);
  EXPECT_EQ(s.banner, "");
  ASSERT_EQ(s.blocks.size(), 1u);
  EXPECT_EQ(s.blocks[0].first_line, 1u);
  EXPECT_EQ(s.blocks[0].last_line, 62u);
}

TEST(Console, ATranscriptCutInsideItsEndBannerLosesNoOutput) {
  const std::string text =
      "PS C:\\> Get-Tpm\n\nTpmPresent : True\n**********************\n"
      "Windows PowerShell transcript end\nEnd time: 2025";
  const auto s = split(text);
  ASSERT_EQ(s.blocks.size(), 1u);
  EXPECT_EQ(s.blocks[0].last_line, 3u);
  EXPECT_EQ(s.banner, "Windows PowerShell transcript end");
}

extern "C" const ht_plugin* ht_plugin_console(void);

// Through the ABI, as the host calls it: split() names each part by its line range and
// gives its first line; sniff() claims the transcript.
TEST(ConsolePlugin, SplitSendsPartsThroughTheAbi) {
  const ht_plugin* table = ht_plugin_console();
  ASSERT_TRUE(table->capabilities & HT_CAP_SPLIT);
  ASSERT_GE(table->struct_size, offsetof(ht_plugin, split) + sizeof(table->split));
  void* instance = table->init({"{}", 2}, nullptr, nullptr);
  ASSERT_NE(instance, nullptr);
  std::ifstream in(kSamples / "transcript_en_invocation_headers.txt", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  EXPECT_EQ(table->sniff(instance, data, std::min<size_t>(bytes.size(), HT_SNIFF_PREFIX_SIZE),
                         {"t.txt", 5}),
            100);
  struct Sent {
    std::vector<std::string> names, labels;
    std::vector<uint64_t> first_lines;
  } sent;
  ht_part_sink sink{&sent,
                    [](void* ctx, const ht_part* p) {
                      auto* s = static_cast<Sent*>(ctx);
                      s->names.emplace_back(p->name.data, p->name.size);
                      s->labels.emplace_back(p->label.data, p->label.size);
                      s->first_lines.push_back(p->first_line);
                      return 0;
                    },
                    nullptr};
  ht_source src{};
  src.struct_size = sizeof src;
  src.path = {"t.txt", 5};
  src.data = data;
  src.size = bytes.size();
  EXPECT_EQ(table->split(instance, &src, &sink), HT_OK);
  table->destroy(instance);
  ASSERT_EQ(sent.names.size(), 2u);
  EXPECT_EQ(sent.labels[0], "dsregcmd /status");
  EXPECT_EQ(sent.names[0].rfind("#L23-L", 0), 0u) << sent.names[0];
  EXPECT_EQ(sent.first_lines[0], 23u);  // after the banner, the notice and the invocation header
  EXPECT_EQ(sent.labels[1], "Get-Tpm");
}
