#!/usr/bin/env python3
"""Writes the messages-* scenario folders: one set of facts (the events of one device on
one evening), exported the ways admins export them.

  messages-xml            Event Viewer "Save All Events As… XML" (EventData + RenderingInfo):
                          the reference every other folder must agree with
  messages-csv-en-us      Event Viewer "Save All Events As… CSV", en-US machine (12-hour clock)
  messages-txt-en-gb      Event Viewer "Save All Events As… Text (Tab delimited)", en-GB machine
  messages-copy-details   Event Properties → "Copy details as text", pasted one after another
  messages-format-list    Get-WinEvent | Format-List (en-GB console), and
                          Get-WinEvent | Select TimeCreated,Id,Message | Export-Csv
  messages-csv-de-de      Event Viewer CSV of a German machine: German messages (reported,
                          never read with the English templates)

The messages are rendered from messages/*.json, the templates the reader uses; those are
themselves checked against real message texts (eventmessage_test). Run from the repository
root: python3 tests/scenarios/make_message_exports.py
"""
import json
import os
import re
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "tests", "scenarios")
LOCAL = timezone(timedelta(hours=1))  # CET: what --timezone +01:00 tells hellotrace

UDR = "Microsoft-Windows-User Device Registration"
HFB = "Microsoft-Windows-HelloForBusiness"
CHANNEL = {UDR: UDR + "/Admin", HFB: HFB + "/Operational"}
GUID = {UDR: "{23B8D46B-67DD-40A3-B636-D43E50552C6D}", HFB: "{906B8A99-63CE-58D7-86AB-10989BBD5567}"}
SHORT = {UDR: "User Device Registration", HFB: "HelloForBusiness"}
LEVEL = {2: "Error", 3: "Warning", 4: "Information"}
COMPUTER = "PC-0733.corp.contoso.com"
SID = "S-1-5-21-3623811015-3361044348-30300820-1187"
UPN = "mia.chen@contoso.com"

PREREQ = ["DeviceIsJoined", "AADPrt", "NgcPolicyEnabled", "NgcPostLogonProvisioningEnabled",
          "NgcHardwarePolicyMet", "UserIsRemote", "LogonCertRequired", "MachinePolicySource",
          "UseCloudTrust", "CloudTgt"]


def prereq(headline, values):
    return dict(zip(["Message"] + PREREQ, [headline] + values))


# The facts: Mia signs in at 09:05 CET without an Entra PRT (360); in the evening she has
# one, provisioning runs (358), the TPM is locked out (5555) and Windows falls back to a
# software key (300 ATT_SOFT).
EVENTS = [
    (UDR, 360, 3, datetime(2025, 3, 24, 8, 5, 11, tzinfo=timezone.utc), 4101,
     prereq("Windows Hello for Business provisioning will not be launched.",
            ["Yes", "No", "Yes", "Yes", "Yes", "Yes", "No", "GroupPolicy", "No", "Not Tested"])),
    (UDR, 358, 4, datetime(2025, 3, 24, 20, 40, 5, tzinfo=timezone.utc), 4102,
     prereq("Windows Hello for Business provisioning will be launched.",
            ["Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "No", "GroupPolicy", "No", "Not Tested"])),
    (HFB, 5555, 4, datetime(2025, 3, 24, 20, 40, 30, tzinfo=timezone.utc), 901,
     {"TpmSupport": "2", "HardwarePolicy": "0", "IsTpm12Excluded": "False", "TpmVersion": "2",
      "IsTpmFIPS": "False", "IsTpmLockedOut": "True", "IsKeyPregenPoolSatisfactory": "True",
      "KeyProvider": "1", "Result": "0x00000000"}),
    (UDR, 300, 4, datetime(2025, 3, 24, 20, 41, 12, tzinfo=timezone.utc), 4103,
     {"KeyId": "{5e8b1f0a-7c3d-4e29-9a61-0b7d3c2e0733}", "UPN": UPN, "Attestation": "ATT_SOFT",
      "ClientRequestId": "00000000-0000-0000-0000-000000000000",
      "ServerRequestId": "7c1d2e3f-4a5b-4c6d-8e7f-90a1b2c30733",
      "ServerResponse": '{"kid":"5e8b1f0a-7c3d-4e29-9a61-0b7d3c2e0733","upn":"' + UPN + '"}'}),
]

# German wording (illustrative: no real German rendering of these events is published; the
# point is that the English templates must not read it).
GERMAN = {
    360: "Die Bereitstellung von Windows Hello for Business wird nicht gestartet.\r\n"
         "Das Gerät ist in AAD eingebunden (AADJ oder DJ++): Ja\r\n"
         "Der Benutzer hat sich mit AAD-Anmeldeinformationen angemeldet: Nein\r\n"
         "Die Richtlinie für Windows Hello for Business ist aktiviert: Ja\r\n"
         "Siehe https://go.microsoft.com/fwlink/?linkid=832647 für weitere Details.",
    358: "Die Bereitstellung von Windows Hello for Business wird gestartet.\r\n"
         "Das Gerät ist in AAD eingebunden (AADJ oder DJ++): Ja\r\n"
         "Der Benutzer hat sich mit AAD-Anmeldeinformationen angemeldet: Ja\r\n"
         "Die Richtlinie für Windows Hello for Business ist aktiviert: Ja\r\n"
         "Siehe https://go.microsoft.com/fwlink/?linkid=832647 für weitere Details.",
    300: "Der Microsoft Passport-Schlüssel wurde erfolgreich bei Azure AD registriert.\r\n"
         "Schlüssel-ID: {5e8b1f0a-7c3d-4e29-9a61-0b7d3c2e0733}\r\nUPN: mia.chen@contoso.com\r\n"
         "Nachweis: ATT_SOFT",
    5555: "Windows Hello überprüft, ob das Gerät alle geltenden Richtlinien erfüllen kann.\r\n\r\n"
          "TPM unterstützt: 2\r\nTPM gesperrt: True\r\nErgebnis: 0x00000000",
}


def templates():
    out = {}
    for name in os.listdir(os.path.join(ROOT, "messages")):
        text = open(os.path.join(ROOT, "messages", name), encoding="utf-8").read()
        doc = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.M))
        for ev in doc.get("events", []):
            for i in ev["ids"]:
                out[(doc["provider"], i)] = (ev["names"], ev["templates"][0])
    return out


TEMPLATES = templates()


def render(provider, event_id, data):
    names, tpl = TEMPLATES[(provider, event_id)]
    text = re.sub(r"%(\d+)", lambda m: data[names[int(m.group(1)) - 1]], tpl)
    return text.replace("\n", "\r\n")


def us(t):  # en-US: M/d/yyyy h:mm:ss tt
    l = t.astimezone(LOCAL)
    h = l.hour % 12 or 12
    return f"{l.month}/{l.day}/{l.year} {h}:{l.minute:02}:{l.second:02} {'AM' if l.hour < 12 else 'PM'}"


def gb(t):  # en-GB: dd/MM/yyyy HH:mm:ss
    return t.astimezone(LOCAL).strftime("%d/%m/%Y %H:%M:%S")


def de(t):  # de-DE: dd.MM.yyyy HH:mm:ss
    return t.astimezone(LOCAL).strftime("%d.%m.%Y %H:%M:%S")


def csv_quote(s):
    return '"' + s.replace('"', '""') + '"'


def write(folder, name, text, encoding="utf-8-sig"):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    with open(os.path.join(HERE, folder, name), "w", encoding=encoding, newline="") as f:
        f.write(text)


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def event_xml(provider, event_id, level, t, record, data):
    fields = "".join(f"<Data Name='{k}'>{xml_escape(v)}</Data>" for k, v in data.items())
    return (f"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
            f"<Provider Name='{provider}' Guid='{GUID[provider]}'/><EventID>{event_id}</EventID>"
            f"<Version>0</Version><Level>{level}</Level><Task>0</Task><Opcode>0</Opcode>"
            f"<Keywords>0x8000000000000000</Keywords>"
            f"<TimeCreated SystemTime='{t.strftime('%Y-%m-%dT%H:%M:%S')}.0000000Z'/>"
            f"<EventRecordID>{record}</EventRecordID><Correlation/>"
            f"<Execution ProcessID='4092' ThreadID='5120'/><Channel>{CHANNEL[provider]}</Channel>"
            f"<Computer>{COMPUTER}</Computer><Security UserID='{SID}'/></System>"
            f"<EventData>{fields}</EventData><RenderingInfo Culture='en-US'><Message>"
            f"{xml_escape(render(provider, event_id, data))}</Message><Level>{LEVEL[level]}</Level>"
            f"<Task></Task><Opcode>Info</Opcode><Channel>{CHANNEL[provider]}</Channel>"
            f"<Provider>{provider}</Provider><Keywords></Keywords></RenderingInfo></Event>")


def by_log(provider):
    # Event Viewer lists the newest event first.
    return sorted([e for e in EVENTS if e[0] == provider], key=lambda e: e[3], reverse=True)


def main():
    for provider, name in ((UDR, "udr-admin"), (HFB, "hello-operational")):
        events = by_log(provider)
        write("messages-xml", name + ".xml",
              '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<Events>\r\n' +
              "\r\n".join(event_xml(*e) for e in events) + "\r\n</Events>\r\n", "utf-8")
        header = "Level,Date and Time,Source,Event ID,Task Category\r\n"
        write("messages-csv-en-us", name + ".csv", header + "".join(
            f"{LEVEL[lv]},{us(t)},{SHORT[p]},{i},None,{csv_quote(render(p, i, d))}\r\n"
            for p, i, lv, t, _, d in events))
        write("messages-txt-en-gb", name + ".txt", header.replace(",", "\t") + "".join(
            f"{LEVEL[lv]}\t{gb(t)}\t{SHORT[p]}\t{i}\tNone\t{csv_quote(render(p, i, d))}\r\n"
            for p, i, lv, t, _, d in events))
        german = {"Warning": "Warnung", "Information": "Informationen", "Error": "Fehler"}
        write("messages-csv-de-de", name + ".csv",
              "Ebene,Datum und Uhrzeit,Quelle,Ereignis-ID,Aufgabenkategorie\r\n" + "".join(
                  f"{german[LEVEL[lv]]},{de(t)},{SHORT[p]},{i},Keine,{csv_quote(GERMAN[i])}\r\n"
                  for p, i, lv, t, _, d in events))
    # Copy details as text: the four events pasted into one ticket, oldest first.
    pasted = []
    for p, i, lv, t, _, d in sorted(EVENTS, key=lambda e: e[3]):
        pasted.append(
            f"Log Name:      {CHANNEL[p]}\r\nSource:        {p}\r\nDate:          {us(t)}\r\n"
            f"Event ID:      {i}\r\nTask Category: None\r\nLevel:         {LEVEL[lv]}\r\n"
            f"Keywords:      \r\nUser:          CONTOSO\\mia.chen\r\nComputer:      {COMPUTER}\r\n"
            f"Description:\r\n{render(p, i, d)}\r\n")
    write("messages-copy-details", "ticket-paste.txt", "\r\n".join(pasted))
    # Get-WinEvent | Format-List of the UDR log: UTF-16 as PowerShell 5.1's > writes it.
    for provider, name in ((UDR, "udr-admin"),):
        blocks = []
        for p, i, lv, t, _, d in by_log(provider):
            msg = render(p, i, d).split("\r\n")
            body = ("\r\n" + " " * 15).join(msg)
            blocks.append(f"TimeCreated  : {gb(t)}\r\nProviderName : {p}\r\nId           : {i}\r\n"
                          f"Message      : {body}\r\n")
        write("messages-format-list", name + "-fl.txt", "\r\n\r\n" + "\r\n".join(blocks) + "\r\n\r\n",
              "utf-16")
    # Select TimeCreated,Id,Message | Export-Csv -NoTypeInformation (PowerShell 7: UTF-8).
    rows = ['"TimeCreated","Id","Message"']
    for p, i, lv, t, _, d in by_log(HFB):
        rows.append(f'"{gb(t)}","{i}",{csv_quote(render(p, i, d))}')
    write("messages-format-list", "hello-select-message.csv", "\r\n".join(rows) + "\r\n", "utf-8")


if __name__ == "__main__":
    main()
