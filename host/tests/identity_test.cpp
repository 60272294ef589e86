#include "engine/identity.hpp"

#include <gtest/gtest.h>

using namespace hellotrace;
using namespace hellotrace::host;

static Event with(Subject s, std::string file = "f", uint64_t line = 1) {
  Event e;
  e.subject = std::move(s);
  e.file = std::move(file);
  e.origin.line = line;
  return e;
}

TEST(Identity, TiesSourcesTogetherCaseInsensitivelyAndExplainsWhy) {
  IdentityGraph g;
  Subject udr;  // event 300: SID from the record header, UPN from EventData
  udr.user_sid = "S-1-5-21-1-2-3-1104";
  udr.user_upn = "JDoe@Contoso.com";
  udr.ngc_key_id = "{9A4B1C2D-0000-4000-8000-000000000001}";
  udr.device_name = "PC-0142.corp.contoso.com";
  Subject dsreg;  // dsregcmd: CONTOSO\jdoe, jdoe@contoso.com
  dsreg.user_upn = "jdoe@contoso.com";
  dsreg.user_sam = "CONTOSO\\JDoe";
  dsreg.device_name = "PC-0142";
  dsreg.device_id = "{C2D4E6F8-1A3B-4C5D-8E9F-A0B1C2D3E4F5}";
  Subject ad;  // Get-ADUser: DN with UPN
  ad.user_dn = "CN=John Doe, OU=Staff, DC=contoso, DC=com";
  ad.user_upn = "jdoe@contoso.com";
  const auto l1 = g.observe(with(udr, "udr.evtx", 7));
  g.observe(with(dsreg, "dsregcmd.txt", 80));
  g.observe(with(ad, "keys.ldf", 3));
  g.finish();
  ASSERT_TRUE(g.conflicts().empty());
  const int user = g.resolve(l1.user);
  const int device = g.resolve(l1.device);
  ASSERT_GE(user, 0);
  ASSERT_NE(user, device);
  const Identity& u = g.identities()[user];
  EXPECT_EQ(u.display(), "jdoe@contoso.com");
  EXPECT_EQ(u.sids, std::vector<std::string>{"S-1-5-21-1-2-3-1104"});
  EXPECT_EQ(u.dns, std::vector<std::string>{"cn=john doe,ou=staff,dc=contoso,dc=com"});
  EXPECT_EQ(u.sams, std::vector<std::string>{"contoso\\jdoe"});
  EXPECT_EQ(u.ngc_keys, std::vector<std::string>{"9a4b1c2d-0000-4000-8000-000000000001"});
  EXPECT_EQ(g.find(FactType::kDn, "cn=John Doe,ou=Staff,dc=contoso,dc=com"), user);
  // The merges say which fact tied what, and where.
  bool dn_merge = false;
  for (const Merge& m : u.merges)
    if (m.a == "upn:jdoe@contoso.com" && m.b.rfind("dn:", 0) == 0)
      dn_merge = m.file == "keys.ldf" && m.at.line == 3u;
  EXPECT_TRUE(dn_merge);
  // Device: FQDN and short name are one device, with its id.
  const Identity& d = g.identities()[device];
  EXPECT_TRUE(d.is_device);
  EXPECT_EQ(d.device_names, std::vector<std::string>{"PC-0142"});  // as first written
  EXPECT_EQ(d.device_ids, std::vector<std::string>{"c2d4e6f8-1a3b-4c5d-8e9f-a0b1c2d3e4f5"});
}

TEST(Identity, NeverMergesTwoPeopleOnAWeakHint) {
  IdentityGraph g;
  Subject a;
  a.user_sam = "jdoe";  // bare name, no domain
  a.user_sid = "S-1-5-21-1-2-3-1001";
  Subject b;
  b.user_sam = "jdoe";  // same bare name, another domain's account
  b.user_sid = "S-1-5-21-9-9-9-1001";
  const auto la = g.observe(with(a, "a.txt"));
  const auto lb = g.observe(with(b, "b.txt", 5));
  g.finish();
  EXPECT_NE(g.resolve(la.user), g.resolve(lb.user));
  ASSERT_EQ(g.conflicts().size(), 1u);
  EXPECT_EQ(g.conflicts()[0].reason, "two different SIDs");
  EXPECT_EQ(g.conflicts()[0].file, "b.txt");
}

TEST(Identity, TwoUsersOnOneDeviceStayTwoPeople) {
  IdentityGraph g;
  Subject a, b;
  a.user_upn = "ana@contoso.com";
  a.device_name = "KIOSK-01";
  b.user_upn = "bob@contoso.com";
  b.device_name = "kiosk-01.contoso.com";
  const auto la = g.observe(with(a));
  const auto lb = g.observe(with(b));
  g.finish();
  EXPECT_NE(g.resolve(la.user), g.resolve(lb.user));
  EXPECT_EQ(g.resolve(la.device), g.resolve(lb.device));
  EXPECT_TRUE(g.conflicts().empty());
}

TEST(Identity, ServiceAccountsAndMalformedValuesAreNotIdentities) {
  EXPECT_FALSE(IdentityGraph::normalize(FactType::kSid, "S-1-5-18"));
  EXPECT_FALSE(IdentityGraph::normalize(FactType::kSid, "not a sid"));
  EXPECT_FALSE(IdentityGraph::normalize(FactType::kUpn, "no-at-sign"));
  EXPECT_FALSE(IdentityGraph::normalize(FactType::kDeviceId, "zzz"));
  EXPECT_EQ(IdentityGraph::normalize(FactType::kSid, "s-1-5-21-1-2-3")->value, "S-1-5-21-1-2-3");
}
