#!/usr/bin/env python3
"""Maps an emulator guest profile (NYX_EMU_PROFILE, src/cpu/emu/profile.c)
to kernel symbols and prints its summary, a breakdown by kernel subsystem
(name patterns below) and the top symbols.

    bench/emu_profile.py KALLSYMS PROFILE.0 [TOP]

KALLSYMS: /proc/kallsyms of the guest kernel (bench/emu_kallsyms.sh) or a
System.map. Samples are one per 4096 guest instructions, so the shares are
shares of instructions (a REP string instruction counts once per batch;
the summary gives its iterations)."""
import bisect
import collections
import re
import sys

GROUPS = [
    ("lib/mpi multi-precision arithmetic (RSA)", r"^(mpihelp_|mpih_|mul_n|mpi_)"),
    ("other crypto (sha*, blake2s, chacha, crc, aes)", r"(sha1|sha256|sha512|blake2s|chacha|crc|aes|crypto_)"),
    ("W+X check page-table dump (note_page, ptdump_*, effective_prot, walk_*)",
     r"^(note_page|ptdump|effective_prot|walk_p.d_range|walk_pgd)"),
    ("kallsyms lookups", r"(kallsyms|get_symbol)"),
    ("BTF verification", r"btf"),
    ("retpoline/return thunks", r"thunk"),
    ("alternatives/text patching", r"^(apply_|text_poke|insn_get|optimize_nops|__apply|insn_decode|insn_init)"),
    ("tracing setup", r"(trace_|ftrace)"),
    ("ORC unwinder", r"(orc|unwind)"),
    ("memset/memcpy/memmove/clear_page", r"^(memset|memcpy|memmove|__memcpy|__memset|clear_page)"),
]


def main():
    syms = []
    for line in open(sys.argv[1]):
        f = line.split()
        if len(f) >= 3 and f[1] in "tTwW":
            syms.append((int(f[0], 16), f[2]))
    syms.sort()
    addrs = [a for a, _ in syms]
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    hist = collections.Counter()
    user = 0
    for line in open(sys.argv[2]):
        f = line.split()
        if f[0] != "s":
            print(line.rstrip())
            continue
        rip, cpl = int(f[2], 16), int(f[3])
        if cpl == 3:
            user += 1
            continue
        i = bisect.bisect_right(addrs, rip) - 1
        hist[syms[i][1] if i >= 0 and rip >= 0xffffffff80000000 else "(outside the kernel image)"] += 1
    total = sum(hist.values())
    print(f"samples: {total} kernel, {user} user (one per 4096 instructions)")
    groups = collections.Counter()
    for name, n in hist.items():
        for g, rx in GROUPS:
            if re.search(rx, name):
                groups[g] += n
                break
        else:
            groups["everything else"] += n
    for g, n in groups.most_common():
        print(f"{100.0 * n / total:5.1f}%  {g}")
    print()
    for name, n in hist.most_common(top):
        print(f"{100.0 * n / total:5.1f}%  {name}")


main()
