#!/usr/bin/env bash
# Writes the e2e kernel's symbol table (its own /proc/kallsyms, read by a
# busybox /init booted by PVH on nyx's emulator) to FILE, for
# bench/emu_profile.py. A PVH boot does no KASLR, so these are the addresses
# the kernel runs at in every PVH boot of the e2e layer.
#     bench/emu_kallsyms.sh FILE      (NYX from the environment, default build/nyx)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
nyx=${NYX:-build/nyx}
c=tests/e2e/cache
[ -s $c/vmlinux ] && [ -s $c/initramfs.cpio ] || { echo "no $c: run scripts/setup.d/50-linux-guest" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/root"
(cd "$tmp/root" && cpio -idm --quiet < "$OLDPWD/$c/initramfs.cpio")
cat > "$tmp/root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox echo KSYMS-BEGIN
/bin/busybox cat /proc/kallsyms
/bin/busybox echo KSYMS-END
/bin/busybox poweroff -f
INIT
chmod +x "$tmp/root/init"
(cd "$tmp/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$tmp/ks.cpio"
"$nyx" run --accel emu -m 512M --timeout 600 --kernel $c/vmlinux --initrd "$tmp/ks.cpio" \
	--append "console=ttyS0 quiet" > "$tmp/log"
sed -n '/KSYMS-BEGIN/,/KSYMS-END/p' "$tmp/log" | tr -d '\r' | grep -v KSYMS > "$out"
echo "$(wc -l < "$out") symbols in $out"
