#!/usr/bin/env python3
"""Writes the policy plugin samples in the encodings Windows tools produce them:
regedit 5.00 exports as UTF-16LE with BOM and CRLF, REGEDIT4 as ANSI (cp1252) with
CRLF, reg query / PowerShell console captures as UTF-8 (or UTF-16LE where PowerShell
5.1's `>` wrote them). Run it from this folder; the files are checked in."""

TENANT = "{72F988BF-86F1-41AF-91AB-2D7CD011DB47}"
USER_SID = "S-1-5-21-1004336348-1177238915-682003330-512"


def utf16(name, lines):
    with open(name, "wb") as f:
        f.write(b"\xff\xfe" + "\r\n".join(lines).encode("utf-16-le"))


def ansi(name, lines):
    with open(name, "wb") as f:
        f.write("\r\n".join(lines).encode("cp1252"))


def utf8(name, lines):
    with open(name, "wb") as f:
        f.write("\r\n".join(lines).encode("utf-8"))


GPO = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\PassportForWork"
INTUNE = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Policies\PassportForWork"

# Healthy hybrid key trust by Group Policy (regedit /e of the PassportForWork key).
utf16("gpo-healthy.reg", [
    "Windows Registry Editor Version 5.00", "",
    f"[{GPO}]",
    '"Enabled"=dword:00000001',
    '"RequireSecurityDevice"=dword:00000001',
    '"DisablePostLogonProvisioning"=dword:00000000',
    '"UseCertificateForOnPremAuth"=dword:00000000', "",
    f"[{GPO}\\ExcludeSecurityDevices]",
    '"TPM12"=dword:00000001', "",
    f"[{GPO}\\PINComplexity]",
    '"MinimumPINLength"=dword:00000006',
    '"Digits"=dword:00000001', "", ""])

# Intune (PassportForWork CSP) as the device stores it, with a per-user node.
utf16("intune-tenant.reg", [
    "Windows Registry Editor Version 5.00", "",
    f"[{INTUNE}]", "",
    f"[{INTUNE}\\{TENANT}]", "",
    f"[{INTUNE}\\{TENANT}\\Device]", "",
    f"[{INTUNE}\\{TENANT}\\Device\\Policies]",
    '"UsePassportForWork"=dword:00000001',
    '"RequireSecurityDevice"=dword:00000001',
    '"UseCloudTrustForOnPremAuth"=dword:00000000',
    '"EnablePinRecovery"=dword:00000001', "",
    f"[{INTUNE}\\{TENANT}\\Device\\Policies\\PINComplexity]",
    '"MinimumPINLength"=dword:00000008', "",
    f"[{INTUNE}\\{TENANT}\\{USER_SID}]", "",
    f"[{INTUNE}\\{TENANT}\\{USER_SID}\\Policies]",
    '"UsePassportForWork"=dword:00000001', "", ""])

# A conflict pair: the GPO leaves the TPM optional and sets certificate trust, Intune
# requires the TPM and key trust.
utf16("conflict-gpo.reg", [
    "Windows Registry Editor Version 5.00", "",
    f"[{GPO}]",
    '"Enabled"=dword:00000001',
    '"RequireSecurityDevice"=dword:00000000',
    '"UseCertificateForOnPremAuth"=dword:00000001', "", ""])
utf16("conflict-intune.reg", [
    "Windows Registry Editor Version 5.00", "",
    f"[{INTUNE}\\{TENANT}\\Device\\Policies]",
    '"UsePassportForWork"=dword:00000001',
    '"RequireSecurityDevice"=dword:00000001',
    '"UseCertificateForOnPremAuth"=dword:00000000', "", ""])

# Disabled by Group Policy, exported with "Win9x/NT4 Registration Files" (REGEDIT4, ANSI).
ansi("not-enabled-regedit4.reg", [
    "REGEDIT4", "",
    "; exported by the help desk from PC-0517 (Gerät im Büro)",
    f"[{GPO}]",
    '"Enabled"=dword:00000000',
    '"RequireSecurityDevice"=dword:00000001', "", ""])

# regedit /e of HKLM\SOFTWARE\Policies\Microsoft: the whole subtree, no PassportForWork.
utf16("policies-without-whfb.reg", [
    "Windows Registry Editor Version 5.00", "",
    r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft]", "",
    r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows]", "",
    r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\System]",
    '"EnableSmartScreen"=dword:00000001',
    '"ShellSmartScreenLevel"="Block"', "",
    r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate]",
    '"WUServer"="https://wsus.contoso.com:8531"',
    '"TargetGroup"=hex(2):43,00,6f,00,6e,00,74,00,6f,00,73,00,6f,00,2d,00,25,00,43,\\',
    '  00,4f,00,4d,00,50,00,55,00,54,00,45,00,52,00,4e,00,41,00,4d,00,45,00,25,00,\\',
    '  00,00', "", ""])

# reg query console capture (cmd.exe), both the GPO and the Intune key.
utf8("reg-query.txt", [
    r'C:\Windows\system32>reg query "HKLM\SOFTWARE\Policies\Microsoft\PassportForWork" /s', "",
    GPO,
    "    Enabled    REG_DWORD    0x1",
    "    RequireSecurityDevice    REG_DWORD    0x0",
    "    UseCloudTrustForOnPremAuth    REG_DWORD    0x1", "",
    GPO + r"\PINComplexity",
    "    MinimumPINLength    REG_DWORD    0x6",
    "    Expiration    REG_DWORD    0x0", "",
    r'C:\Windows\system32>reg query "HKLM\SOFTWARE\Microsoft\Policies\PassportForWork" /s', "",
    f"{INTUNE}\\{TENANT}\\Device\\Policies",
    "    UsePassportForWork    REG_DWORD    0x1",
    "    RequireSecurityDevice    REG_DWORD    0x1", "", ""])

# reg query of a key that does not exist: the export covers it, and nothing is set.
utf8("reg-query-missing.txt", [
    r'C:\>reg query "HKLM\SOFTWARE\Policies\Microsoft\PassportForWork" /s',
    "ERROR: The system was unable to find the specified registry key or value.", ""])

# Get-ItemProperty | Format-List, written by PowerShell 5.1's `>` (UTF-16LE).
utf16("get-itemproperty.txt", [
    r"PS C:\> Get-ItemProperty HKLM:\SOFTWARE\Policies\Microsoft\PassportForWork | Format-List", "",
    "",
    "Enabled               : 1",
    "RequireSecurityDevice : 1",
    r"PSPath                : Microsoft.PowerShell.Core\Registry::" + GPO,
    r"PSParentPath          : Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft",
    "PSChildName           : PassportForWork",
    "PSDrive               : HKLM",
    r"PSProvider            : Microsoft.PowerShell.Core\Registry", "", ""])

# ---- gpresult /x (Resultant Set of Policy XML) ----------------------------------------
# gpresult writes UTF-16LE with a BOM; Get-GPResultantSetOfPolicy -ReportType Xml too.
# Elements of the registry extension carry the q1: prefix; ADMX policies appear as
# <q1:Policy> with their English display name, values outside any ADMX as
# <q1:RegistrySetting>. A setting names its GPO by identifier (resolved through the
# <GPO> list) and has a precedence (1 = the winning GPO).
TYPES = 'xmlns="http://www.microsoft.com/GroupPolicy/Types"'
WHFB_GPO = "{6AC1786C-016F-11D2-945F-00C04FB984F9}"
LEGACY_GPO = "{31B2F340-016D-11D2-945F-00C04FB984F9}"
KIOSK_GPO = "{A1D5E0F2-7C44-4B8E-9E3B-6A0B1C2D3E4F}"


def gpo(name, guid, som, order):
    return [
        "    <GPO>",
        f"      <Name>{name}</Name>",
        f"      <Path><Identifier {TYPES}>{guid}</Identifier><Domain {TYPES}>contoso.com</Domain></Path>",
        "      <VersionDirectory>4</VersionDirectory>",
        "      <VersionSysvol>4</VersionSysvol>",
        "      <Enabled>true</Enabled>",
        "      <IsValid>true</IsValid>",
        "      <FilterAllowed>true</FilterAllowed>",
        "      <AccessDenied>false</AccessDenied>",
        f"      <Link><SOMPath>{som}</SOMPath><SOMOrder>1</SOMOrder><AppliedOrder>{order}</AppliedOrder>"
        "<LinkOrder>1</LinkOrder><Enabled>true</Enabled><NoOverride>false</NoOverride></Link>",
        "      <SecurityFilter>NT AUTHORITY\\Authenticated Users</SecurityFilter>",
        "      <ExtensionName>Registry</ExtensionName>",
        "    </GPO>"]


def policy(name, state, guid, precedence=1, category="Windows Components/Windows Hello for Business",
           extra=()):
    return ["        <q1:Policy>",
            f"          <q1:GPO><Identifier {TYPES}>{guid}</Identifier><Domain {TYPES}>contoso.com</Domain></q1:GPO>",
            f"          <q1:Precedence>{precedence}</q1:Precedence>",
            f"          <q1:Name>{name}</q1:Name>",
            f"          <q1:State>{state}</q1:State>",
            "          <q1:Explain>…</q1:Explain>",
            "          <q1:Supported>At least Windows Server 2016, Windows 10</q1:Supported>",
            f"          <q1:Category>{category}</q1:Category>",
            *extra,
            "        </q1:Policy>"]


def checkbox(name, state):
    return f"          <q1:CheckBox><q1:Name>{name}</q1:Name><q1:State>{state}</q1:State></q1:CheckBox>"


def numeric(name, value):
    return f"          <q1:Numeric><q1:Name>{name}</q1:Name><q1:State>Enabled</q1:State><q1:Value>{value}</q1:Value></q1:Numeric>"


def registry_extension(body):
    return ["    <ExtensionData>",
            '      <Extension xmlns:q1="http://www.microsoft.com/GroupPolicy/Settings/Registry" '
            'xsi:type="q1:RegistrySettings" xmlns="http://www.microsoft.com/GroupPolicy/Settings">',
            *body,
            "        <q1:Blocked>false</q1:Blocked>",
            "      </Extension>",
            "      <Name>Registry</Name>",
            "    </ExtensionData>"]


def rsop(computer, user):
    head = ['<?xml version="1.0" encoding="utf-16"?>',
            '<Rsop xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns="http://www.microsoft.com/GroupPolicy/Rsop">',
            "  <ReadTime>2025-09-29T10:12:01.4417302Z</ReadTime>",
            "  <DataType>LoggedData</DataType>"]
    return head + computer + user + ["</Rsop>", ""]


def results(tag, name, som, gpos, extension):
    return [f"  <{tag}>",
            "    <Version>2031616</Version>",
            f"    <Name>{name}</Name>",
            "    <Domain>contoso.com</Domain>",
            f"    <SOM>{som}</SOM>",
            "    <Site>Default-First-Site-Name</Site>",
            "    <SlowLink>false</SlowLink>",
            *gpos,
            "    <ExtensionStatus><Name>Registry</Name><Identifier>{35378EAC-683F-11D2-A89A-00C04FBBCFA2}</Identifier>"
            "<LoggingStatus>Complete</LoggingStatus><Error>0</Error></ExtensionStatus>",
            *extension,
            f"  </{tag}>"]


# Healthy: the WHfB GPO wins over a legacy baseline that disables WHfB (precedence 2),
# requires a TPM without TPM 1.2, sets the minimum PIN length; user results hold no WHfB
# policy. An unrelated policy shows that other categories are ignored.
utf16("gpresult-healthy.xml", rsop(
    results("ComputerResults", "CONTOSO\\WS-0142$", "OU=Workstations,DC=contoso,DC=com",
            gpo("WHfB - Hybrid Key Trust", WHFB_GPO, "contoso.com/Workstations", 2)
            + gpo("Legacy Workstation Baseline", LEGACY_GPO, "contoso.com", 1),
            registry_extension(
                policy("Use Windows Hello for Business", "Enabled", WHFB_GPO, extra=[
                    checkbox("Do not start Windows Hello provisioning after sign-in", "Disabled")])
                + policy("Use Windows Hello for Business", "Disabled", LEGACY_GPO, precedence=2)
                + policy("Use a hardware security device", "Enabled", WHFB_GPO, extra=[
                    checkbox("Do not allow TPM 1.2", "Enabled")])
                + policy("Minimum PIN length", "Enabled", WHFB_GPO,
                         category="System/PIN Complexity", extra=[numeric("Minimum PIN length", 6)])
                + policy("Turn off Windows Error Reporting", "Enabled", LEGACY_GPO,
                         category="Windows Components/Windows Error Reporting"))),
    results("UserResults", "CONTOSO\\alice", "OU=Users,DC=contoso,DC=com",
            gpo("Default Domain Policy", LEGACY_GPO, "contoso.com", 1), [])))

# A user GPO disables WHfB for kiosk users although the computer policy enables it (user
# policy wins); an extra registry value (no ADMX) turns on certificate trust.
utf8("gpresult-user-disabled.xml", rsop(
    results("ComputerResults", "CONTOSO\\WS-0777$", "OU=Workstations,DC=contoso,DC=com",
            gpo("WHfB - Hybrid Key Trust", WHFB_GPO, "contoso.com/Workstations", 1),
            registry_extension(
                policy("Use Windows Hello for Business", "Enabled", WHFB_GPO)
                + policy("Use a hardware security device", "Enabled", WHFB_GPO)
                + ["        <q1:RegistrySetting>",
                   f"          <q1:GPO><Identifier {TYPES}>{WHFB_GPO}</Identifier></q1:GPO>",
                   "          <q1:Precedence>1</q1:Precedence>",
                   r"          <q1:KeyPath>Software\Policies\Microsoft\PassportForWork</q1:KeyPath>",
                   "          <q1:AdmSetting>false</q1:AdmSetting>",
                   "          <q1:Value><q1:Name>UseCertificateForOnPremAuth</q1:Name><q1:Number>1</q1:Number></q1:Value>",
                   "        </q1:RegistrySetting>"])),
    results("UserResults", "CONTOSO\\kiosk01", "OU=Kiosk,DC=contoso,DC=com",
            gpo("Kiosk Users", KIOSK_GPO, "contoso.com/Kiosk", 1),
            registry_extension(policy("Use Windows Hello for Business", "Disabled", KIOSK_GPO)))))

# gpresult /x run without elevation: no computer results, and no WHfB user policy.
utf16("gpresult-unelevated.xml", rsop(
    [], results("UserResults", "CONTOSO\\alice", "OU=Users,DC=contoso,DC=com",
                gpo("Default Domain Policy", LEGACY_GPO, "contoso.com", 1), [])))
