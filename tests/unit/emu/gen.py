#!/usr/bin/env python3
# Assembles tests/unit/emu/snippets.s (GNU as + ld, at the base address in
# each "@@ name mode base" header) into the C header tests/unit/emu/code.h.
import subprocess, sys, re
src = open(sys.argv[1]).read()
blocks = re.findall(r'^@@ (\w+) (code16|code32|code64) (0x[0-9a-f]+)\n(.*?)(?=^@@ |\Z)', src, re.S | re.M)
out = []
out.append("/*\n * Hand-written guest code for the emulator unit tests, assembled once with\n * GNU as (the source of each snippet is the comment above its bytes).\n * Regenerate: python3 tests/unit/emu/gen.py tests/unit/emu/snippets.s > tests/unit/emu/code.h\n */\n#ifndef NYX_TEST_EMU_CODE_H\n#define NYX_TEST_EMU_CODE_H\n\n#include <stdint.h>\n")
for name, mode, base, body in blocks:
    body = body.rstrip() + "\n"
    asm = "." + mode + "\n" + body
    open('/tmp/emuasm/x.s','w').write(asm)
    subprocess.check_call(['as','--64','-o','/tmp/emuasm/x.o','/tmp/emuasm/x.s'])
    subprocess.check_call(['ld','-m','elf_x86_64','-Ttext',base,'-e','0','-o','/tmp/emuasm/x.elf','/tmp/emuasm/x.o'])
    subprocess.check_call(['objcopy','-O','binary','-j','.text','/tmp/emuasm/x.elf','/tmp/emuasm/x.bin'])
    b = open('/tmp/emuasm/x.bin','rb').read()
    lines = [l for l in body.split('\n') if l.strip()]
    out.append("/* [%s at %s]\n%s */" % (mode, base, "\n".join(" *   " + l.rstrip().replace('\t','    ') for l in lines)))
    hexs = ", ".join("0x%02x" % x for x in b)
    # wrap
    words = hexs.split(", ")
    rows = [", ".join(words[i:i+12]) for i in range(0, len(words), 12)]
    out.append("static const uint8_t %s[] = {\n\t%s,\n};\n" % (name, ",\n\t".join(rows)))
out.append("#endif")
print("\n".join(out))
