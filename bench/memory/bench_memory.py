#!/usr/bin/env python3
"""Peak memory and output size on hostile-sized inputs (issue 17, item 6).

    bench/memory/bench_memory.py [--hellotrace build/bin/hellotrace] [--reg-mb 200]
                                 [--dsregcmd-mb 1024] [--fleet 20000] [--keep DIR]

Generates, at run time, in a temporary folder (nothing is committed):
  * a regedit 5.00 export (UTF-16 LE, as regedit writes it) of the PassportForWork key
    holding one string value of --reg-mb MB;
  * a `dsregcmd /status` output whose TenantName line is --dsregcmd-mb MB long;
  * a fleet export of --fleet devices (/work/shared/tools/fleetgen.py, when present).
Runs `hellotrace analyze` on each under /usr/bin/time -v and prints peak RSS, time, and
the sizes of the database and the HTML report, with the input size for reference: the
claim is that RSS follows the field cap (--max-field-bytes), not the input.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLEETGEN = "/work/shared/tools/fleetgen.py"


def write_reg(path, mb):
    head = ("Windows Registry Editor Version 5.00\r\n\r\n"
            "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork]\r\n"
            "\"Enabled\"=dword:00000001\r\n\"Big\"=\"")
    with open(path, "wb") as f:
        f.write(b"\xff\xfe" + head.encode("utf-16-le"))
        chunk = ("A" * (1 << 20)).encode("utf-16-le")  # 1 Mi characters, 2 MiB
        for _ in range(max(1, mb // 2)):
            f.write(chunk)
        f.write("\"\r\n\"RequireSecurityDevice\"=dword:00000001\r\n".encode("utf-16-le"))


def write_dsregcmd(path, mb):
    sample = os.path.join(ROOT, "samples/pending-sync/dsregcmd-status-pc0517.txt")
    raw = open(sample, "rb").read()
    text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8")
    m = re.search(r"( *TenantName : )([^\r\n]*)", text)
    if not m:
        sys.exit("no TenantName line in " + sample)
    with open(path, "wb") as f:
        f.write(text[:m.start(2)].encode("utf-8"))
        block = b"x" * (1 << 20)
        for _ in range(mb):
            f.write(block)
        f.write(text[m.end(2):].encode("utf-8"))


def measure(label, hellotrace, inputs, tmp, input_bytes, extra=()):
    db = os.path.join(tmp, label + ".db")
    html = os.path.join(tmp, label + ".html")
    for p in (db, html):
        if os.path.exists(p):
            os.remove(p)
    cmd = ["/usr/bin/time", "-v", hellotrace, "analyze", "--quiet", *inputs, "--db", db,
           "--html", html, *extra]
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", r.stderr)
    size = lambda p: os.path.getsize(p) if os.path.exists(p) else 0
    print(f"{label:<22} input {input_bytes / 1e6:9.1f} MB  exit {r.returncode}  "
          f"peak RSS {int(rss.group(1)) / 1024 if rss else -1:8.1f} MiB  "
          f"time {wall.group(1) if wall else '?':>8}  db {size(db) / 1e6:8.2f} MB  "
          f"html {size(html) / 1e6:8.2f} MB", flush=True)
    for line in r.stderr.splitlines():
        if "hellotrace:" in line and ("cut" in line or "error" in line):
            print("    " + line[:200])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hellotrace", default=os.path.join(ROOT, "build/bin/hellotrace"))
    ap.add_argument("--reg-mb", type=int, default=200)
    ap.add_argument("--dsregcmd-mb", type=int, default=1024)
    ap.add_argument("--fleet", type=int, default=20000)
    ap.add_argument("--keep", help="generate into this folder and keep it")
    a = ap.parse_args()
    tmp = a.keep or tempfile.mkdtemp(prefix="hellotrace-bench-memory-")
    os.makedirs(tmp, exist_ok=True)
    try:
        small = os.path.join(ROOT, "samples/device-tpm-policy")
        measure("reference (sample)", a.hellotrace, [small], tmp,
                sum(os.path.getsize(os.path.join(small, f)) for f in os.listdir(small)))
        if a.reg_mb:
            reg = os.path.join(tmp, "reg")
            os.makedirs(reg, exist_ok=True)
            path = os.path.join(reg, "gpo-passportforwork-big.reg")
            write_reg(path, a.reg_mb)
            measure(f"reg {a.reg_mb} MB value", a.hellotrace, [path], tmp, os.path.getsize(path))
        if a.dsregcmd_mb:
            dsr = os.path.join(tmp, "dsregcmd")
            os.makedirs(dsr, exist_ok=True)
            path = os.path.join(dsr, "dsregcmd-status-big.txt")
            write_dsregcmd(path, a.dsregcmd_mb)
            measure(f"dsregcmd {a.dsregcmd_mb} MB line", a.hellotrace, [path], tmp,
                    os.path.getsize(path))
            os.remove(path)
        if a.fleet and os.path.exists(FLEETGEN):
            fleet = os.path.join(tmp, "fleet")
            if not os.path.isdir(os.path.join(fleet, "export")):
                subprocess.run([sys.executable, FLEETGEN, fleet, "--devices", str(a.fleet)],
                               check=True, stdout=subprocess.DEVNULL)
            export = os.path.join(fleet, "export")
            total = sum(os.path.getsize(os.path.join(d, f))
                        for d, _, fs in os.walk(export) for f in fs)
            measure(f"fleet {a.fleet} devices", a.hellotrace, [export], tmp, total)
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
