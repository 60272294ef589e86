#include <gtest/gtest.h>

#include <hellotrace/eventmessage/catalog.hpp>
#include <string>

namespace em = hellotrace::eventmessage;

namespace {

const em::Catalog& shipped() {
  static const em::Catalog c = [] {
    em::Catalog cat;
    cat.load_dir(HT_SOURCE_DIR "/messages");
    return cat;
  }();
  return c;
}

std::string field(const em::Recovery& r, const std::string& name) {
  for (const auto& d : r.data)
    if (d.name == name) return d.value;
  return "<absent>";
}

// The real 360 of learn.microsoft.com/en-us/answers/questions/591928 (as in the file).
const char* k360 =
    "Windows Hello for Business provisioning will not be launched.\r\n"
    "Device is AAD joined ( AADJ or DJ++ ): Yes\r\n"
    "User has logged on with AAD credentials: No\r\n"
    "Windows Hello for Business policy is enabled: Yes\r\n"
    "Windows Hello for Business post-logon provisioning is enabled: Yes\r\n"
    "Local computer meets Windows hello for business hardware requirements: Yes\r\n"
    "User is not connected to the machine via Remote Desktop: Yes\r\n"
    "User certificate for on premise auth policy is enabled: No\r\n"
    "Machine is governed by none policy.\r\n"
    "Cloud trust for on premise auth policy is enabled: Not Tested\r\n"
    "User account has Cloud TGT: Not Tested\r\n"
    "See https://go.microsoft.com/fwlink/?linkid=832647 for more details.";

}  // namespace

TEST(EventMessage, ShippedTemplatesLoadCleanly) {
  for (const auto& p : shipped().problems()) ADD_FAILURE() << p.text();
  EXPECT_GE(shipped().template_count(), 10u);
  EXPECT_GE(shipped().examples().size(), shipped().template_count() - 1);
}

// Every template file carries real message texts with the fields they must give.
TEST(EventMessage, EveryExampleGivesItsFields) {
  ASSERT_FALSE(shipped().examples().empty());
  for (const em::Example& ex : shipped().examples()) {
    SCOPED_TRACE(ex.file + " event " + std::to_string(ex.event_id));
    const em::Recovery r = shipped().recover(ex.provider, ex.event_id, ex.text);
    ASSERT_EQ(r.outcome, em::Outcome::kRecovered);
    ASSERT_FALSE(ex.fields.empty());
    for (const auto& f : ex.fields) EXPECT_EQ(field(r, f.name), f.value) << f.name;
  }
}

TEST(EventMessage, UdrPrerequisiteCheckInEveryWhitespace) {
  const em::Recovery crlf =
      shipped().recover("Microsoft-Windows-User Device Registration", 360, k360);
  ASSERT_EQ(crlf.outcome, em::Outcome::kRecovered);
  EXPECT_EQ(field(crlf, "Message"),
            "Windows Hello for Business provisioning will not be launched.");
  EXPECT_EQ(field(crlf, "AADPrt"), "No");
  EXPECT_EQ(field(crlf, "MachinePolicySource"), "none");
  EXPECT_EQ(crlf.data.front().name, "Message");  // EventData order
  EXPECT_EQ(crlf.data.back().name, "CloudTgt");
  // LF only, trailing blanks gone (an editor), short provider name.
  std::string lf = k360;
  for (size_t p; (p = lf.find('\r')) != std::string::npos;) lf.erase(p, 1);
  const em::Recovery r = shipped().recover("User Device Registration", 358, lf);
  EXPECT_EQ(r.outcome, em::Outcome::kRecovered);
  // Older builds: 9 values, the message ends after the policy line.
  const std::string old =
      "Windows Hello for Business provisioning will be launched. \n"
      "Device is AAD joined ( AADJ or DJ++ ): Yes \nUser has logged on with AAD credentials: Yes \n"
      "Windows Hello for Business policy is enabled: Yes \n"
      "Windows Hello for Business post-logon provisioning is enabled: Yes \n"
      "Local computer meets Windows hello for business hardware requirements: Yes \n"
      "User is not connected to the machine via Remote Desktop: Yes \n"
      "User certificate for on premise auth policy is enabled: No \n"
      "Machine is governed by none policy. \n"
      "See https://go.microsoft.com/fwlink/?linkid=832647 for more details.";
  const em::Recovery o = shipped().recover("Microsoft-Windows-User Device Registration", 358, old);
  ASSERT_EQ(o.outcome, em::Outcome::kRecovered);
  EXPECT_EQ(field(o, "MachinePolicySource"), "none");
  EXPECT_EQ(field(o, "UseCloudTrust"), "<absent>");
}

// Get-WinEvent | Select TimeCreated,Id,Message names no provider: the id and the text do.
TEST(EventMessage, ProviderFoundByIdAndText) {
  const em::Recovery r = shipped().recover("", 360, k360);
  ASSERT_EQ(r.outcome, em::Outcome::kRecovered);
  EXPECT_EQ(r.provider, "Microsoft-Windows-User Device Registration");
  EXPECT_EQ(shipped().recover("", 4242, "Anything.").outcome, em::Outcome::kNoTemplate);
}

TEST(EventMessage, OtherLanguagesAreToldNotMisread) {
  // de-DE: the same event as Windows writes it in German (wording illustrative: no real
  // German rendering is published; what matters is that no English template matches).
  const std::string de =
      "Die Bereitstellung von Windows Hello for Business wird nicht gestartet.\r\n"
      "Das Gerät ist in AAD eingebunden (AADJ oder DJ++): Ja\r\n"
      "Der Benutzer hat sich mit AAD-Anmeldeinformationen angemeldet: Nein\r\n"
      "Die Richtlinie für Windows Hello for Business ist aktiviert: Ja\r\n";
  const em::Recovery r = shipped().recover("Microsoft-Windows-User Device Registration", 360, de);
  EXPECT_EQ(r.outcome, em::Outcome::kOtherLanguage);
  EXPECT_EQ(r.language, "de-DE");
  EXPECT_TRUE(r.data.empty());
  // tr-TR: the real Message value of the corpus' 360 (tugix), nl-NL: a real line quoted
  // in a published detection script.
  EXPECT_EQ(shipped().language_of("İş İçin Windows Hello sağlaması başlatılmayacak. Cihaz: Evet, "
                                  "kullanıcı için ilke etkin değil"),
            "tr-TR");
  EXPECT_EQ(shipped().language_of("Cloud vertrouwen voor on-premises authenticatiebeleid "
                                  "ingeschakeld: Yes. Het apparaat is niet gekoppeld."),
            "nl-NL");
  EXPECT_EQ(shipped().language_of("Подготовка Windows Hello для бизнеса не будет запущена."),
            "Cyrillic script");
  EXPECT_EQ(shipped().language_of(k360), "");
}

TEST(EventMessage, EnglishThatMatchesNoTemplateIsNoMatch) {
  const em::Recovery r = shipped().recover("Microsoft-Windows-User Device Registration", 300,
                                           "The key was registered. Key ID: {X}");
  EXPECT_EQ(r.outcome, em::Outcome::kNoMatch);
  EXPECT_TRUE(r.data.empty());
}

TEST(EventMessage, KerberosSignInFromTheSecurityLog) {
  const std::string msg =
      "Kerberos pre-authentication failed.\r\n\r\nAccount Information:\r\n"
      "\tSecurity ID:\t\tCONTOSO\\dana.ruiz\r\n\tAccount Name:\t\tdana.ruiz\r\n\r\n"
      "Service Information:\r\n\tService Name:\t\tkrbtgt/CONTOSO.COM\r\n\r\n"
      "Network Information:\r\n\tClient Address:\t\t::ffff:10.1.20.57\r\n\tClient "
      "Port:\t\t50811\r\n\r\n"
      "Additional Information:\r\n\tTicket Options:\t\t0x40810010\r\n\tFailure Code:\t\t0x10\r\n"
      "\tPre-Authentication Type:\t-\r\n\r\nCertificate Information:\r\n"
      "\tCertificate Issuer Name:\t\t\r\n\tCertificate Serial Number: \t\r\n"
      "\tCertificate Thumbprint:\t\t\r\n\r\n"
      "Certificate information is only provided if a certificate was used for "
      "pre-authentication.\r\n\r\n"
      "Pre-authentication types, ticket options and failure codes are defined in RFC 4120.\r\n\r\n"
      "If the ticket was malformed or damaged during transit and could not be decrypted, then many "
      "fields in this event might not be present.";
  const em::Recovery r = shipped().recover("Microsoft-Windows-Security-Auditing", 4771, msg);
  ASSERT_EQ(r.outcome, em::Outcome::kRecovered);
  EXPECT_EQ(field(r, "Status"), "0x10");
  EXPECT_EQ(field(r, "PreAuthType"), "-");
  EXPECT_EQ(field(r, "TargetUserName"), "dana.ruiz");
  EXPECT_EQ(field(r, "CertIssuerName"), "");
  EXPECT_EQ(field(r, "IpPort"), "50811");
}

TEST(EventMessage, BadTemplateFilesAreReportedAndTheRestLoads) {
  em::Catalog c;
  c.load_text("{\n \"provider\": \"P\",\n \"events\": [\n oops ]\n}", "bad.json");
  c.load_text(
      R"({"provider": "P", "events": [{"ids": [1], "names": ["A"], "templates": ["Value: %1"]},
                                             {"ids": [2]}]})",
      "half.json");
  c.load_text(R"({"events": []})", "noprovider.json");
  ASSERT_EQ(c.problems().size(), 3u);
  EXPECT_EQ(c.problems()[0].file, "bad.json");
  EXPECT_EQ(c.problems()[0].line, 4u);
  EXPECT_NE(c.problems()[1].text().find("half.json"), std::string::npos);
  const em::Recovery r = c.recover("P", 1, "Value: 42");
  ASSERT_EQ(r.outcome, em::Outcome::kRecovered);
  EXPECT_EQ(field(r, "A"), "42");
  em::Catalog none;
  none.load_dir("/nonexistent/messages");
  EXPECT_EQ(none.problems().size(), 1u);
  EXPECT_EQ(none.recover("P", 1, "Value: 42").outcome, em::Outcome::kNoTemplate);
}

// Pathological text stays linear (RE2) and a template with many inserts still matches.
TEST(EventMessage, LongAndHostileMessages) {
  std::string huge(1 << 20, 'x');
  EXPECT_EQ(shipped().recover("Microsoft-Windows-User Device Registration", 360, huge).outcome,
            em::Outcome::kNoMatch);
  std::string regexy = "(.*)+$^[\\d]{99999}%1%2%%";
  EXPECT_NE(shipped().recover("Microsoft-Windows-User Device Registration", 300, regexy).outcome,
            em::Outcome::kRecovered);
}
