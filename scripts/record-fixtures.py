#!/usr/bin/env python3
"""Writes the byte sequences the inspector unit tests replay (Tests/DemarcCoreTests/Fixtures),
each from a real implementation: the groups of scripts/fixtures/ (its __init__.py lists
them, with the file format), run in turn, or one with --only.

  record-fixtures.py [--pypi-python PYTHON] [--only GROUP]
PYTHON must have aioquic, websockets, simplefix, pymodbus, aiocoap, kafka-python, pika,
irc, pymemcache, nats-py, aioice, aiortc, pylibsrtp, impacket, pymongo, cassandra-driver,
python-bitcoinlib, clickhouse-driver, iec62056-21, smpplib, pydrda, pynetdicom and pyzmq (PyPI); the "pypi" groups run in it.
"""
import argparse, importlib, os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import GROUPS  # noqa: E402
from fixtures import common  # noqa: E402


def run(group):
    _, module, _, _ = next(g for g in GROUPS if g[0] == group)
    importlib.import_module("fixtures." + module).record()


def main():
    ap = argparse.ArgumentParser(description="Record the inspector tests' fixtures from real implementations.",
                                 epilog="groups:\n" + "\n".join(f"  {g:<22} {what}" for g, _, _, what in GROUPS),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quic-python", "--pypi-python", dest="pypi_python", default=sys.executable,
                    help="an interpreter with the PyPI libraries the pypi groups import")
    ap.add_argument("--only", choices=[g[0] for g in GROUPS], help="record only this group (a pypi group runs in this interpreter)")
    a = ap.parse_args()
    os.makedirs(common.OUT, exist_ok=True)
    common.PYPI_PYTHON[0] = a.pypi_python
    if a.only:
        run(a.only)
        return
    for group, _, where, _ in GROUPS:
        if where == "pypi":
            subprocess.run([a.pypi_python, os.path.abspath(__file__), "--only", group], check=True)
        else:
            run(group)


if __name__ == "__main__":
    main()
