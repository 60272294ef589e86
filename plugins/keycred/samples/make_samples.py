#!/usr/bin/env python3
"""Regenerates the keycred plugin samples: exports shaped like ldifde, Get-ADUser
(Format-List, Export-Csv, ConvertTo-Json) and DSInternals output, holding
KEYCREDENTIALLINK_BLOBs built here (made-up RSA moduli, correct KeyID/KeyHash; one
modulus is built to carry the ROCA fingerprint, one blob is tampered). No corpus data.
Run from this folder: python3 make_samples.py"""
import base64, hashlib, struct, datetime

def put(i, v): return struct.pack('<HB', len(v), i) + v

def filetime(dt): return int((dt - datetime.datetime(1601, 1, 1)).total_seconds()) * 10**7
def dotnet_utc_binary(dt):
    ticks = int((dt - datetime.datetime(1, 1, 1)).total_seconds()) * 10**7
    return ticks | (1 << 62)

def guid_bytes(g):  # .NET Guid.ToByteArray()
    h = g.replace('-', '')
    b = bytes.fromhex(h)
    return b[3::-1] + b[5:3:-1] + b[7:5:-1] + b[8:]

def blob(material, usage, source, device, created, custom=b'\x01\x00', last_logon=True):
    t = dotnet_utc_binary(created) if source == 1 else filetime(created)
    rest = put(3, material) + put(4, bytes([usage])) + put(5, bytes([source]))
    if device: rest += put(6, guid_bytes(device))
    if custom is not None: rest += put(7, custom)
    if last_logon: rest += put(8, struct.pack('<Q', t))
    rest += put(9, struct.pack('<Q', t))
    return (b'\x00\x02\x00\x00' + put(1, hashlib.sha256(material).digest()) +
            put(2, hashlib.sha256(rest).digest()) + rest)

def made_up_modulus(seed, bits=2048):
    out, h = b'', seed.encode()
    while len(out) < bits // 8:
        h = hashlib.sha256(h).digest(); out += h
    n = int.from_bytes(out[:bits // 8], 'big') | (1 << (bits - 1)) | 1
    return n

def roca_modulus(bits=2048):
    primes = [p for p in range(3, 168) if all(p % d for d in range(2, p))]
    m = 1
    for p in primes: m *= p
    n0 = pow(65537, 123457, m)
    k = ((1 << (bits - 1)) + (1 << (bits - 3))) // m
    n = n0 + k * m
    if n % 2 == 0: n += m  # m is odd: keeps every residue, flips parity
    return n

def rsa1(n, bits=2048):
    nb = n.to_bytes(bits // 8, 'big')
    return b'RSA1' + struct.pack('<IIIII', bits, 3, len(nb), 0, 0) + b'\x01\x00\x01' + nb

def der(n, bits=2048):
    nb = b'\x00' + n.to_bytes(bits // 8, 'big')
    body = b'\x02\x82' + struct.pack('>H', len(nb)) + nb + b'\x02\x03\x01\x00\x01'
    return b'\x30\x82' + struct.pack('>H', len(body)) + body

def dnb(b, dn): return 'B:%d:%s:%s' % (len(b) * 2, b.hex().upper(), dn)

JOHN = 'CN=John Doe,OU=Employees,DC=contoso,DC=com'
JANE = 'CN=Jane Roe,OU=Employees,DC=contoso,DC=com'
PC01 = 'CN=PC01,OU=Workstations,DC=contoso,DC=com'
d = datetime.datetime
k_john_ad = blob(rsa1(made_up_modulus('john-1')), 1, 0, 'b3b2a45c-1f0e-4d7a-9a6e-0c1d2e3f4a5b', d(2024, 11, 14, 9, 58, 12))
k_john_aad = blob(rsa1(roca_modulus()), 1, 1, 'fd591087-245c-4ff5-a5ea-c14de5e2b32d', d(2017, 7, 19, 7, 41, 2), custom=b'\x01\x00\x00\x01\x00\x00')
k_jane = blob(rsa1(made_up_modulus('jane-1')), 1, 1, '6a1c9c7e-7d8b-4f2e-a1b2-334455667788', d(2024, 11, 20, 16, 5, 0))
k_pc01 = blob(der(made_up_modulus('pc01')), 1, 0, None, d(2024, 11, 23, 22, 58, 30), custom=None, last_logon=False)
tampered = bytearray(k_jane)
tampered[4 + 35 + 35 + 3 + 60] ^= 0x20  # one bit of the modulus, inside KeyMaterial
tampered = bytes(tampered)

SID_JOHN = 'S-1-5-21-1236425271-2880748467-2592687428-1110'
SID_JANE = 'S-1-5-21-1236425271-2880748467-2592687428-1111'
def sid_bin(s):
    parts = s.split('-'); subs = [int(x) for x in parts[3:]]
    return bytes([int(parts[1]), len(subs)]) + int(parts[2]).to_bytes(6, 'big') + b''.join(struct.pack('<I', x) for x in subs)

def ldif_line(name, value, b64=False):
    line = '%s:: %s' % (name, base64.b64encode(value.encode() if isinstance(value, str) else value).decode()) if b64 else '%s: %s' % (name, value)
    out = [line[:79]]
    rest = line[79:]
    while rest:
        out.append(' ' + rest[:78]); rest = rest[78:]
    return '\r\n'.join(out)

def ldif(entries, b64):
    out = []
    for dn, sam, upn, sid, keys in entries:
        out.append(ldif_line('dn', dn))
        out.append('changetype: add')
        out.append(ldif_line('objectClass', 'top'))
        out.append(ldif_line('objectClass', 'user'))
        out.append(ldif_line('sAMAccountName', sam))
        if upn: out.append(ldif_line('userPrincipalName', upn))
        out.append(ldif_line('objectSid', sid_bin(sid), b64=True))
        for k in keys: out.append(ldif_line('msDS-KeyCredentialLink', k, b64=b64))
        out.append('')
    return '\r\n'.join([''] + out) + '\r\n'

john_keys = [dnb(k_john_ad, JOHN), dnb(k_john_aad, JOHN)]
jane_keys = [dnb(k_jane, JANE)]
open('ldifde-wrapped.ldf', 'w', newline='').write(ldif([(JOHN, 'john', 'john@contoso.com', SID_JOHN, john_keys), (JANE, 'jane', 'jane@contoso.com', SID_JANE, jane_keys)], False))
open('ldifde-base64.ldf', 'w', newline='').write(ldif([(JOHN, 'john', 'john@contoso.com', SID_JOHN, john_keys), (PC01, 'PC01$', None, 'S-1-5-21-1236425271-2880748467-2592687428-1104', [dnb(k_pc01, PC01)])], True))
open('tampered.ldf', 'w', newline='').write(ldif([(JANE, 'jane', 'jane@contoso.com', SID_JANE, [dnb(tampered, JANE)])], False))

def fl_record(props, width=120):
    kw = max(len(k) for k, _ in props)
    lines = []
    for k, v in props:
        line = k.ljust(kw) + ' : ' + v
        first, rest = line[:width], line[width:]
        lines.append(first)
        while rest:
            lines.append(' ' * (kw + 3) + rest[:width - kw - 3]); rest = rest[width - kw - 3:]
    return lines

def user_props(dn, name, sam, upn, sid, keys):
    return [('DistinguishedName', dn), ('Enabled', 'True'), ('GivenName', name.split()[0]),
            ('msDS-KeyCredentialLink', '{' + ', '.join(keys) + '}'), ('Name', name),
            ('ObjectClass', 'user'), ('ObjectGUID', '6fb7aca4-fe85-4dc5-9acd-b5b2529fe2bc'),
            ('SamAccountName', sam), ('SID', sid), ('Surname', name.split()[1]),
            ('UserPrincipalName', upn)]

five = [dnb(k_jane, JANE)] * 5  # five values: PowerShell shows four, then "..."
shown = '{' + ', '.join(five[:4]) + '...}'
jane = user_props(JANE, 'Jane Roe', 'jane', 'jane@contoso.com', SID_JANE, [])
jane[3] = ('msDS-KeyCredentialLink', shown)
fl = [''] + fl_record(user_props(JOHN, 'John Doe', 'john', 'john@contoso.com', SID_JOHN, john_keys)) + [''] + fl_record(jane) + ['', '']
open('get-aduser-fl.txt', 'w', newline='').write('\r\n'.join(fl))

csv = ['#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser',
       '"DistinguishedName","SamAccountName","UserPrincipalName","SID","msDS-KeyCredentialLink"',
       '"%s","john","john@contoso.com","%s","%s"' % (JOHN, SID_JOHN, ';'.join(john_keys)),
       '"%s","jane","jane@contoso.com","%s","Microsoft.ActiveDirectory.Management.ADPropertyValueCollection"' % (JANE, SID_JANE)]
open('get-aduser.csv', 'w', newline='').write('\r\n'.join(csv) + '\r\n')

import json
def sid_obj(s):
    dom = '-'.join(s.split('-')[:-1])
    return {'BinaryLength': 28, 'AccountDomainSid': {'BinaryLength': 24, 'AccountDomainSid': dom, 'Value': dom}, 'Value': s}
users = [{'DistinguishedName': JOHN, 'Enabled': True, 'msDS-KeyCredentialLink': john_keys, 'Name': 'John Doe',
          'SamAccountName': 'john', 'SID': sid_obj(SID_JOHN), 'UserPrincipalName': 'john@contoso.com',
          'PropertyNames': ['DistinguishedName', 'Enabled', 'msDS-KeyCredentialLink'], 'PropertyCount': 7},
         {'DistinguishedName': JANE, 'Enabled': True, 'msDS-KeyCredentialLink': jane_keys, 'Name': 'Jane Roe',
          'SamAccountName': 'jane', 'SID': sid_obj(SID_JANE), 'UserPrincipalName': 'jane@contoso.com',
          'PropertyNames': ['DistinguishedName', 'Enabled', 'msDS-KeyCredentialLink'], 'PropertyCount': 7}]
open('get-aduser.json', 'w', newline='').write(json.dumps(users, indent=4).replace('\n', '\r\n'))

open('keys.dnbinary', 'w', newline='').write('\n'.join(john_keys + [dnb(k_pc01, PC01)]) + '\n')

# DSInternals: Get-ADKeyCredential | Format-List (local times, en-US).
def kc_list(usage, source, flags, device, created, owner, ident, weak):
    return fl_record([('Usage', usage), ('LegacyUsage', ''), ('Source', source), ('Flags', flags),
                      ('DeviceId', device), ('Identifier', ident), ('IsWeak', weak),
                      ('CreationTime', created), ('LastLogonTime', created), ('Owner', owner)])
b64id = lambda b: base64.b64encode(b[7:39]).decode()
lst = ([''] + kc_list('NGC', 'AzureAD', 'None', 'fd591087-245c-4ff5-a5ea-c14de5e2b32d', '7/19/2017 9:33:01 AM', JOHN, b64id(k_john_aad), 'True') +
       [''] + kc_list('NGC', 'AD', 'None', 'b3b2a45c-1f0e-4d7a-9a6e-0c1d2e3f4a5b', '11/14/2024 10:58:12 AM', JOHN, b64id(k_john_ad), 'False') + ['', ''])
open('dsinternals-keycredential-fl.txt', 'w', newline='').write('\r\n'.join(lst))

table = ['', 'Usage Source  Flags       DeviceId                             Created    Owner',
         '----- ------  -----       --------                             -------    -----',
         'NGC   AD      None        cfe9a872-13ff-4751-a777-aec88c30a762 2019-08-01 %s' % JOHN,
         'STK   AD      None                                             2017-08-23 %s' % PC01,
         'NGC   AzureAD None        fd591087-245c-4ff5-a5ea-c14de5e2b32d 2017-07-19 %s' % JOHN, '', '']
open('dsinternals-table.txt', 'w', newline='').write('\r\n'.join(table))

repl = ['', 'DistinguishedName: %s' % JOHN, 'SamAccountName: john', 'UserPrincipalName: john@contoso.com',
        'Enabled: True', 'Deleted: False', 'Sid: %s' % SID_JOHN, 'Guid: 6fb7aca4-fe85-4dc5-9acd-b5b2529fe2bc',
        'SamAccountType: User', 'UserAccountControl: NormalAccount, PasswordNeverExpires',
        'LastLogonDate: 11/20/2024 10:27:18 AM', 'PasswordLastSet: 7/11/2024 11:35:47 AM',
        'Key Credentials',
        '  Usage=NGC, Source=ActiveDirectory, Device=b3b2a45c-1f0e-4d7a-9a6e-0c1d2e3f4a5b, Created=11/14/2024 10:58:12 AM, LastLogon=11/14/2024 10:58:12 AM',
        '  Usage=NGC, Source=AzureActiveDirectory, Device=fd591087-245c-4ff5-a5ea-c14de5e2b32d, Created=7/19/2017 9:33:01 AM, LastLogon=7/19/2017 9:33:01 AM',
        'Credential Roaming', 'Secrets', '  NTHash: ', '',
        'DistinguishedName: %s' % PC01, 'SamAccountName: PC01$', 'Sid: S-1-5-21-1236425271-2880748467-2592687428-1104',
        'Key Credentials', '  Usage: NGC, Source: AD, Device: , Created: 11/23/2024 10:58:30 PM', 'Secrets', '']
open('dsinternals-replaccount.txt', 'w', newline='').write('\r\n'.join(repl))
print('ok')
