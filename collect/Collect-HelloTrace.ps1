<#
.SYNOPSIS
    Collects, read-only, what hellotrace needs to explain a Windows Hello for Business
    (hybrid key trust) enrollment: one folder plus a .zip that `hellotrace analyze` reads as is.

.DESCRIPTION
    Run it elevated (Windows PowerShell 5.1 or PowerShell 7) where the facts are:
      -Device            on the user's device, in the affected user's session
      -EntraConnect      on the Microsoft Entra Connect (ADSync) server
      -DomainController  on a domain controller, or a machine with the RSAT AD module
    The switches combine. Nothing on the machine is changed: the script only reads (event
    logs, registry, cmdlets, tools in their read-only modes) and writes its own output folder.
    Whatever could not be collected is listed with the reason in collection-log.md inside the
    bundle. See docs/COLLECT.md for each command, where it runs and as whom.

.PARAMETER User
    The affected user: a UPN (jdoe@contoso.com) or a sAMAccountName (jdoe). Needed for the
    AD part (msDS-KeyCredentialLink, the DC's Kerberos events); on a device it names the user
    whose Group Policy result gpresult reports when the script runs under another account.

.PARAMETER OutputPath
    Where the bundle folder and zip are written (default: the current user's temp folder).

.PARAMETER Days
    How many days of event-log history the filtered exports keep (default 14).

.PARAMETER Runs
    How many Entra Connect run-profile results to export (default 20).

.PARAMETER AllDomainControllers
    With -DomainController: also read the Kerberos events (4768/4771) of every other DC
    remotely (needs Event Log Readers rights there and the remote event log firewall rule).

.EXAMPLE
    .\Collect-HelloTrace.ps1 -Device
.EXAMPLE
    .\Collect-HelloTrace.ps1 -EntraConnect
.EXAMPLE
    .\Collect-HelloTrace.ps1 -DomainController -User 'jdoe@contoso.com' -AllDomainControllers
#>
[CmdletBinding()]
param(
    [switch]$Device,
    [switch]$EntraConnect,
    [switch]$DomainController,
    [string]$User = '',
    [string]$OutputPath = $env:TEMP,
    [ValidateRange(1, 90)]
    [int]$Days = 14,
    [ValidateRange(1, 500)]
    [int]$Runs = 20,
    [switch]$AllDomainControllers,
    [switch]$NoZip
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
# Format-List prints every value of a multi-valued attribute (msDS-KeyCredentialLink), not 4.
$FormatEnumerationLimit = -1

if (-not ($Device -or $EntraConnect -or $DomainController)) {
    throw 'Say where this runs: -Device, -EntraConnect and/or -DomainController (see Get-Help .\Collect-HelloTrace.ps1).'
}

$script:Started = Get-Date
$script:Log = New-Object System.Collections.ArrayList
$identity = [Security.Principal.WindowsIdentity]::GetCurrent()
$script:RunAs = $identity.Name
$script:IsSystem = $identity.User.Value -eq 'S-1-5-18'
$script:Elevated = ([Security.Principal.WindowsPrincipal]$identity).IsInRole(
    [Security.Principal.WindowsBuiltInRole]::Administrator)

$stamp = $script:Started.ToString('yyyyMMdd-HHmmss')
$script:Root = Join-Path -Path $OutputPath -ChildPath ('HelloTrace-{0}-{1}' -f $env:COMPUTERNAME, $stamp)
New-Item -ItemType Directory -Path $script:Root | Out-Null

# One line of the collection log: what was run, into which file, and how it went.
function Add-LogEntry {
    param(
        [string]$Area,
        [string]$What,
        [string]$File,
        [string]$Result,
        [string]$Reason = ''
    )
    [void]$script:Log.Add([pscustomobject]@{
            Area   = $Area
            What   = $What
            File   = $File
            Result = $Result
            Reason = $Reason
        })
    $line = '{0,-10} {1,-9} {2}' -f $Area, $Result, $What
    if ($Reason) { $line = '{0} ({1})' -f $line, $Reason }
    Write-Host $line
}

# The path of an output file inside the bundle's folder for an area (created on first use).
function Get-OutputFile {
    param([string]$Area, [string]$Name)
    $folder = Join-Path -Path $script:Root -ChildPath $Area
    if (-not (Test-Path -LiteralPath $folder)) {
        New-Item -ItemType Directory -Path $folder | Out-Null
    }
    return (Join-Path -Path $folder -ChildPath $Name)
}

# The first non-blank line a native tool printed (its error message, usually).
function Get-FirstLine {
    param([object[]]$Output)
    return (@($Output | Where-Object { "$_".Trim() -ne '' } | Select-Object -First 1) -join '')
}

# Runs a PowerShell step whose output is text; writes it as PowerShell 5.1's Out-File does
# (UTF-16LE with BOM), the shape hellotrace reads.
function Invoke-TextStep {
    param(
        [string]$Area,
        [string]$What,
        [string]$Name,
        [scriptblock]$Action
    )
    $path = Get-OutputFile -Area $Area -Name $Name
    try {
        $output = & $Action
        if ($null -eq $output -or @($output).Count -eq 0) {
            Add-LogEntry -Area $Area -What $What -File '' -Result 'empty' -Reason 'the command returned nothing'
            return
        }
        $output | Out-File -LiteralPath $path -Encoding Unicode -Width 200
        Add-LogEntry -Area $Area -What $What -File (Split-Path -Leaf $path) -Result 'collected'
    }
    catch {
        Add-LogEntry -Area $Area -What $What -File '' -Result 'failed' -Reason $_.Exception.Message
    }
}

# Runs a native tool with its arguments; its console output goes to a text file. A
# non-zero exit code is logged with the tool's first line of output.
function Invoke-ToolStep {
    param(
        [string]$Area,
        [string]$What,
        [string]$Name,
        [string]$Tool,
        [string[]]$Arguments
    )
    # A native tool's stderr is text to keep, not a terminating error (Windows PowerShell 5.1
    # turns redirected stderr into errors under 'Stop').
    $ErrorActionPreference = 'Continue'
    $path = Get-OutputFile -Area $Area -Name $Name
    try {
        $output = @(& $Tool @Arguments 2>&1 | ForEach-Object { "$_" })
        $code = $LASTEXITCODE
        $output | Out-File -LiteralPath $path -Encoding Unicode -Width 200
        if ($code -ne 0) {
            Add-LogEntry -Area $Area -What $What -File (Split-Path -Leaf $path) -Result 'failed' `
                -Reason ('exit code {0}: {1}' -f $code, (Get-FirstLine -Output $output))
            return
        }
        Add-LogEntry -Area $Area -What $What -File (Split-Path -Leaf $path) -Result 'collected'
    }
    catch {
        Add-LogEntry -Area $Area -What $What -File '' -Result 'failed' -Reason $_.Exception.Message
    }
}

# Runs a native tool that writes its own output file (wevtutil epl, reg export, gpresult /x,
# csexport); `Path` is that file.
function Invoke-FileToolStep {
    param(
        [string]$Area,
        [string]$What,
        [string]$Path,
        [string]$Tool,
        [string[]]$Arguments,
        [string]$MissingMeans = ''
    )
    # A native tool's stderr is text to keep, not a terminating error (Windows PowerShell 5.1
    # turns redirected stderr into errors under 'Stop').
    $ErrorActionPreference = 'Continue'
    try {
        $output = @(& $Tool @Arguments 2>&1 | ForEach-Object { "$_" })
        $code = $LASTEXITCODE
        if ($code -eq 0 -and (Test-Path -LiteralPath $Path)) {
            Add-LogEntry -Area $Area -What $What -File (Split-Path -Leaf $Path) -Result 'collected'
            return
        }
        $first = Get-FirstLine -Output $output
        if ($MissingMeans) {
            Add-LogEntry -Area $Area -What $What -File '' -Result 'absent' -Reason ('{0} ({1})' -f $MissingMeans, $first)
        }
        else {
            Add-LogEntry -Area $Area -What $What -File '' -Result 'failed' -Reason ('exit code {0}: {1}' -f $code, $first)
        }
    }
    catch {
        Add-LogEntry -Area $Area -What $What -File '' -Result 'failed' -Reason $_.Exception.Message
    }
}

# Event Viewer's "Save as XML" shape (<Events><Event …/></Events>) from Get-WinEvent, for
# filtered reads of a remote or local log.
function Invoke-EventXmlStep {
    param(
        [string]$Area,
        [string]$What,
        [string]$Name,
        [string]$LogName,
        [string]$XPath,
        [string]$ComputerName = ''
    )
    $path = Get-OutputFile -Area $Area -Name $Name
    try {
        $query = @{ LogName = $LogName; FilterXPath = $XPath; ErrorAction = 'Stop' }
        if ($ComputerName) { $query['ComputerName'] = $ComputerName }
        $events = @()
        try {
            $events = @(Get-WinEvent @query)
        }
        catch [Exception] {
            if ($_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*') { throw }
        }
        $writer = New-Object System.IO.StreamWriter($path, $false, (New-Object System.Text.UnicodeEncoding($false, $true)))
        try {
            $writer.WriteLine('<?xml version="1.0" encoding="utf-16"?>')
            $writer.WriteLine('<Events>')
            foreach ($e in $events) { $writer.WriteLine($e.ToXml()) }
            $writer.WriteLine('</Events>')
        }
        finally {
            $writer.Dispose()
        }
        Add-LogEntry -Area $Area -What $What -File (Split-Path -Leaf $path) -Result 'collected' `
            -Reason ('{0} event(s)' -f $events.Count)
    }
    catch {
        Add-LogEntry -Area $Area -What $What -File '' -Result 'failed' -Reason $_.Exception.Message
    }
}

# An XPath string literal for a value (an account name may hold an apostrophe).
function ConvertTo-XPathLiteral {
    param([string]$Value)
    if ($Value -notmatch "'") { return "'" + $Value + "'" }
    if ($Value -notmatch '"') { return '"' + $Value + '"' }
    throw ('the value {0} holds both quote characters' -f $Value)
}

$milliseconds = [int64]$Days * 24 * 3600 * 1000
$recent = 'TimeCreated[timediff(@SystemTime) <= {0}]' -f $milliseconds
if (-not $script:Elevated) {
    Add-LogEntry -Area 'script' -What 'elevation' -File '' -Result 'limited' `
        -Reason 'not elevated: Get-Tpm, the Admin/Operational logs and the computer part of gpresult need an elevated session'
}

if ($Device) {
    $area = 'device'
    $channels = @(
        @{ Name = 'Microsoft-Windows-User Device Registration/Admin'; File = 'udr-admin.evtx' },
        @{ Name = 'Microsoft-Windows-HelloForBusiness/Operational'; File = 'hello-operational.evtx' },
        @{ Name = 'Microsoft-Windows-AAD/Operational'; File = 'aad-operational.evtx' }
    )
    foreach ($c in $channels) {
        $path = Get-OutputFile -Area $area -Name $c.File
        Invoke-FileToolStep -Area $area -What ('wevtutil epl "{0}"' -f $c.Name) -Path $path `
            -Tool 'wevtutil.exe' -Arguments @('epl', $c.Name, $path)
    }
    # The TPM's own events (TPM-WMI: provisioning, lockout, firmware) from the System log.
    $tpmQuery = "*[System[Provider[@Name='Microsoft-Windows-TPM-WMI' or @Name='TPM'] and {0}]]" -f $recent
    $path = Get-OutputFile -Area $area -Name 'system-tpm.evtx'
    Invoke-FileToolStep -Area $area -What 'wevtutil epl System (TPM-WMI, TPM)' -Path $path `
        -Tool 'wevtutil.exe' -Arguments @('epl', 'System', $path, ('/q:{0}' -f $tpmQuery))

    # dsregcmd speaks for the account that runs it: the PRT and the NGC prerequisite check
    # are the user's. As SYSTEM (Intune or ConfigMgr script, PsExec -s) it shows the device.
    $dsregName = 'dsregcmd-status.txt'
    if ($script:IsSystem) { $dsregName = 'dsregcmd-status-system.txt' }
    Invoke-ToolStep -Area $area -What ('dsregcmd /status as {0}' -f $script:RunAs) -Name $dsregName `
        -Tool 'dsregcmd.exe' -Arguments @('/status')
    if (-not $script:IsSystem) {
        Add-LogEntry -Area $area -What 'dsregcmd /status as SYSTEM' -File '' -Result 'skipped' `
            -Reason 'running it as SYSTEM needs a scheduled task or a service, which would change the machine; run this script as SYSTEM (Intune or ConfigMgr script, PsExec -s) for that view'
    }

    Invoke-TextStep -Area $area -What 'Get-Tpm' -Name 'get-tpm.txt' -Action { Get-Tpm | Format-List * }
    Invoke-ToolStep -Area $area -What 'tpmtool getdeviceinformation' -Name 'tpmtool-getdeviceinformation.txt' `
        -Tool 'tpmtool.exe' -Arguments @('getdeviceinformation')

    $keys = @(
        @{ Key = 'HKLM\SOFTWARE\Policies\Microsoft\PassportForWork'; File = 'passportforwork-gpo-machine.reg'; Means = 'no computer Group Policy for Windows Hello for Business' },
        @{ Key = 'HKCU\SOFTWARE\Policies\Microsoft\PassportForWork'; File = 'passportforwork-gpo-user.reg'; Means = 'no user Group Policy for Windows Hello for Business (for the account running this script)' },
        @{ Key = 'HKLM\SOFTWARE\Microsoft\Policies\PassportForWork'; File = 'passportforwork-intune.reg'; Means = 'no PassportForWork CSP (Intune) policy, machine or user' }
    )
    foreach ($k in $keys) {
        $path = Get-OutputFile -Area $area -Name $k.File
        Invoke-FileToolStep -Area $area -What ('reg export "{0}"' -f $k.Key) -Path $path `
            -Tool 'reg.exe' -Arguments @('export', $k.Key, $path, '/y') -MissingMeans $k.Means
    }

    $path = Get-OutputFile -Area $area -Name 'gpresult.xml'
    $gpArgs = @('/x', $path, '/f')
    if ($User) { $gpArgs = @('/user', $User) + $gpArgs }
    Invoke-FileToolStep -Area $area -What 'gpresult /x' -Path $path -Tool 'gpresult.exe' -Arguments $gpArgs
}

if ($EntraConnect) {
    $area = 'entra-connect'
    $adsync = $true
    try {
        Import-Module -Name 'ADSync' -ErrorAction Stop
    }
    catch {
        $adsync = $false
        Add-LogEntry -Area $area -What 'Import-Module ADSync' -File '' -Result 'failed' `
            -Reason ('not an Entra Connect server, or the module is missing: {0}' -f $_.Exception.Message)
    }
    if ($adsync) {
        Invoke-TextStep -Area $area -What 'Get-ADSyncScheduler' -Name 'get-adsyncscheduler.txt' -Action { Get-ADSyncScheduler }
        Invoke-TextStep -Area $area -What 'Get-ADSyncConnector' -Name 'get-adsyncconnector.txt' -Action {
            # Every property: AttributeInclusionList says whether msDS-KeyCredentialLink is in scope.
            Get-ADSyncConnector | Format-List *

        }
        if (Get-Command -Name 'Get-ADSyncADConnectorAccount' -ErrorAction SilentlyContinue) {
            Invoke-TextStep -Area $area -What 'Get-ADSyncADConnectorAccount' -Name 'get-adsyncadconnectoraccount.txt' `
                -Action { Get-ADSyncADConnectorAccount | Format-List * }
        }
        $results = @()
        try {
            $results = @(Get-ADSyncRunProfileResult -NumberRequested $Runs -RunStepDetails)
        }
        catch {
            Add-LogEntry -Area $area -What 'Get-ADSyncRunProfileResult' -File '' -Result 'failed' -Reason $_.Exception.Message
        }
        if ($results.Count -gt 0) {
            Invoke-TextStep -Area $area -What ('Get-ADSyncRunProfileResult -NumberRequested {0} -RunStepDetails' -f $Runs) `
                -Name 'get-adsyncrunprofileresult.txt' -Action { $results }
        }
        $adConnectors = @()
        try {
            $adConnectors = @(Get-ADSyncConnector | Where-Object { $_.ConnectorTypeName -eq 'AD' })
        }
        catch {
            Add-LogEntry -Area $area -What 'Get-ADSyncConnector (AD)' -File '' -Result 'failed' -Reason $_.Exception.Message
        }
        $adIds = @($adConnectors | ForEach-Object { "$($_.Identifier)" })
        $withErrors = @($results | Where-Object {
                $_.Result -eq 'completed-export-errors' -and ($adIds -contains "$($_.ConnectorId)")
            })
        foreach ($run in $withErrors) {
            $id = "$($run.RunHistoryId)"
            Invoke-TextStep -Area $area -What ('(Get-ADSyncRunStepResult -RunHistoryId {0}).SyncErrors.SyncErrorsList' -f $id) `
                -Name ('syncerrors-{0}.txt' -f $id) -Action {
                (Get-ADSyncRunStepResult -RunHistoryId $id).SyncErrors.SyncErrorsList | Format-List *
            }
        }
        if ($withErrors.Count -eq 0) {
            Add-LogEntry -Area $area -What 'export errors of the AD connector' -File '' -Result 'absent' `
                -Reason ('no AD connector export run ended completed-export-errors in the last {0} runs' -f $Runs)
        }
        # csexport's export-error view of each AD connector's space (the pending key and its error).
        $csexport = Join-Path -Path $env:ProgramFiles -ChildPath 'Microsoft Azure AD Sync\Bin\csexport.exe'
        foreach ($c in $adConnectors) {
            $safe = ($c.Name -replace '[^A-Za-z0-9.-]', '_')
            $path = Get-OutputFile -Area $area -Name ('csexport-errors-{0}.xml' -f $safe)
            if (-not (Test-Path -LiteralPath $csexport)) {
                Add-LogEntry -Area $area -What 'csexport /f:e' -File '' -Result 'failed' -Reason ('{0} not found' -f $csexport)
                break
            }
            Invoke-FileToolStep -Area $area -What ('csexport "{0}" /f:e' -f $c.Name) -Path $path `
                -Tool $csexport -Arguments @($c.Name, $path, '/f:e')
        }
    }
}

if ($DomainController) {
    $area = 'ad'
    $adModule = $true
    try {
        Import-Module -Name 'ActiveDirectory' -ErrorAction Stop
    }
    catch {
        $adModule = $false
        Add-LogEntry -Area $area -What 'Import-Module ActiveDirectory' -File '' -Result 'failed' `
            -Reason ('install RSAT AD DS tools or run on a DC: {0}' -f $_.Exception.Message)
    }
    $sam = ''
    if ($adModule -and $User) {
        $properties = @('msDS-KeyCredentialLink', 'UserPrincipalName', 'SID')
        try {
            # The filter names the variable: the AD provider reads its value, so no quoting
            # of user input inside the filter text is needed.
            if ($User -like '*@*') {
                $account = Get-ADUser -Filter 'UserPrincipalName -eq $User' -Properties $properties
            }
            else {
                $account = Get-ADUser -Identity $User -Properties $properties
            }
            if ($null -eq $account) { throw ('no AD user with UPN {0}' -f $User) }
            $sam = "$($account.SamAccountName)"
            Invoke-TextStep -Area $area -What ('Get-ADUser {0} -Properties msDS-KeyCredentialLink' -f $User) `
                -Name ('get-aduser-{0}.txt' -f ($sam -replace '[^A-Za-z0-9.-]', '_')) -Action {
                $account | Format-List -Property @('DistinguishedName', 'Enabled', 'msDS-KeyCredentialLink', 'Name', 'ObjectClass', 'ObjectGUID', 'SamAccountName', 'SID', 'UserPrincipalName')

            }
        }
        catch {
            Add-LogEntry -Area $area -What ('Get-ADUser {0}' -f $User) -File '' -Result 'failed' -Reason $_.Exception.Message
        }
    }
    elseif (-not $User) {
        Add-LogEntry -Area $area -What 'Get-ADUser (msDS-KeyCredentialLink)' -File '' -Result 'skipped' -Reason 'no -User given'
    }
    $controllers = @()
    if ($adModule) {
        try {
            $controllers = @(Get-ADDomainController -Filter *)
            Invoke-TextStep -Area $area -What 'Get-ADDomainController -Filter *' -Name 'get-addomaincontroller.txt' -Action {
                $controllers | Format-List -Property @('Name', 'HostName', 'Site', 'OperatingSystem', 'OperatingSystemVersion', 'IsGlobalCatalog', 'IsReadOnly')

            }
        }
        catch {
            Add-LogEntry -Area $area -What 'Get-ADDomainController -Filter *' -File '' -Result 'failed' -Reason $_.Exception.Message
        }
    }
    # The DC builds with their update revision (UBR), read from each DC's registry remotely.
    if ($controllers.Count -gt 0) {
        Invoke-TextStep -Area $area -What 'DC builds (remote registry, read-only)' -Name 'dc-builds.txt' -Action {
            foreach ($dc in $controllers) {
                $row = [ordered]@{ ComputerName = "$($dc.HostName)"; ProductName = ''; CurrentBuild = ''; UBR = ''; Error = '' }
                $hive = $null
                try {
                    $hive = [Microsoft.Win32.RegistryKey]::OpenRemoteBaseKey('LocalMachine', "$($dc.HostName)")
                    $key = $hive.OpenSubKey('SOFTWARE\Microsoft\Windows NT\CurrentVersion', $false)
                    $row.ProductName = "$($key.GetValue('ProductName'))"
                    $row.CurrentBuild = "$($key.GetValue('CurrentBuild'))"
                    $row.UBR = "$($key.GetValue('UBR'))"
                }
                catch {
                    $row.Error = $_.Exception.Message
                }
                finally {
                    if ($hive) { $hive.Dispose() }
                }
                [pscustomobject]$row | Format-List
            }
        }
    }
    Invoke-ToolStep -Area $area -What 'certutil -dcinfo verify' -Name 'certutil-dcinfo-verify.txt' `
        -Tool 'certutil.exe' -Arguments @('-dcinfo', 'verify')
    # "-viewstore" opens a dialog; "-store" lists the same enterprise NTAuth store as text.
    Invoke-ToolStep -Area $area -What 'certutil -enterprise -store NTAuth' -Name 'certutil-ntauth.txt' `
        -Tool 'certutil.exe' -Arguments @('-enterprise', '-store', 'NTAuth')

    # The KDC's view of the user's sign-ins: 4768 (TGT requested, PKINIT fields) and 4771
    # (pre-authentication failed), and the KDC's own System events (certificate problems).
    if ($sam) {
        $userXPath = ConvertTo-XPathLiteral -Value $sam
        $kerberos = "*[System[(EventID=4768 or EventID=4771) and {0}] and EventData[Data[@Name='TargetUserName']={1}]]" -f $recent, $userXPath
        $targets = @('')
        if ($AllDomainControllers) { $targets = @($controllers | ForEach-Object { "$($_.HostName)" }) }
        foreach ($t in $targets) {
            $label = $env:COMPUTERNAME
            if ($t) { $label = ($t -split '\.')[0] }
            Invoke-EventXmlStep -Area $area -What ('Security 4768/4771 for {0} on {1}' -f $sam, $label) `
                -Name ('security-kerberos-{0}.xml' -f $label) -LogName 'Security' -XPath $kerberos -ComputerName $t
        }
    }
    else {
        Add-LogEntry -Area $area -What 'Security 4768/4771' -File '' -Result 'skipped' -Reason 'no AD user resolved from -User'
    }
    $kdc = "*[System[Provider[@Name='Microsoft-Windows-Kerberos-Key-Distribution-Center'] and {0}]]" -f $recent
    Invoke-EventXmlStep -Area $area -What 'System events of the KDC' -Name ('system-kdc-{0}.xml' -f $env:COMPUTERNAME) `
        -LogName 'System' -XPath $kdc
}

# The log is Markdown so that hellotrace lists it as a note, never as an input.
$logPath = Join-Path -Path $script:Root -ChildPath 'collection-log.md'
$lines = New-Object System.Collections.ArrayList
[void]$lines.Add('# hellotrace collection log')
[void]$lines.Add('')
[void]$lines.Add(('- computer: {0}' -f $env:COMPUTERNAME))
[void]$lines.Add(('- run as: {0} (elevated: {1}, SYSTEM: {2})' -f $script:RunAs, $script:Elevated, $script:IsSystem))
[void]$lines.Add(('- started: {0}' -f $script:Started.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')))
[void]$lines.Add(('- PowerShell: {0}' -f $PSVersionTable.PSVersion))
[void]$lines.Add(('- user: {0}' -f $User))
[void]$lines.Add('')
[void]$lines.Add('| area | what | file | result | reason |')
[void]$lines.Add('|---|---|---|---|---|')
foreach ($e in $script:Log) {
    $cells = @($e.Area, $e.What, $e.File, $e.Result, $e.Reason) | ForEach-Object { ("$_" -replace '\|', '\|') -replace '\r?\n', ' ' }
    [void]$lines.Add(('| {0} |' -f ($cells -join ' | ')))
}
$lines | Out-File -LiteralPath $logPath -Encoding UTF8

if (-not $NoZip) {
    $zip = '{0}.zip' -f $script:Root
    Compress-Archive -Path (Join-Path -Path $script:Root -ChildPath '*') -DestinationPath $zip
    Write-Host ('Bundle: {0}' -f $zip)
}
Write-Host ('Folder: {0}' -f $script:Root)
