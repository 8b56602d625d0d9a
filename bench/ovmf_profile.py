#!/usr/bin/env python3
"""Splits an emulator guest profile (NYX_EMU_PROFILE, src/cpu/emu/profile.c)
of an OVMF boot into its phases by where the code runs, and prints each
phase's instruction count and hottest code.

    NYX_EMU_PROFILE=/tmp/p nyx run --accel emu --uefi OVMF.fd ...
    bench/ovmf_profile.py /tmp/p.0 [TOP]

OVMF's SEC runs in place from the flash image mapped just below 4 GiB and
decompresses the rest (PEI and DXE volumes) into RAM; everything after it
runs from RAM. So the first sample below the flash is the end of SEC. The
rest is split at its first DXE Core sample when DXECORE (hex, any address
inside the DXE Core image, e.g. found as bench/README.md describes) is
given as a third argument. Samples are one per 4096 guest instructions, so
shares are shares of instructions; hot spots are 256-byte code blocks."""
import collections
import sys

FLASH_BASE = 0xFF000000    # OVMF images are 1-4 MiB: anything here is flash


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    dxecore = int(sys.argv[3], 16) & ~0xFFFF if len(sys.argv) > 3 else None
    samples = []
    summary = []
    for line in open(sys.argv[1]):
        f = line.split()
        if f and f[0] == "s" and len(f) >= 3:
            samples.append((int(f[1]), int(f[2], 16)))
        elif f and f[0] != "s":
            summary.append(line.rstrip())
    if not samples:
        sys.exit("%s: no samples (was NYX_EMU_PROFILE set and the run ended cleanly?)"
                 % sys.argv[1])

    phases = []                 # [name, first icount, Counter of blocks]
    name = "SEC (flash)"
    in_flash = False            # the reset vector's real-mode RIPs are CS offsets
    for icount, rip in samples:
        in_flash = in_flash or rip >= FLASH_BASE
        if name.startswith("SEC") and in_flash and rip < FLASH_BASE:
            name = "after SEC (RAM)" if dxecore is None else "PEI (RAM)"
        elif name.startswith("PEI") and (rip & ~0xFFFF) == dxecore:
            name = "DXE Core and after"
        if not phases or phases[-1][0] != name:
            phases.append([name, icount, collections.Counter()])
        phases[-1][2][rip >> 8] += 1

    end = samples[-1][0]
    for i, (name, first, blocks) in enumerate(phases):
        last = phases[i + 1][1] if i + 1 < len(phases) else end
        n = sum(blocks.values())
        print("%-20s %8.1f M instructions (%.1f%%), from %.1f M" %
              (name, (last - first) / 1e6, 100.0 * (last - first) / end, first / 1e6))
        for block, k in blocks.most_common(top):
            print("    %#010x  %5.1f%%" % (block << 8, 100.0 * k / n))
    for line in summary:
        print(line)


if __name__ == "__main__":
    main()
