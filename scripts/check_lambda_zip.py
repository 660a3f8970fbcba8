#!/usr/bin/env python3
"""Checks a Lambda deployment zip for a custom runtime: it must hold exactly one file, an
executable named `bootstrap`, that is a 64-bit little-endian ELF for the given machine.

Usage: check_lambda_zip.py ZIP|FOLDER arm64|x86-64

A folder (what `sam build` leaves for a function) is checked the same way. Prints the sizes.
Exits 1, naming the problem, otherwise.
"""

import os
import struct
import sys
import zipfile

# ELF e_machine values (System V ABI).
MACHINES = {"arm64": (183, "aarch64"), "x86-64": (62, "x86-64")}


def read(path: str) -> tuple[list[str], int, bytes]:
    """The entry names, the mode of `bootstrap` and its first 20 bytes, from a zip or a folder."""
    if os.path.isdir(path):
        names = sorted(os.listdir(path))
        if names != ["bootstrap"]:
            return names, 0, b""
        with open(os.path.join(path, "bootstrap"), "rb") as f:
            return names, os.stat(os.path.join(path, "bootstrap")).st_mode, f.read(20)
    with zipfile.ZipFile(path) as z:
        entries = z.infolist()
        names = [e.filename for e in entries]
        if names != ["bootstrap"]:
            return names, 0, b""
        return names, entries[0].external_attr >> 16, z.read(entries[0])[:20]


def check(path: str, arch: str) -> list[str]:
    want, name = MACHINES[arch]
    names, mode, header = read(path)
    if names != ["bootstrap"]:
        return [f"expected exactly one entry named bootstrap, found {names}"]
    problems = []
    if mode & 0o111 == 0:
        problems.append("bootstrap is not marked executable (Lambda could not start it)")
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return problems + ["bootstrap is not an ELF file"]
    if header[4] != 2 or header[5] != 1:
        problems.append("bootstrap is not a 64-bit little-endian ELF")
    (machine,) = struct.unpack_from("<H", header, 18)
    if machine != want:
        problems.append(f"bootstrap is for ELF machine {machine}, not {want} ({name})")
    return problems


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[2] not in MACHINES:
        print("usage: check_lambda_zip.py ZIP arm64|x86-64", file=sys.stderr)
        return 2
    path, arch = sys.argv[1], sys.argv[2]
    problems = check(path, arch)
    if problems:
        for problem in problems:
            print(f"{path}: {problem}", file=sys.stderr)
        return 1

    if os.path.isdir(path):
        size = os.path.getsize(os.path.join(path, "bootstrap"))
        print(f"{path}: {MACHINES[arch][1]} ELF bootstrap, {size} bytes")
        return 0
    with zipfile.ZipFile(path) as z:
        unpacked = z.getinfo("bootstrap").file_size
    print(f"{path}: {MACHINES[arch][1]} ELF bootstrap, zip {os.path.getsize(path)} bytes"
          f" ({os.path.getsize(path) / 1024:.0f} KiB), bootstrap {unpacked} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
