// The archive reader on zips written here with libarchive's writer (the shapes
// Compress-Archive and Explorer produce: folders, '\' separators, deflate), plus the
// ones an attacker or a broken copy produces: bombs, encrypted and damaged members.
#include <gtest/gtest.h>

#include <hellotrace/archive/archive.hpp>
#include <string>
#include <utility>
#include <vector>

#include "zip_writer.hpp"

namespace ar = hellotrace::archive;

namespace {

using hellotrace::testing::make_zip;

struct Read {
  ar::Result result;
  std::vector<ar::Member> members;
};

Read read_all(const std::vector<uint8_t>& zip, const ar::Limits& limits = {}) {
  Read r;
  ar::Budget budget;
  r.result =
      ar::read(zip, limits, budget, [&](ar::Member& m) { r.members.push_back(std::move(m)); });
  return r;
}

std::string text(const ar::Member& m) { return {m.data.begin(), m.data.end()}; }

}  // namespace

TEST(Archive, DetectsByMagicOnly) {
  EXPECT_EQ(ar::detect(make_zip({{"a.txt", "x"}})), "zip");
  const std::string cab("MSCF\0\0\0\0", 8), seven("7z\xBC\xAF\x27\x1C", 6);
  EXPECT_EQ(ar::detect({reinterpret_cast<const uint8_t*>(cab.data()), cab.size()}), "cab");
  EXPECT_EQ(ar::detect({reinterpret_cast<const uint8_t*>(seven.data()), seven.size()}), "7z");
  const std::string text = "PK is not enough";
  EXPECT_EQ(ar::detect({reinterpret_cast<const uint8_t*>(text.data()), text.size()}), "");
}

TEST(Archive, ReadsNestedFoldersInOrderWithCleanNames) {
  const auto zip = make_zip({{"device/", ""},
                             {"device/dsregcmd-status.txt", "+---+\n| Device State |\n"},
                             {"device\\logs\\udr.xml", "<Events/>"},
                             {"./server/get-adsyncscheduler.txt", "SyncCycleEnabled : True\n"}});
  const Read r = read_all(zip);
  EXPECT_TRUE(r.result.problems.empty()) << r.result.problems.front().message;
  ASSERT_EQ(r.members.size(), 3u);
  EXPECT_EQ(r.members[0].path, "device/dsregcmd-status.txt");
  EXPECT_EQ(r.members[1].path, "device/logs/udr.xml");
  EXPECT_EQ(text(r.members[1]), "<Events/>");
  EXPECT_EQ(r.members[2].path, "server/get-adsyncscheduler.txt");
  EXPECT_EQ(r.members[2].index, 4u);  // the folder entry counts as an entry
  EXPECT_NE(r.result.format.find("ZIP"), std::string::npos);
}

TEST(Archive, RefusesAMemberThatExpandsPastTheRatio) {
  // 64 MiB of zeros deflate to ~64 KiB (about 1000:1): the shape of a zip bomb.
  const auto zip = make_zip({{"bomb.bin", std::string(64u << 20, '\0')}, {"after.txt", "ok\n"}});
  const Read r = read_all(zip);
  ASSERT_EQ(r.result.problems.size(), 1u);
  EXPECT_EQ(r.result.problems[0].member, "bomb.bin");
  EXPECT_NE(r.result.problems[0].message.find("possible zip bomb"), std::string::npos)
      << r.result.problems[0].message;
  ASSERT_EQ(r.members.size(), 1u);  // the member after the bomb is still read
  EXPECT_EQ(r.members[0].path, "after.txt");
}

TEST(Archive, RefusesAMemberOverTheSizeLimitAndStopsAtTheTotal) {
  ar::Limits limits;
  limits.max_member_bytes = 1000;
  limits.max_total_bytes = 1500;
  const auto zip = make_zip({{"big.txt", std::string(2000, 'a')},
                             {"one.txt", std::string(900, 'b')},
                             {"two.txt", std::string(900, 'c')},
                             {"three.txt", "never read"}});
  const Read r = read_all(zip, limits);
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].path, "one.txt");
  ASSERT_EQ(r.result.problems.size(), 2u);
  EXPECT_EQ(r.result.problems[0].member, "big.txt");
  EXPECT_NE(r.result.problems[0].message.find("limit for one member"), std::string::npos);
  EXPECT_EQ(r.result.problems[1].member, "two.txt");
  EXPECT_NE(r.result.problems[1].message.find("in total"), std::string::npos);
}

TEST(Archive, BudgetIsSharedWithNestedArchives) {
  ar::Limits limits;
  limits.max_total_bytes = 1000;
  ar::Budget budget;
  budget.expanded_bytes = 900;  // what the outer archive already used
  const auto zip = make_zip({{"a.txt", std::string(200, 'a')}});
  const ar::Result r = ar::read(zip, limits, budget, [](ar::Member&) { FAIL(); });
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].message.find("in total"), std::string::npos);
}

TEST(Archive, SkipsAnEncryptedMemberWithAMessage) {
  const auto zip = make_zip({{"secret.txt", "hidden"}}, "secret");
  const Read r = read_all(zip);
  EXPECT_TRUE(r.members.empty());
  ASSERT_EQ(r.result.problems.size(), 1u);
  EXPECT_EQ(r.result.problems[0].member, "secret.txt");
  EXPECT_NE(r.result.problems[0].message.find("encrypted"), std::string::npos);
}

TEST(Archive, ADamagedMemberIsNamedAndTheRestIsRead) {
  auto zip = make_zip({{"first.txt", std::string(5000, 'x') + "end\n"}, {"second.txt", "fine\n"}});
  ASSERT_TRUE(hellotrace::testing::damage_member(zip, "first.txt"));
  const Read r = read_all(zip);
  ASSERT_FALSE(r.result.problems.empty());
  EXPECT_EQ(r.result.problems[0].member, "first.txt");
  EXPECT_NE(r.result.problems[0].message.find("damaged"), std::string::npos);
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].path, "second.txt");
}

TEST(Archive, TruncatedArchiveKeepsWhatCameBefore) {
  auto zip = make_zip({{"first.txt", "one\n"}, {"second.txt", std::string(4000, 'y')}});
  zip.resize(zip.size() / 2 + 20);
  const Read r = read_all(zip);
  ASSERT_GE(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].path, "first.txt");
  EXPECT_FALSE(r.result.problems.empty());
}

TEST(Archive, GarbageIsOneProblemNotACrash) {
  const std::string junk = "PK\x03\x04 but nothing else that a zip would hold";
  const Read r = read_all({junk.begin(), junk.end()});
  EXPECT_TRUE(r.members.empty());
  EXPECT_FALSE(r.result.problems.empty());
}
