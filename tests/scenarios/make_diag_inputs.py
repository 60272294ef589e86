#!/usr/bin/env python3
"""Writes the real-shaped exports of the root-cause readers (issue 15 section 4) into
plugins/*/samples/ and tests/scenarios/<name>/: Get-ADSyncConnector, the DC inventory
(Get-ADDomainController, systeminfo, reg query), certutil outputs. Shapes follow what
Windows PowerShell 5.1 writes: Out-File (and `>`) is UTF-16LE with a BOM and CRLF,
Format-List wraps long values at the console width onto lines indented to the value
column, Export-Csv writes a `#TYPE` line first. Run from anywhere:
python3 tests/scenarios/make_diag_inputs.py"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))


def format_list(objects, width=120):
    """Format-List: names padded to the longest, ' : ', values wrapped at `width`."""
    out = ['', '']
    for obj in objects:
        n = max(len(k) for k, _ in obj)
        for k, v in obj:
            line, indent, first = k.ljust(n) + ' : ' + v, n + 3, True
            while True:
                room = width if first else width - indent
                piece, line = line[:room], line[room:]
                out.append(piece if first else ' ' * indent + piece)
                first = False
                if not line:
                    break
        out.append('')
    return out + ['', '']


def write(rel, lines, utf16=False, crlf=True):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = ('\r\n' if crlf else '\n').join(lines)
    data = b'\xff\xfe' + text.encode('utf-16-le') if utf16 else text.encode('utf-8')
    with open(path, 'wb') as f:
        f.write(data)


def braces(items):
    return '{' + ', '.join(items) + '}'


# ---- Get-ADSyncConnector ---------------------------------------------------------------
# The AD connector's attribute list of an Entra Connect installed on a 2012 R2 schema:
# no msDS-KeyCredentialLink, no msDS-ExternalDirectoryObjectID (both came with the
# Windows Server 2016 schema, MS-ADA2).
AD_ATTRIBUTES_2012R2 = [
    'accountExpires', 'adminDescription', 'assistant', 'authOrig', 'c', 'cn', 'co', 'company',
    'countryCode', 'department', 'description', 'displayName', 'distinguishedName',
    'division', 'dLMemSubmitPerms', 'employeeID', 'employeeNumber', 'employeeType',
    'extensionAttribute1', 'extensionAttribute2', 'extensionAttribute3', 'facsimileTelephoneNumber',
    'givenName', 'groupType', 'homePhone', 'info', 'initials', 'ipPhone', 'l', 'legacyExchangeDN',
    'lockoutTime', 'mail', 'mailNickname', 'managedBy', 'manager', 'member', 'middleName',
    'mobile', 'ms-DS-ConsistencyGuid', 'msDS-HABSeniorityIndex', 'msDS-PhoneticDisplayName',
    'msDS-UserPasswordExpiryTimeComputed', 'objectGUID', 'objectSid', 'otherFacsimileTelephoneNumber',
    'otherHomePhone', 'otherIpPhone', 'otherMobile', 'otherPager', 'otherTelephone', 'pager',
    'physicalDeliveryOfficeName', 'postalCode', 'postOfficeBox', 'preferredLanguage',
    'proxyAddresses', 'pwdLastSet', 'sAMAccountName', 'sn', 'st', 'streetAddress',
    'targetAddress', 'telephoneAssistant', 'telephoneNumber', 'thumbnailphoto', 'title',
    'url', 'userAccountControl', 'userCertificate', 'userPrincipalName', 'userSMIMECertificate',
    'wWWHomePage']
AD_ATTRIBUTES_2016 = sorted(AD_ATTRIBUTES_2012R2 + ['msDS-ExternalDirectoryObjectID',
                                                    'msDS-KeyCredentialLink'], key=str.lower)
OBJECTS = ['computer', 'contact', 'container', 'domainDNS', 'foreignSecurityPrincipal', 'group',
           'inetOrgPerson', 'organizationalUnit', 'user']


def connector(name, ident, attrs, created, modified, limit=None):
    shown = attrs if limit is None else attrs[:limit] + ['...'] if len(attrs) > limit else attrs
    objs = OBJECTS if limit is None else OBJECTS[:limit] + ['...']

    def coll(items):
        return braces(items).replace(', ...}', '...}')
    return [
        ('AADPasswordResetConfiguration', ''),
        ('AADPasswordSyncConfiguration', ''),
        ('AllowedOperations', 'ListSchema, ListPartitions, FullImport, DeltaImport, FullExport, Password'),
        ('AnchorConstructionSettings', coll(['contact', 'group', 'inetOrgPerson', 'user'][:limit or 4] + (['...'] if limit else []))),
        ('AttributeInclusionList', coll(shown)),
        ('CompanyName', 'Microsoft Corporation'),
        ('ConnectivityParameters', coll(['forest-name', 'forest-port', 'forest-guid', 'forest-login-user'] + (['...'] if limit else ['forest-login-domain', 'crossforest-dir-sync']))),
        ('ConnectorTypeName', 'AD'),
        ('CreationTime', created),
        ('Description', ''),
        ('ExportType', 'ObjectReplace'),
        ('HasConfiguredPassword', 'True'),
        ('Identifier', ident),
        ('LastModificationTime', modified),
        ('Name', name),
        ('ObjectInclusionList', coll(objs)),
        ('Partitions', braces([name])),
        ('Subtype', 'Windows Active Directory'),
        ('Type', 'AD'),
        ('Version', '118'),
    ]


AAD_CONNECTOR = [
    ('AllowedOperations', 'ListSchema, FullImport, DeltaImport, FullExport'),
    ('AttributeInclusionList', braces(['accountEnabled', 'alternativeSecurityId', 'cloudAnchor',
                                       'displayName', 'onPremisesDistinguishedName',
                                       'searchableDeviceKey', 'sourceAnchor', 'userPrincipalName'])),
    ('CompanyName', 'Microsoft Corporation'),
    ('ConnectorTypeName', 'Extensible2'),
    ('CreationTime', '3/14/2016 9:12:40 AM'),
    ('Identifier', 'b891884f-051e-4a83-95af-2544101c9083'),
    ('Name', 'contoso.onmicrosoft.com - AAD'),
    ('ObjectInclusionList', braces(['contact', 'device', 'group', 'user'])),
    ('Partitions', braces(['default'])),
    ('Subtype', 'Windows Azure Active Directory (Microsoft)'),
    ('Type', 'Extensible2'),
    ('Version', '1'),
]


def write_connectors():
    old = connector('corp.contoso.com', '4a1c8e2d-7b3f-4d6a-9e15-3c2b8f7a6d10',
                    AD_ATTRIBUTES_2012R2, '3/14/2016 9:12:31 AM', '11/2/2024 4:47:09 PM')
    prompt = ['PS C:\\Windows\\system32> Get-ADSyncConnector | Format-List']
    # $FormatEnumerationLimit = -1; Get-ADSyncConnector | Format-List | Out-File connectors.txt
    fl = format_list([old, AAD_CONNECTOR])
    write('plugins/entra-sync/samples/connectors_no_keycredlink_utf16le.txt', fl, utf16=True)
    write('tests/scenarios/sync-keycredlink-not-in-scope/get-adsyncconnector.txt', fl, utf16=True)
    # A console copy with the default $FormatEnumerationLimit (4): the list is cut and proves nothing.
    cut = connector('corp.contoso.com', '4a1c8e2d-7b3f-4d6a-9e15-3c2b8f7a6d10',
                    AD_ATTRIBUTES_2012R2, '3/14/2016 9:12:31 AM', '11/2/2024 4:47:09 PM', limit=4)
    write('plugins/entra-sync/samples/connector_default_limit.txt', prompt + format_list([cut]))
    # ConvertTo-Json (5.1) of a connector that carries the attribute: arrays kept whole.
    doc = {'AttributeInclusionList': AD_ATTRIBUTES_2016, 'CompanyName': 'Microsoft Corporation',
           'ConnectorTypeName': 'AD', 'CreationTime': '/Date(1457946751000)/',
           'Identifier': '4a1c8e2d-7b3f-4d6a-9e15-3c2b8f7a6d10',
           'LastModificationTime': '/Date(1730566029000)/', 'Name': 'corp.contoso.com',
           'ObjectInclusionList': OBJECTS,
           'Partitions': [{'Name': 'corp.contoso.com', 'Selected': True}],
           'Subtype': 'Windows Active Directory', 'Type': 'AD', 'Version': 121}
    text = json.dumps(doc, indent=4).replace('\n', '\r\n')
    path = 'plugins/entra-sync/samples/connector_ps51.json'
    write(path, text.split('\r\n'), utf16=True)
    write('tests/scenarios/sync-keycredlink-in-scope/get-adsyncconnector.json', text.split('\r\n'),
          utf16=True)



# ---- Domain controllers ------------------------------------------------------------------
def dc(name, os_name, build, read_only=False, site='HQ', domain='corp.contoso.com', gc=True):
    fqdn = f'{name}.{domain}'
    base = ','.join('DC=' + p for p in domain.split('.'))
    return [
        ('ComputerObjectDN', f'CN={name},OU=Domain Controllers,{base}'),
        ('DefaultPartition', base),
        ('Domain', domain),
        ('Enabled', 'True'),
        ('Forest', 'contoso.com'),
        ('HostName', fqdn),
        ('InvocationId', {'DC01': '5b1f0c2e-8a4d-4f6b-9c3e-1d2a7b8c9e01', 'DC02': '7c2e1d3f-9b5e-4a7c-8d4f-2e3b8c9dae12',
                          'DC03': '8d3f2e4a-ac6f-4b8d-9e5a-3f4c9dae0b23', 'RODC01': '9e4a3f5b-bd7a-4c9e-af6b-4a5daeb1c34'}.get(name, '')),
        ('IPv4Address', {'DC01': '10.20.0.10', 'DC02': '10.20.0.11', 'DC03': '10.20.0.12', 'RODC01': '10.40.0.10'}.get(name, '')),
        ('IPv6Address', ''),
        ('IsGlobalCatalog', 'True' if gc else 'False'),
        ('IsReadOnly', 'True' if read_only else 'False'),
        ('LdapPort', '389'),
        ('Name', name),
        ('NTDSSettingsObjectDN', f'CN=NTDS Settings,CN={name},CN=Servers,CN={site},CN=Sites,CN=Configuration,DC=contoso,DC=com'),
        ('OperatingSystem', os_name),
        ('OperatingSystemHotfix', ''),
        ('OperatingSystemServicePack', ''),
        ('OperatingSystemVersion', f'{"10.0" if build >= 10000 else "6.3" if build == 9600 else "6.2"} ({build})'),
        ('OperationMasterRoles', '{}' if name != 'DC01' else '{SchemaMaster, DomainNamingMaster, PDCEmulator, RIDMaster...}'),
        ('Partitions', '{DC=ForestDnsZones,DC=contoso,DC=com, DC=DomainDnsZones,DC=corp,DC=contoso,DC=com, CN=Schema,CN=Configuration,DC=contoso,DC=com, CN=Configuration,DC=contoso,DC=com...}'),
        ('ServerObjectDN', f'CN={name},CN=Servers,CN={site},CN=Sites,CN=Configuration,DC=contoso,DC=com'),
        ('ServerObjectGuid', '3e1c5a2b-6d4f-4e8a-b1c9-0f2e3d4c5b6a'),
        ('Site', site),
        ('SslPort', '636'),
    ]


def export_csv(type_name, objects, collections=()):
    """Export-Csv (Windows PowerShell 5.1): #TYPE line, every value quoted; collections
    written as their type name."""
    head = [k for k, _ in objects[0]]
    lines = [f'#TYPE {type_name}', ','.join(f'"{k}"' for k in head)]
    for o in objects:
        vals = []
        for k, v in o:
            if k in collections:
                v = 'Microsoft.ActiveDirectory.Management.ADPropertyValueCollection'
            vals.append('"' + v.replace('"', '""') + '"')
        lines.append(','.join(vals))
    return lines + ['']


def versions_csv(rows):
    """Invoke-Command -ComputerName … { Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion' }
    | Select-Object PSComputerName, ProductName, InstallationType, CurrentBuild, UBR | Export-Csv"""
    lines = ['#TYPE Selected.System.Management.Automation.PSCustomObject',
             '"PSComputerName","ProductName","InstallationType","CurrentBuild","UBR"']
    for host, product, build, ubr in rows:
        lines.append(f'"{host}","{product}","Server","{build}","{ubr}"')
    return lines + ['']


def write_dcs():
    coll = ('OperationMasterRoles', 'Partitions')
    dcs = [dc('DC01', 'Windows Server 2019 Datacenter', 17763),
           dc('DC02', 'Windows Server 2016 Standard', 14393),
           dc('DC03', 'Windows Server 2019 Standard', 17763, site='Branch-Lyon')]
    inventory = export_csv('Microsoft.ActiveDirectory.Management.ADDomainController', dcs, coll)
    write('plugins/dcinventory/samples/get-addomaincontroller.csv', inventory)
    # DC01 and DC02 patched; DC03 still on the November 2020 update (17763.1577).
    affected = versions_csv([('DC01.corp.contoso.com', 'Windows Server 2019 Datacenter', 17763, 6054),
                             ('DC02.corp.contoso.com', 'Windows Server 2016 Standard', 14393, 7515),
                             ('DC03.corp.contoso.com', 'Windows Server 2019 Standard', 17763, 1577)])
    healthy = versions_csv([('DC01.corp.contoso.com', 'Windows Server 2019 Datacenter', 17763, 6054),
                            ('DC02.corp.contoso.com', 'Windows Server 2016 Standard', 14393, 7515),
                            ('DC03.corp.contoso.com', 'Windows Server 2019 Standard', 17763, 6054)])
    write('plugins/dcinventory/samples/dc-versions.csv', affected)
    for folder, versions in (('dc-build-key-deletion', affected), ('dc-builds-patched', healthy)):
        write(f'tests/scenarios/{folder}/get-addomaincontroller.csv', inventory)
        write(f'tests/scenarios/{folder}/dc-versions.csv', versions)
    # A domain whose only writable DC is 2012 R2; the 2019 DC of the branch is read-only.
    # Get-ADDomainController -Filter * | Format-List | Out-File (UTF-16LE, BOM, CRLF).
    old = [dc('DC01', 'Windows Server 2012 R2 Standard', 9600),
           dc('RODC01', 'Windows Server 2019 Standard', 17763, read_only=True, site='Branch-Lyon', gc=False)]
    fl = format_list(old)
    write('plugins/dcinventory/samples/get-addomaincontroller-2012r2-utf16le.txt', fl, utf16=True)
    write('tests/scenarios/dc-none-capable/get-addomaincontroller.txt', fl, utf16=True)
    # The same domain after a writable 2022 DC joined: ConvertTo-Json (5.1) of the list.
    new = old + [dc('DC04', 'Windows Server 2022 Datacenter', 20348)]
    doc = []
    for o in new:
        d = {k: v for k, v in o if k not in coll}
        for k in ('Enabled', 'IsGlobalCatalog', 'IsReadOnly'):
            d[k] = d[k] == 'True'
        for k in ('LdapPort', 'SslPort'):
            d[k] = int(d[k])
        d['OperationMasterRoles'] = [0, 1, 2, 3, 4] if o[12][1] == 'DC01' else []
        doc.append(d)
    text = json.dumps(doc, indent=4).replace('\n', '\r\n')
    write('plugins/dcinventory/samples/get-addomaincontroller-ps51.json', text.split('\r\n'), utf16=True)
    write('tests/scenarios/dc-one-capable/get-addomaincontroller.json', text.split('\r\n'), utf16=True)



# ---- certutil ----------------------------------------------------------------------------
ROOT_CA = 'CN=Contoso Root CA, DC=contoso, DC=com'
ISSUING_CA = 'CN=Contoso Issuing CA 01, DC=corp, DC=contoso, DC=com'
ISSUING_CA_2 = 'CN=Contoso Issuing CA 02, DC=corp, DC=contoso, DC=com'


def store_cert(n, serial, issuer, subject, before, after, template, sha1, root=False):
    lines = [f'================ Certificate {n} ================',
             f'Serial Number: {serial}',
             f'Issuer: {issuer}',
             f' NotBefore: {before}',
             f' NotAfter: {after}',
             f'Subject: {subject}']
    if root:
        lines += ['Signature matches Public Key', 'Root Certificate: Subject matches Issuer']
    else:
        lines += ['Non-root Certificate', f'Template: {template}']
    lines += [f'Cert Hash(sha1): {sha1}', 'No key provider information',
              'Cannot find the certificate and private key for decryption.', '']
    return lines


def ntauth_store(certs):
    """certutil -enterprise -store NTAuth > ntauth.txt (cmd.exe: OEM code page, CRLF)."""
    out = ['NTAuth "Enterprise NTAuth"']
    for i, c in enumerate(certs):
        out += store_cert(i, *c)
    return out + ['CertUtil: -store command completed successfully.', '']


CA1 = ('4f0000000b2d8e1a7c3b5a90000000000000b', ROOT_CA, ISSUING_CA, '3/14/2016 9:20 AM',
       '3/14/2026 9:30 AM', 'SubCA, Subordinate Certification Authority',
       '9b1f2c3d4e5f60718293a4b5c6d7e8f901234567')
CA2 = ('4f0000001e77a1c0f4d2e8b3000000000001e', ROOT_CA, ISSUING_CA_2, '6/2/2023 10:04 AM',
       '6/2/2033 10:14 AM', 'SubCA, Subordinate Certification Authority',
       '2c4e6a8b0d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c')
ROOT_CERT = ('1a2b3c4d5e6f708192a3b4c5d6e7f801', ROOT_CA, ROOT_CA, '3/14/2016 9:02 AM',
        '3/14/2036 9:12 AM', '', '0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3', True)


def kdc_cert(n, serial, issuer, subject, template, sha1, verify_lines):
    return [f'  Certificate {n}:',
            f'  Serial Number: {serial}',
            f'  Issuer: {issuer}',
            f'  Subject: {subject}',
            f'  Certificate Template Name (Certificate Type): {template}',
            f'  Cert Hash(sha1): {sha1}'] + verify_lines + ['']


VALID = ['  Verified Issuance Policies: None',
         '  Verified Application Policies:',
         '    1.3.6.1.5.5.7.3.2 Client Authentication',
         '    1.3.6.1.5.5.7.3.1 Server Authentication',
         '    1.3.6.1.4.1.311.20.2.2 Smart Card Logon',
         '    1.3.6.1.5.2.3.5 KDC Authentication',
         '  Certificate is valid']
REVOCATION_OFFLINE = [
    '  ERROR: Verifying leaf certificate revocation status returned The revocation function was '
    'unable to check revocation because the revocation server was offline. 0x80092013 '
    '(-2146885613 CRYPT_E_REVOCATION_OFFLINE)',
    '  CertUtil: The revocation function was unable to check revocation because the revocation '
    'server was offline.']


def dcinfo(dcs):
    """certutil -dcinfo verify > dcinfo.txt: the DC list, then per DC its enterprise roots
    and its KDC certificates with the chain verification result."""
    out = ['DC info:', 'Default domain DCs:']
    for i, (name, _) in enumerate(dcs):
        out.append(f'  {i}: \\\\{name}')
    out.append('')
    for i, (name, certs) in enumerate(dcs):
        short = name.split('.')[0]
        out += [f'*** Testing DC[{i}]: {short}',
                f'** Enterprise Root Certificates for DC {short}',
                '  Certificate 0:',
                f'  Serial Number: {ROOT_CERT[0]}',
                f'  Issuer: {ROOT_CA}',
                f'  Subject: {ROOT_CA}',
                f'  Cert Hash(sha1): {ROOT_CERT[6]}',
                '',
                f'** KDC Certificates for DC {short}']
        for j, c in enumerate(certs):
            out += kdc_cert(j, *c)
        out += [f'{len(certs)} KDC certs for {short}', '', f'*** DC[{i}]: {short} -- Test Finished', '']
    return out + ['CertUtil: -dcinfo command completed successfully.', '']


def write_certutil():
    dc01_ca1 = ('6100000004c1a9b2e3f405d6000000000004', ISSUING_CA, 'CN=DC01.corp.contoso.com',
                'KerberosAuthentication', '5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f', VALID)
    dc02_ca2 = ('2200000031d4e5f6a7b8c9d0000000000031', ISSUING_CA_2, 'CN=DC02.corp.contoso.com',
                'KerberosAuthentication', '7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b', VALID)
    dc02_offline = dc02_ca2[:5] + (REVOCATION_OFFLINE,)
    info = dcinfo([('DC01.corp.contoso.com', [dc01_ca1]), ('DC02.corp.contoso.com', [dc02_ca2])])
    # NTAuth holds the root and issuing CA 01 only: CA 02 (new in 2023) was never published.
    missing = ntauth_store([ROOT_CERT, CA1])
    complete = ntauth_store([ROOT_CERT, CA1, CA2])
    write('plugins/certutil/samples/dcinfo-verify.txt', info)
    write('plugins/certutil/samples/ntauth-store.txt', missing)
    write('plugins/certutil/samples/dcinfo-revocation-offline.txt',
          dcinfo([('DC01.corp.contoso.com', [dc01_ca1]), ('DC02.corp.contoso.com', [dc02_offline])]))
    write('tests/scenarios/ntauth-missing-issuing-ca/dcinfo-verify.txt', info)
    write('tests/scenarios/ntauth-missing-issuing-ca/ntauth-store.txt', missing)
    write('tests/scenarios/ntauth-complete/dcinfo-verify.txt', info)
    write('tests/scenarios/ntauth-complete/ntauth-store.txt', complete)
    write('tests/scenarios/dc-kdc-certificate-revocation-offline/dcinfo-verify.txt',
          dcinfo([('DC01.corp.contoso.com', [dc01_ca1]), ('DC02.corp.contoso.com', [dc02_offline])]))
    write('tests/scenarios/dc-kdc-certificate-revocation-offline/ntauth-store.txt', complete)


write_connectors()
write_dcs()
write_certutil()
