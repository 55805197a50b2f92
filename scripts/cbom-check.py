#!/usr/bin/env python3
"""`demarc replay --format cbom` validated with PyPI's cyclonedx-python-lib (its CycloneDX
1.6 JSON schema validator, strict), for each bundled deployment and, with --corpus,
for the nDPI corpus's TLS, QUIC, SSH and IKE captures replayed together. Also checks
that every service's dependencies name components the document defines.

  cbom-check.py --demarc BIN [--corpus DIR]

Run by `make cbom-test` (which makes the virtual environment first). Exits 1 on the
first invalid document.
"""
import argparse, glob, json, os, subprocess, sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def check(binary, args, label):
    r = subprocess.run([binary, "replay", *args, "--format", "cbom", "--no-progress"], capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit(f"{label}: demarc exited {r.returncode}: {r.stderr.strip()}")
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(r.stdout)
    if error is not None:
        sys.exit(f"{label}: invalid CycloneDX 1.6: {error}")
    doc = json.loads(r.stdout)
    refs = {c["bom-ref"] for c in doc.get("components", [])} | {s["bom-ref"] for s in doc.get("services", [])}
    for d in doc.get("dependencies", []):
        missing = [x for x in d.get("dependsOn", []) if x not in refs]
        if missing:
            sys.exit(f"{label}: {d['ref']} depends on undefined {missing}")
    kinds = {}
    for c in doc.get("components", []):
        kind = c["cryptoProperties"]["assetType"]
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"{label}: valid CycloneDX 1.6; {len(doc.get('services', []))} services, "
          + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demarc", required=True)
    ap.add_argument("--corpus")
    a = ap.parse_args()
    for pcap in sorted(glob.glob(os.path.join(ROOT, "captures", "*.pcap"))):
        name = os.path.basename(pcap)[:-5]
        # A second tap of one deployment (NAME-wan.pcap) shares that deployment's scenario.
        check(a.demarc, [pcap, "--scenario", os.path.join(ROOT, "scenarios", name.removesuffix("-wan") + ".yaml")], name)
    if a.corpus:
        words = ("tls", "quic", "ssh", "ike", "ipsec", "dtls")
        picks = sorted(p for p in glob.glob(os.path.join(a.corpus, "*")) if any(w in os.path.basename(p).lower() for w in words))
        check(a.demarc, picks, f"corpus ({len(picks)} captures)")
    else:
        print("corpus: skipped (no --corpus: ../shared/corpus/ndpi/pcap is not beside the project)")


if __name__ == "__main__":
    main()
