#!/usr/bin/env python3
"""Writes the msDS-KeyCredentialLink exports of the end-to-end scenarios
(tests/scenarios/<name>/) and of the sample bundles that copy them (samples/<name>/).
The KEYCREDENTIALLINK blob helpers are copied from plugins/keycred/samples/make_samples.py
(importing that script would regenerate its samples in the current folder). Made-up RSA
moduli with correct KeyID/KeyHash; KeyCreationTime fits each scenario's story.
Run from anywhere: python3 tests/scenarios/make_keys.py"""
import base64, hashlib, struct, datetime, os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))

# ---- helpers copied from plugins/keycred/samples/make_samples.py ----
def put(i, v): return struct.pack('<HB', len(v), i) + v
def filetime(dt): return int((dt - datetime.datetime(1601, 1, 1)).total_seconds()) * 10**7
def dotnet_utc_binary(dt):
    ticks = int((dt - datetime.datetime(1, 1, 1)).total_seconds()) * 10**7
    return ticks | (1 << 62)
def guid_bytes(g):
    b = bytes.fromhex(g.replace('-', ''))
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
    return int.from_bytes(out[:bits // 8], 'big') | (1 << (bits - 1)) | 1
def roca_modulus(bits=2048):
    primes = [p for p in range(3, 168) if all(p % d for d in range(2, p))]
    m = 1
    for p in primes: m *= p
    n0 = pow(65537, 123457, m)
    k = ((1 << (bits - 1)) + (1 << (bits - 3))) // m
    n = n0 + k * m
    if n % 2 == 0: n += m
    return n
def rsa1(n, bits=2048):
    nb = n.to_bytes(bits // 8, 'big')
    return b'RSA1' + struct.pack('<IIIII', bits, 3, len(nb), 0, 0) + b'\x01\x00\x01' + nb
def dnb(b, dn): return 'B:%d:%s:%s' % (len(b) * 2, b.hex().upper(), dn)
def sid_bin(s):
    parts = s.split('-'); subs = [int(x) for x in parts[3:]]
    return bytes([int(parts[1]), len(subs)]) + int(parts[2]).to_bytes(6, 'big') + b''.join(struct.pack('<I', x) for x in subs)
def ldif_line(name, value, b64=False):
    line = '%s:: %s' % (name, base64.b64encode(value.encode() if isinstance(value, str) else value).decode()) if b64 else '%s: %s' % (name, value)
    out = [line[:79]]; rest = line[79:]
    while rest:
        out.append(' ' + rest[:78]); rest = rest[78:]
    return '\r\n'.join(out)
def ldif(entries, b64):
    out = []
    for dn, sam, upn, sid, keys in entries:
        out.append(ldif_line('dn', dn)); out.append('changetype: add')
        out.append(ldif_line('objectClass', 'top')); out.append(ldif_line('objectClass', 'user'))
        out.append(ldif_line('sAMAccountName', sam))
        if upn: out.append(ldif_line('userPrincipalName', upn))
        out.append(ldif_line('objectSid', sid_bin(sid), b64=True))
        for k in keys: out.append(ldif_line('msDS-KeyCredentialLink', k, b64=b64))
        out.append('')
    return '\r\n'.join([''] + out) + '\r\n'
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
# ---- end of copied helpers ----

D = datetime.datetime
DOM = 'S-1-5-21-3623811015-3361044348-30300820-'

def user_props(dn, name, sam, upn, sid, keys, guid):
    return [('DistinguishedName', dn), ('Enabled', 'True'), ('GivenName', name.split()[0]),
            ('msDS-KeyCredentialLink', '{' + ', '.join(keys) + '}'), ('Name', name),
            ('ObjectClass', 'user'), ('ObjectGUID', guid), ('SamAccountName', sam), ('SID', sid),
            ('Surname', name.split()[1]), ('UserPrincipalName', upn)]

def get_aduser_fl(path, users, prompt='PS C:\\Users\\adm-hello> '):
    """users: (dn, name, sam, upn, sid, [dnbinary values], guid). Written as a PS 5.1
    console capture of Get-ADUser ... -Properties msDS-KeyCredentialLink | Format-List."""
    lines = [prompt + "Get-ADUser -Filter \"UserPrincipalName -eq '%s'\" -Properties msDS-KeyCredentialLink | fl" % users[0][3]
             if len(users) == 1 else prompt + "Get-ADUser -Filter * -SearchBase 'OU=Staff,DC=contoso,DC=com' -Properties msDS-KeyCredentialLink | fl", '']
    for u in users:
        lines += fl_record(user_props(*u)) + ['']
    lines += ['', prompt.rstrip()]
    write(path, '\r\n'.join(lines) + '\r\n')

def get_aduser_csv(path, users):
    rows = ['#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser',
            '"DistinguishedName","SamAccountName","UserPrincipalName","SID","msDS-KeyCredentialLink"']
    for dn, name, sam, upn, sid, keys, guid in users:
        rows.append('"%s","%s","%s","%s","%s"' % (dn, sam, upn, sid, ';'.join(keys)))
    write(path, '\r\n'.join(rows) + '\r\n')

def write(rel, text):
    for base in (os.path.join(ROOT, 'tests', 'scenarios'), os.path.join(ROOT, 'samples')):
        d = os.path.join(base, os.path.dirname(rel))
        if os.path.isdir(d) or base.endswith('scenarios'):
            os.makedirs(d, exist_ok=True)
            open(os.path.join(base, rel), 'w', newline='').write(text)

def ngc(seed, device, created, roca=False):
    return blob(rsa1(roca_modulus() if roca else made_up_modulus(seed)), 1, 1, device, created)

# healthy-key-in-ad: alex registered on PC-0201 at 2024-11-14T09:12:40Z; Entra wrote the key
# (KeySource AzureAD) and Entra Connect exported it at the 09:21:47 cycle.
ALEX = 'CN=Alex Wilber,OU=Staff,DC=contoso,DC=com'
get_aduser_fl('healthy-key-in-ad/get-aduser-alex.txt', [
    (ALEX, 'Alex Wilber', 'awilber', 'alex.wilber@contoso.com', DOM + '1104',
     [dnb(ngc('alex-pc0201', '2f0c6b1e-7a42-4c1d-9e55-0b8f3a1d2c01', D(2024, 11, 14, 9, 12, 41)), ALEX)],
     '0c4a9f1e-2b3d-4e5f-8a6b-7c8d9e0f1a21')])

# overdue-scheduler-suspended: erin's only key in AD is her old laptop's (2023).
ERIN = 'CN=Erin Hart,OU=Staff,DC=contoso,DC=com'
write('overdue-scheduler-suspended/ldifde-erin.ldf', ldif([
    (ERIN, 'ehart', 'erin.hart@contoso.com', DOM + '1107',
     [dnb(ngc('erin-lt0099', '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c99', D(2023, 3, 2, 8, 44, 10)), ERIN)])], False))

# staging-mode: frank's AD object holds the key of his previous PC only.
FRANK = 'CN=Frank Miller,OU=Staff,DC=contoso,DC=com'
get_aduser_fl('staging-mode/get-aduser-frank.txt', [
    (FRANK, 'Frank Miller', 'fmiller', 'frank.miller@contoso.com', DOM + '1108',
     [dnb(ngc('frank-pc0100', '1d2e3f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6', D(2024, 2, 6, 14, 2, 55)), FRANK)],
     '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a801')])

# permission-issue: grace's AD object still holds only her old laptop's key.
GRACE = 'CN=Grace Taylor,OU=Staff,DC=contoso,DC=com'
get_aduser_fl('permission-issue/get-aduser-grace.txt', [
    (GRACE, 'Grace Taylor', 'gtaylor', 'grace.taylor@contoso.com', DOM + '1109',
     [dnb(ngc('grace-lt0420', '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e42', D(2024, 5, 21, 7, 30, 12)), GRACE)],
     '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c09')])

# two-users-one-device: ivan's key (PC-1010) is in AD; judy registered later, pending.
IVAN = 'CN=Ivan Petrov,OU=Staff,DC=contoso,DC=com'
JUDY = 'CN=Judy Chen,OU=Staff,DC=contoso,DC=com'
get_aduser_csv('two-users-one-device/get-aduser-staff.csv', [
    (IVAN, 'Ivan Petrov', 'ipetrov', 'ivan.petrov@contoso.com', DOM + '1111',
     [dnb(ngc('ivan-pc1010', '6b1f0e2d-3c4a-4b5e-9f60-7a8b9c0d1010', D(2024, 11, 14, 8, 3, 19)), IVAN)], ''),
    (JUDY, 'Judy Chen', 'jchen', 'judy.chen@contoso.com', DOM + '1112', [], '')])

# one-user-two-devices: kim's PC-1101 key is in AD; the LT-1102 key is pending.
KIM = 'CN=Kim Akers,OU=Staff,DC=contoso,DC=com'
write('one-user-two-devices/ldifde-kim.ldf', ldif([
    (KIM, 'kakers', 'kim.akers@contoso.com', DOM + '1113',
     [dnb(ngc('kim-pc1101', '8d7c6b5a-4f3e-4d2c-9b1a-0f1e2d3c1101', D(2024, 11, 12, 7, 55, 3)), KIM)])], True))

# software-key: leo's software key from VM-1203 is in AD.
LEO = 'CN=Leo Grant,OU=Staff,DC=contoso,DC=com'
get_aduser_fl('software-key/get-aduser-leo.txt', [
    (LEO, 'Leo Grant', 'lgrant', 'leo.grant@contoso.com', DOM + '1114',
     [dnb(ngc('leo-vm1203', 'a4b3c2d1-e0f9-4a8b-9c7d-6e5f4a3b1203', D(2024, 11, 14, 10, 31, 8)), LEO)],
     '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d14')])

# roca-key-in-ad: mia's key from 2017 (Infineon TPM before the ADV170012 firmware update).
MIA = 'CN=Mia Santos,OU=Staff,DC=contoso,DC=com'
write('roca-key-in-ad/ldifde-mia.ldf', ldif([
    (MIA, 'msantos', 'mia.santos@contoso.com', DOM + '1115',
     [dnb(ngc('', 'fd591087-245c-4ff5-a5ea-c14de5e2b315', D(2017, 7, 19, 7, 41, 2), roca=True), MIA)])], False))

# ad-export-without-keys: noah's Get-ADUser shows an empty msDS-KeyCredentialLink.
NOAH = 'CN=Noah Brooks,OU=Staff,DC=contoso,DC=com'
get_aduser_fl('ad-export-without-keys/get-aduser-noah.txt', [
    (NOAH, 'Noah Brooks', 'nbrooks', 'noah.brooks@contoso.com', DOM + '1116', [],
     '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e16')])

# reprovisioned-same-device: quinn's AD object still holds the key PC-1420 created in March;
# she re-provisioned on the same PC today (certutil -deletehellocontainer after a TPM clear).
QUINN = 'CN=Quinn Lee,OU=Staff,DC=contoso,DC=com'
get_aduser_fl('reprovisioned-same-device/get-aduser-quinn.txt', [
    (QUINN, 'Quinn Lee', 'qlee', 'quinn.lee@contoso.com', DOM + '1117',
     [dnb(ngc('quinn-pc1420-march', '4f5e6d7c-8b9a-4c0d-9e1f-2a3b4c5d1420', D(2024, 3, 4, 9, 15, 40)), QUINN)],
     '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f17')])
# keys-tampered-and-stale: an ldifde export of OU=Staff. Rosa's object holds the keys of
# her old laptop LT-0311 (2022) and of her current PC-0918; Sam's only key was altered
# after it was written (one bit of the modulus flipped, KeyID/KeyHash left as they were).
ROSA = 'CN=Rosa Diaz,OU=Staff,DC=contoso,DC=com'
SAM = 'CN=Sam Park,OU=Staff,DC=contoso,DC=com'
sam_key = bytearray(ngc('sam-pc0927', '0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f0927', D(2024, 10, 1, 9, 4, 17)))
sam_key[4 + 35 + 35 + 3 + 60] ^= 0x20  # one bit of the modulus, inside KeyMaterial
write('keys-tampered-and-stale/ldifde-staff.ldf', ldif([
    (ROSA, 'rdiaz', 'rosa.diaz@contoso.com', DOM + '1118',
     [dnb(ngc('rosa-lt0311', '2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e0311', D(2022, 3, 8, 13, 27, 45)), ROSA),
      dnb(ngc('rosa-pc0918', '7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f0918', D(2024, 9, 2, 8, 12, 6)), ROSA)]),
    (SAM, 'spark', 'sam.park@contoso.com', DOM + '1119', [dnb(bytes(sam_key), SAM)])], False))
print('ok')
