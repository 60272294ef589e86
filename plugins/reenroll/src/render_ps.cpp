// The PowerShell renderings: reenroll-plan.ps1 and the Intune remediation pairs.
//
// Rules every line here follows (the tests check them on hostile input):
//  - a value from the findings reaches code only as ps_literal() of a value that
//    passed its shape check (plan.cpp refuses the step otherwise);
//  - a value in a message is one_line() then ps_literal(); in a comment, one_line();
//  - no double-quoted strings or here-strings at all, so nothing can expand;
//  - every state-changing command sits inside if ($PSCmdlet.ShouldProcess(...)).
#include <fmt/format.h>

#include <sstream>

#include "plan.hpp"
#include "pstext.hpp"

namespace hellotrace::reenroll {
namespace {

// Windows PowerShell 5.1 reads a .ps1 without a BOM as the ANSI code page, where
// bytes 0x91/0x92 of a UTF-8 sequence would read as typographic quotes: the BOM makes
// it read UTF-8, the encoding ps_literal() reasoned about.
constexpr const char* kBom = "\xEF\xBB\xBF";

std::string q(std::string_view s) { return ps_literal(s); }
std::string msg(std::string_view s) { return ps_literal(one_line(s, 400)); }

std::string findings_list(const Plan& plan, const std::vector<size_t>& numbers) {
  std::string out;
  for (size_t n : numbers) {
    if (!out.empty()) out += ", ";
    out += fmt::format("F{} {}", n, plan.findings[n - 1].rule);
  }
  return out;
}

std::string step_list(const std::vector<int>& numbers) {
  std::string out;
  for (int n : numbers) out += (out.empty() ? "" : ", ") + fmt::format("S{:02}", n);
  return out;
}

// "user X, device Y" for comments and messages (sanitized by the caller).
std::string who(const Step& s) {
  std::string out;
  if (!s.user.empty()) out += "user " + s.user.display();
  if (!s.device.empty())
    out += (out.empty() ? "" : ", ") + std::string("device ") + s.device.display();
  return out.empty() ? "the Entra Connect server" : out;
}

// Helpers the scripts call. Constant text: no value from the logs is ever in here.
constexpr const char* kSectionHelper = R"PS(
function Test-HtSection {
  param([string]$Name)
  return ($Section -eq 'All' -or $Section -eq $Name)
}
)PS";

constexpr const char* kDsregHelper = R"PS(
function Get-HtDsregValue {
  # The value of one 'Name : value' line of dsregcmd /status, '' when absent.
  param([string]$Name)
  $pattern = '^\s*' + [regex]::Escape($Name) + '\s*:\s*(.*?)\s*$'
  foreach ($line in @(& dsregcmd.exe /status)) {
    if ($line -match $pattern) { return $Matches[1] }
  }
  return ''
}
)PS";

constexpr const char* kServerHelpers = R"PS(
function Test-HtSyncServer {
  # The sync steps only make sense on the Entra Connect server named in the plan.
  if ($htSyncServer -and $env:COMPUTERNAME -ne $htSyncServer) {
    Write-Warning ('Sync server steps skipped: they are for ' + $htSyncServer + ', this is ' + $env:COMPUTERNAME + '.')
    return $false
  }
  if (-not (Get-Command -Name 'Start-ADSyncSyncCycle' -ErrorAction SilentlyContinue)) {
    Write-Warning 'Sync server steps skipped: the ADSync module is not on this computer. Run the script on the Entra Connect server with -Section SyncServer.'
    return $false
  }
  return $true
}

function Get-HtConnectorAccount {
  # DOMAIN\name of the AD connector account: from the plan options, else from the one AD connector.
  if ($htConnectorAccount) { return $htConnectorAccount }
  $connectors = @(Get-ADSyncConnector | Where-Object { $_.ConnectorTypeName -eq 'AD' })
  if ($connectors.Count -ne 1) {
    Write-Warning ('Found ' + $connectors.Count + ' AD connectors: give the account with the connector_account option of hellotrace plan.')
    return ''
  }
  $parameters = $connectors[0].ConnectivityParameters
  $account = [string]$parameters['forest-login-domain'].Value + '\' + [string]$parameters['forest-login-user'].Value
  if ($account -notmatch '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\\[A-Za-z0-9._$-]{1,64}$') {
    Write-Warning 'The AD connector account name has an unexpected shape; the permission step is skipped.'
    return ''
  }
  return $account
}
)PS";

constexpr const char* kAdHelpers = R"PS(
function Test-HtAdModule {
  if (-not (Get-Module -ListAvailable -Name 'ActiveDirectory')) {
    Write-Warning 'Active Directory steps skipped: the ActiveDirectory module (RSAT) is not installed here.'
    return $false
  }
  Import-Module -Name 'ActiveDirectory' -Verbose:$false
  return $true
}

function Get-HtAdUser {
  # The one AD user a step is about, by SID (preferred) or UPN; $null (with a warning) otherwise.
  param([string]$Step, [string]$Sid, [string]$Upn)
  try {
    if ($Sid) {
      $found = @(Get-ADUser -Identity $Sid -Properties 'msDS-KeyCredentialLink')
    } else {
      # The AD provider reads $Upn itself: the value is never pasted into the filter text.
      $found = @(Get-ADUser -Filter 'UserPrincipalName -eq $Upn' -Properties 'msDS-KeyCredentialLink')
    }
  } catch {
    Write-Warning ($Step + ' skipped: the user was not found in AD (' + $_.Exception.Message + ').')
    return $null
  }
  if ($found.Count -ne 1) {
    Write-Warning ($Step + ' skipped: expected one AD user, found ' + $found.Count + '.')
    return $null
  }
  return $found[0]
}

function Get-HtKeyCredentialId {
  # KeyId (lower-case hex) of one msDS-KeyCredentialLink value 'B:<length>:<hex>:<owner DN>':
  # a KEYCREDENTIALLINK_BLOB (MS-ADTS 2.2.20) is a 4-byte version then entries of
  # length (2 bytes, little endian), identifier (1 byte) and value; identifier 1 is the KeyID.
  param([string]$Value)
  $parts = $Value.Split(':')
  if ($parts.Count -lt 4 -or $parts[0] -ne 'B' -or $parts[2].Length % 2 -ne 0) { return '' }
  $hex = $parts[2]
  $bytes = New-Object -TypeName 'byte[]' -ArgumentList ([int]($hex.Length / 2))
  for ($i = 0; $i -lt $bytes.Length; $i++) { $bytes[$i] = [Convert]::ToByte($hex.Substring(2 * $i, 2), 16) }
  $pos = 4
  while ($pos + 3 -le $bytes.Length) {
    $length = [int]$bytes[$pos] + 256 * [int]$bytes[$pos + 1]
    $type = $bytes[$pos + 2]
    $pos += 3
    if ($length -eq 0 -or $pos + $length -gt $bytes.Length) { return '' }
    if ($type -eq 1) {
      return (($bytes[$pos..($pos + $length - 1)] | ForEach-Object { $_.ToString('x2') }) -join '')
    }
    $pos += $length
  }
  return ''
}

function Remove-HtKeyCredential {
  # Removes the msDS-KeyCredentialLink value(s) with this KeyId; the user's other keys stay.
  # Idempotent: a key that is already gone is reported, not an error.
  [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
  param([string]$Step, [string]$Sid, [string]$Upn, [string]$KeyId)
  $user = Get-HtAdUser -Step $Step -Sid $Sid -Upn $Upn
  if ($null -eq $user) { return }
  $values = @($user.'msDS-KeyCredentialLink' | Where-Object { (Get-HtKeyCredentialId -Value $_) -eq $KeyId })
  if ($values.Count -eq 0) {
    Write-Host ($Step + ': key ' + $KeyId + ' is not in msDS-KeyCredentialLink of ' + $user.DistinguishedName + ' (already removed).')
    return
  }
  foreach ($value in $values) {
    if ($PSCmdlet.ShouldProcess($user.DistinguishedName, 'Remove msDS-KeyCredentialLink value with KeyId ' + $KeyId)) {
      Set-ADObject -Identity $user.ObjectGUID -Remove @{ 'msDS-KeyCredentialLink' = $value }
      Write-Host ($Step + ': removed key ' + $KeyId + '.')
    }
  }
}

function Show-HtKeyCredentials {
  # Read-only: the KeyIds now in the user's msDS-KeyCredentialLink.
  param([string]$Step, [string]$Sid, [string]$Upn)
  $user = Get-HtAdUser -Step $Step -Sid $Sid -Upn $Upn
  if ($null -eq $user) { return }
  $ids = @($user.'msDS-KeyCredentialLink' | ForEach-Object { Get-HtKeyCredentialId -Value $_ })
  Write-Host ($Step + ': ' + $user.DistinguishedName + ' has ' + $ids.Count + ' key(s) in msDS-KeyCredentialLink: ' + ($ids -join ', '))
}
)PS";

bool any(const Plan& plan, Phase p) {
  for (const Step& s : plan.steps)
    if (s.phase == p && s.status == Status::Planned) return true;
  return false;
}

// The "-Sid '…' -Upn '…'" arguments of a validated user (SID preferred).
std::string user_args(const Step& s) {
  return s.user.sid.empty() ? "-Sid '' -Upn " + q(s.user.upn)
                            : "-Sid " + q(s.user.sid) + " -Upn ''";
}

void emit_header(std::ostringstream& o, const Plan& plan) {
  o << kBom << "#Requires -Version 5.1\n"
    << "# reenroll-plan.ps1: Windows Hello for Business (hybrid key trust) re-enrollment plan,\n"
    << "# generated by hellotrace (reenroll plugin) from the findings listed below.\n"
    << "#\n"
    << "# Run it first with -WhatIf (the default unless -WhatIf:$false is given): it shows every\n"
    << "# change without making it. Each change asks for confirmation (ConfirmImpact High).\n"
    << "# Sections: -Section SyncServer on the Entra Connect server, -Section ActiveDirectory\n"
    << "# where the ActiveDirectory module is, -Section Device on the device as the user.\n"
    << "# Steps whose computer or user does not match where the script runs are skipped.\n"
    << "#\n";
  if (plan.findings.empty()) {
    o << "# Findings: none. Nothing to do.\n";
  } else {
    o << "# Findings and the steps they produced:\n";
    for (const Finding& f : plan.findings) {
      std::vector<int> steps;
      for (const Step& s : plan.steps)
        if (std::find(s.findings.begin(), s.findings.end(), f.number) != s.findings.end())
          steps.push_back(s.number);
      std::string subject;
      if (!f.user.empty()) subject += " user " + f.user.display();
      if (!f.device.empty()) subject += " device " + f.device.display();
      o << "#   F" << f.number << " " << f.rule << " (" << one_line(f.severity, 20)
        << "):" << one_line(subject) << " -> " << (steps.empty() ? "-" : step_list(steps)) << "\n";
    }
    o << "#\n# Steps, in order:\n";
    for (const Step& s : plan.steps)
      o << "#   " << s.id() << " [" << phase_name(s.phase) << ", " << status_name(s.status) << "] "
        << one_line(who(s)) << "\n";
  }
  for (const std::string& d : plan.diagnostics)
    o << "# Input problem: " << one_line(d, 300) << "\n";
  o << "\n[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]\n"
    << "param(\n"
    << "  [ValidateSet('All', 'SyncServer', 'ActiveDirectory', 'Device')]\n"
    << "  [string]$Section = 'All',\n"
    << "  # ROCA keys: confirms the TPM firmware was updated and the TPM cleared.\n"
    << "  [switch]$TpmFirmwareUpdated\n"
    << ")\n\n"
    << "Set-StrictMode -Version Latest\n"
    << "$ErrorActionPreference = 'Stop'\n\n"
    << "$htSyncServer = " << q(plan.options.sync_server) << "\n"
    << "$htConnectorAccount = " << q(plan.options.connector_account) << "\n";
  if (plan.options.what_if_default)
    o << "if (-not $PSBoundParameters.ContainsKey('WhatIf')) {\n"
      << "  $WhatIfPreference = $true\n"
      << "  Write-Host 'Dry run: nothing is changed. Run again with -WhatIf:$false to apply the "
         "steps.'\n"
      << "}\n";
  o << kSectionHelper << kDsregHelper;
  if (any(plan, Phase::SyncServer)) o << kServerHelpers;
  if (any(plan, Phase::SyncServer) || any(plan, Phase::ActiveDirectory) || any(plan, Phase::Verify))
    o << kAdHelpers;
}

void emit_step_comment(std::ostringstream& o, const Plan& plan, const Step& s) {
  o << "\n# " << std::string(76, '-') << "\n"
    << "# " << s.id() << " [" << phase_name(s.phase) << ", " << status_name(s.status) << "] "
    << one_line(who(s)) << "\n"
    << "# Why: " << findings_list(plan, s.findings) << "\n"
    << "# What: " << s.text << "\n";
}

// The device checks, as an if/elseif chain that ends where the change may run.
void emit_device_step(std::ostringstream& o, const Step& s) {
  const std::string id = s.id();
  o << "if (Test-HtSection 'Device') {\n  ";
  if (!s.device.name.empty()) {
    const std::string name = *valid_computer_name(s.device.name);
    o << "if ($env:COMPUTERNAME -ne " << q(name) << ") {\n"
      << "    Write-Warning (" << msg(id + " skipped: it is for computer " + name)
      << " + ', this is ' + $env:COMPUTERNAME + '.')\n  } else";
  }
  if (!s.device.id.empty())
    o << "if ((Get-HtDsregValue -Name 'DeviceId') -ne " << q(s.device.id) << ") {\n"
      << "    Write-Warning "
      << msg(id + " skipped: this is not the device with Entra device id " + s.device.id + ".")
      << "\n  } else";
  if (!s.user.sid.empty())
    o << "if ([Security.Principal.WindowsIdentity]::GetCurrent().User.Value -ne " << q(s.user.sid)
      << ") {\n    Write-Warning "
      << msg(id + " skipped: run it as the user " + s.user.display() +
             " (not as an administrator).")
      << "\n  } else";
  else
    o << "if ((& whoami.exe /upn) -ne " << q(s.user.upn) << ") {\n    Write-Warning "
      << msg(id + " skipped: run it as the user " + s.user.display() +
             " (not as an administrator).")
      << "\n  } else";
  if (s.needs_tpm_ack)
    o << "if (-not $TpmFirmwareUpdated) {\n    Write-Warning "
      << msg(id +
             " skipped: update the TPM firmware and clear the TPM first, then run again "
             "with -TpmFirmwareUpdated (a new key on a vulnerable TPM is vulnerable too).")
      << "\n  } else";
  o << "if ((Get-HtDsregValue -Name 'NgcSet') -ne 'YES') {\n    Write-Host "
    << msg(id +
           ": there is no Windows Hello container for this user (NgcSet is not YES); sign "
           "out and sign in to provision.")
    << "\n  } elseif ($PSCmdlet.ShouldProcess('Windows Hello container of ' + $env:USERNAME + ' on "
       "' + $env:COMPUTERNAME, 'certutil.exe -DeleteHelloContainer')) {\n"
    << "    & certutil.exe -DeleteHelloContainer | Out-Null\n"
    << "    if ($LASTEXITCODE -ne 0) { throw ('certutil.exe -DeleteHelloContainer failed with exit "
       "code ' + $LASTEXITCODE) }\n"
    << "    Write-Host "
    << msg(id +
           ": container deleted. Sign out and sign back in: Windows Hello "
           "provisioning starts again and registers a new key.")
    << "\n  }\n}\n";
}

void emit_server_step(std::ostringstream& o, const Step& s) {
  const std::string id = s.id();
  o << "if ($htOnSyncServer) {\n";
  switch (s.action) {
    case Action::StagingCheck:
      o << "  if ((Get-ADSyncScheduler).StagingModeEnabled) {\n    Write-Warning "
        << msg(id +
               " (manual): this server is in staging mode and exports nothing. Run the sync "
               "steps on the active server, or take one server out of staging mode in the "
               "Entra Connect wizard.")
        << "\n  } else {\n    Write-Host " << msg(id + ": this server is not in staging mode.")
        << "\n  }\n";
      break;
    case Action::GrantKeyWrite:
      // Microsoft's documented fix first: the connector account in Key Admins (Enterprise
      // Key Admins when the forest has several domains); the attribute ACL by dsacls is
      // the alternative, printed, not run. Groups by well-known RID (526/527): names are
      // localized.
      o << "  $htDomainDn = "
        << (s.domain.empty() ? std::string("[string]([ADSI]'LDAP://RootDSE').defaultNamingContext")
                             : q(s.domain))
        << "\n  $htAccount = Get-HtConnectorAccount\n"
        << "  if (-not $htAccount) {\n    Write-Warning "
        << msg(id + " skipped: the AD connector account is not known.") << "\n"
        << "  } elseif (Test-HtAdModule) {\n"
        << "    $htForest = Get-ADForest\n"
        << "    if (@($htForest.Domains).Count -gt 1) {\n"
        << "      $htGroup = (Get-ADDomain -Identity $htForest.RootDomain).DomainSID.Value + "
           "'-527'  # Enterprise Key Admins\n"
        << "    } else {\n"
        << "      $htGroup = (Get-ADDomain -Identity $htDomainDn).DomainSID.Value + '-526'  # Key "
           "Admins\n"
        << "    }\n"
        << "    $htParts = $htAccount.Split('\\')\n"
        << "    $htMember = Get-ADUser -Identity $htParts[1] -Server $htParts[0]\n"
        << "    if ($PSCmdlet.ShouldProcess($htGroup, 'Add-ADGroupMember -Members ' + $htAccount + "
           "' (needs Domain Admin rights; Enterprise Admin for Enterprise Key Admins)')) {\n"
        << "      Add-ADGroupMember -Identity $htGroup -Members $htMember\n"
        << "      Write-Host "
        << msg(id +
               ": the connector account is now in Key Admins (Enterprise Key Admins in a "
               "multi-domain forest); the group membership applies to its next sign-in: restart "
               "the ADSync service before the delta sync.")
        << "\n    }\n"
        << "    Write-Host "
        << msg(id +
               " alternative (instead of the group): delegate the attribute with dsacls <domain "
               "DN> /I:S /G <connector account>:RPWP;msDS-KeyCredentialLink;user. Protected "
               "accounts (adminCount=1) inherit neither: grant the same on CN=AdminSDHolder,"
               "CN=System of the domain if their keys must sync.")
        << "\n  }\n";
      break;
    case Action::EnableScheduler:
      o << "  if ((Get-ADSyncScheduler).SyncCycleEnabled) {\n    Write-Host "
        << msg(id + ": the scheduler is already enabled.") << "\n"
        << "  } elseif ($PSCmdlet.ShouldProcess($env:COMPUTERNAME, 'Set-ADSyncScheduler "
           "-SyncCycleEnabled $true')) {\n"
        << "    Set-ADSyncScheduler -SyncCycleEnabled $true | Out-Null\n  }\n";
      break;
    case Action::ResumeScheduler:
      o << "  if (-not (Get-ADSyncScheduler).SchedulerSuspended) {\n    Write-Host "
        << msg(id + ": the scheduler is not suspended.") << "\n"
        << "  } elseif ($PSCmdlet.ShouldProcess($env:COMPUTERNAME, 'Set-ADSyncScheduler "
           "-SchedulerSuspended $false')) {\n"
        << "    Set-ADSyncScheduler -SchedulerSuspended $false | Out-Null\n  }\n";
      break;
    case Action::ReviewExportErrors:
      o << "  Write-Warning " << msg(id + " (manual): " + s.text) << "\n";
      break;
    case Action::DeltaSync:
      o << "  if ((Get-ADSyncScheduler).StagingModeEnabled) {\n    Write-Warning "
        << msg(id +
               " skipped: a server in staging mode exports nothing; run it on the active server.")
        << "\n  } elseif ($PSCmdlet.ShouldProcess($env:COMPUTERNAME, 'Start-ADSyncSyncCycle "
           "-PolicyType Delta')) {\n"
        << "    Start-ADSyncSyncCycle -PolicyType Delta | Out-Null\n"
        << "    Write-Host "
        << msg(id + ": delta sync started; the keys reach AD when its export step ends.")
        << "\n  }\n";
      break;
    default:
      break;
  }
  o << "}\n";
}

void emit_step(std::ostringstream& o, const Plan& plan, const Step& s) {
  emit_step_comment(o, plan, s);
  const std::string id = s.id();
  switch (s.status) {
    case Status::Refused:
      // The refused value is not repeated: only the finding numbers point at it.
      o << "# Refused: " << s.reason << "\n"
        << "Write-Warning "
        << msg(id + " refused (" + findings_list(plan, s.findings) + "): " + s.reason) << "\n";
      return;
    case Status::Blocked:
      o << "# Blocked by " << step_list(s.blocked_by)
        << ": no Windows Hello reset while an upstream blocker remains.\n"
        << "Write-Warning "
        << msg(id + " (blocked): the Windows Hello re-provisioning of " + who(s) + " is " +
               s.reason + " (" + step_list(s.blocked_by) + ").")
        << "\n";
      return;
    case Status::Manual:
      if (s.phase != Phase::SyncServer) {
        o << "Write-Warning "
          << msg(id + " (manual, " + who(s) + "): " + s.text +
                 " Windows Hello is not reset for this user or device until this is fixed.")
          << "\n";
        return;
      }
      break;
    case Status::Wait:
      o << "Write-Host "
        << msg(id + " (wait, " + who(s) + "): nothing to do until " +
               (s.eta.empty() ? std::string("the next sync cycle") : s.eta + " (UTC)") +
               ": Entra Connect writes the key to AD then; on-premises PIN sign-in works after "
               "that.")
        << "\n";
      return;
    case Status::Note:
      o << "Write-Host " << msg(id + " (information, " + who(s) + "): " + s.text) << "\n";
      return;
    case Status::Planned:
      break;
  }
  switch (s.phase) {
    case Phase::SyncServer:
      emit_server_step(o, s);
      break;
    case Phase::ActiveDirectory:
      o << "if ($htAdReady) {\n  Remove-HtKeyCredential -Step " << q(id) << " " << user_args(s)
        << " -KeyId " << q(s.key_id) << "\n}\n";
      break;
    case Phase::Verify:
      o << "if ($htAdReady) {\n  Show-HtKeyCredentials -Step " << q(id) << " " << user_args(s)
        << "\n}\n";
      break;
    case Phase::Device:
      emit_device_step(o, s);
      break;
    default:
      break;
  }
}

// Detection logic shared by the detect and remediate scripts of a pair: returns a
// one-line description when the problem is present, '' when healthy.
std::string problem_function(const IntunePair& pair) {
  std::ostringstream o;
  if (pair.bad_ngc_key_ids.empty()) {
    o << R"PS(
function Test-HtProblem {
  # Present: the user has a container (NgcSet YES) and the newest key registration
  # event (User Device Registration 300 = registered, 301 = failed) is a failure.
  if ((Get-HtDsregValue -Name 'NgcSet') -ne 'YES') { return '' }
  $last = Get-WinEvent -FilterHashtable @{ LogName = 'Microsoft-Windows-User Device Registration/Admin'; Id = 300, 301 } -MaxEvents 1 -ErrorAction SilentlyContinue
  if ($null -ne $last -and $last.Id -eq 301) {
    return ('Windows Hello container present but the last key registration failed (event 301 at ' + $last.TimeCreated.ToUniversalTime().ToString('o') + ')')
  }
  return ''
}
)PS";
  } else {
    o << "\n$htBadKeyIds = @(";
    for (size_t i = 0; i < pair.bad_ngc_key_ids.size(); ++i)
      o << (i ? ", " : "") << q(pair.bad_ngc_key_ids[i]);
    o << ")\n"
      << R"PS(
function Test-HtProblem {
  # Present: the user's current Windows Hello key (dsregcmd NgcKeyId) is one of the
  # keys hellotrace flagged. A re-provisioned container has a new key id.
  if ((Get-HtDsregValue -Name 'NgcSet') -ne 'YES') { return '' }
  $keyId = Get-HtDsregValue -Name 'NgcKeyId'
  if ($htBadKeyIds -contains $keyId) { return ('Windows Hello key ' + $keyId + ' must be replaced') }
  return ''
}
)PS";
  }
  return o.str();
}

void emit_intune_header(std::ostringstream& o, const Plan& plan, const IntunePair& pair,
                        const char* role) {
  o << kBom << "# intune/" << pair.name << "-" << role << ".ps1: " << pair.title << "\n"
    << "# Generated by hellotrace (reenroll plugin) for Intune Remediations.\n"
    << "# Contract: the detection script exits 1 when the problem is present (Intune then runs\n"
    << "# the remediation), 0 when healthy, and writes one line of output.\n"
    << "# Settings: 'Run this script using the logged-on credentials' = Yes (the Windows Hello\n"
    << "# container belongs to the user); 64-bit PowerShell = Yes.\n"
    << "# Findings: " << findings_list(plan, pair.findings) << "\n";
  for (const std::string& d : pair.devices) o << "#   seen on device " << one_line(d) << "\n";
  if (pair.refused)
    o << "# " << pair.refused
      << " key id(s) from the logs had the wrong shape and were left out.\n";
}

}  // namespace

std::string render_powershell(const Plan& plan) {
  std::ostringstream o;
  emit_header(o, plan);
  if (plan.steps.empty()) {
    o << "\nWrite-Host 'Nothing to do: the findings call for no re-enrollment step.'\n";
    return o.str();
  }
  if (any(plan, Phase::SyncServer))
    o << "\n$htOnSyncServer = (Test-HtSection 'SyncServer') -and (Test-HtSyncServer)\n";
  if (any(plan, Phase::ActiveDirectory) || any(plan, Phase::Verify))
    o << "$htAdReady = (Test-HtSection 'ActiveDirectory') -and (Test-HtAdModule)\n";
  for (const Step& s : plan.steps) emit_step(o, plan, s);
  return o.str();
}

std::string render_intune_detect(const Plan& plan, const IntunePair& pair) {
  std::ostringstream o;
  emit_intune_header(o, plan, pair, "detect");
  o << "\nSet-StrictMode -Version Latest\n$ErrorActionPreference = 'Stop'\n"
    << kDsregHelper << problem_function(pair) << R"PS(
try {
  $problem = Test-HtProblem
  if ($problem) {
    Write-Output ('Problem: ' + $problem)
    exit 1
  }
  Write-Output 'Healthy: no Windows Hello container to reset.'
  exit 0
} catch {
  # Unknown state: report it, but do not let Intune run the remediation on a guess.
  Write-Output ('Detection error: ' + $_.Exception.Message)
  exit 0
}
)PS";
  return o.str();
}

std::string render_intune_remediate(const Plan& plan, const IntunePair& pair) {
  std::ostringstream o;
  emit_intune_header(o, plan, pair, "remediate");
  // ConfirmImpact Medium: under Intune nobody can answer a prompt, and with the default
  // $ConfirmPreference (High) a High-impact ShouldProcess would prompt. -WhatIf and
  // -Confirm still work when an admin runs it by hand.
  o << "\n[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]\nparam()\n\n"
    << "Set-StrictMode -Version Latest\n$ErrorActionPreference = 'Stop'\n"
    << kDsregHelper << problem_function(pair) << R"PS(
try {
  # Idempotent: it acts only while the detection still sees the problem.
  $problem = Test-HtProblem
  if (-not $problem) {
    Write-Output 'Nothing to remediate: the problem is no longer present.'
    exit 0
  }
  if ($PSCmdlet.ShouldProcess('Windows Hello container of ' + $env:USERNAME + ' on ' + $env:COMPUTERNAME, 'certutil.exe -DeleteHelloContainer')) {
    & certutil.exe -DeleteHelloContainer | Out-Null
    if ($LASTEXITCODE -ne 0) {
      Write-Output ('Remediation failed: certutil.exe -DeleteHelloContainer exit code ' + $LASTEXITCODE)
      exit 1
    }
    Write-Output 'Windows Hello container deleted: it is provisioned again at the next sign-in.'
  }
  exit 0
} catch {
  Write-Output ('Remediation error: ' + $_.Exception.Message)
  exit 1
}
)PS";
  return o.str();
}

}  // namespace hellotrace::reenroll
