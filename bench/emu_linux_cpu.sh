#!/usr/bin/env bash
# CPU time (user+sys) of Debian's Linux booted by PVH to its busybox /init
# and ACPI power-off, on the emulator of each nyx binary given and on QEMU
# TCG, interleaved round by round so all see the same machine load; prints
# every sample and the median per side. CPU time, not wall: the machines
# here are shared. Needs tests/e2e/cache (scripts/setup.d/50-linux-guest).
#     bench/emu_linux_cpu.sh [-n ROUNDS] NYX...      (default: build/nyx, 3 rounds)
set -u
cd "$(dirname "$0")/.."
rounds=3
if [ "${1:-}" = -n ]; then rounds=$2; shift 2; fi
[ $# -gt 0 ] || set -- build/nyx
c=tests/e2e/cache
append="console=ttyS0 earlyprintk=serial,ttyS0,115200"
[ -s $c/vmlinux ] && [ -s $c/initramfs.cpio ] || { echo "no $c: run scripts/setup.d/50-linux-guest" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sample() {   # name cmd...: appends "user+sys" to $tmp/name if the guest reached /init and exited 0
	local name=$1; shift
	/usr/bin/time -f "%x %U %S" -o "$tmp/t" "$@" > "$tmp/out" 2>/dev/null
	local st; st=$(tail -n 1 "$tmp/t")
	if [ "${st%% *}" = 0 ] && grep -q "NYX-E2E: userspace init reached" "$tmp/out"; then
		echo "$st" | awk '{ printf "%.2f\n", $2 + $3 }' >> "$tmp/$name"
	else
		echo "$name: no sample (exit status ${st%% *}, or /init not reached)" >&2
	fi
}
for r in $(seq "$rounds"); do
	i=0
	for nyx in "$@"; do
		sample "nyx$i" "$nyx" run --accel emu -m 512M --timeout 300 --serial stdio \
			--kernel $c/vmlinux --initrd $c/initramfs.cpio --append "$append"
		i=$((i + 1))
	done
	sample qemu timeout 300 qemu-system-x86_64 -accel tcg -m 512M -display none -vga none \
		-monitor none -serial stdio -net none -no-reboot \
		-kernel $c/vmlinux -initrd $c/initramfs.cpio -append "$append"
done
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
i=0
for nyx in "$@"; do
	[ -s "$tmp/nyx$i" ] && echo "$nyx: median $(median "$tmp/nyx$i") s CPU (samples: $(tr '\n' ' ' < "$tmp/nyx$i"))"
	i=$((i + 1))
done
[ -s "$tmp/qemu" ] && echo "qemu-system-x86_64 -accel tcg: median $(median "$tmp/qemu") s CPU (samples: $(tr '\n' ' ' < "$tmp/qemu"))"
