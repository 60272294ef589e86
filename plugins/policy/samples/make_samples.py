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
