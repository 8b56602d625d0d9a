#!/usr/bin/env bash
# Storage backends against `qemu-img bench` on the same files: sequential and
# scattered ("random": a large co-prime step) 4 KiB reads and writes, raw and
# qcow2, queue depth 1, page cache on both sides (qemu-img -t writeback).
# Both are timed the same way, as whole processes (start-up included), so
# the small fixed cost of starting qemu-img counts against QEMU as starting
# storage_bench counts against us. Runs interleaved, medians reported.
# Output: one JSON object a line, the bench/ result schema.
set -u
BUILD=${BUILD:-build}
TOOL=$PWD/$BUILD/bench/storage_bench
RUNS=${RUNS:-5}
COUNT=${COUNT:-20000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
qemu-img create -q -f raw img.raw 256M
head -c 268435456 /dev/urandom > img.raw
qemu-img convert -q -O qcow2 img.raw img.qcow2

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for fmt in raw qcow2; do
	for pat in seq rand; do
		for op in read write; do
			step=4096; [ $pat = rand ] && step=$((4096 * 7919))
			w=; [ $op = write ] && w=-w
			: > nyx.t; : > qemu.t
			for r in $(seq "$RUNS"); do
				s=$(date +%s.%N)
				"$TOOL" "img.$fmt" "$COUNT" 4096 "$step" $w >/dev/null
				echo "$(date +%s.%N) $s" | awk '{printf "%.6f\n", $1 - $2}' >> nyx.t
				s=$(date +%s.%N)
				qemu-img bench -q -f "$fmt" -t writeback -c "$COUNT" -d 1 -s 4096 -S "$step" $w "img.$fmt" >/dev/null 2>&1
				echo "$(date +%s.%N) $s" | awk '{printf "%.6f\n", $1 - $2}' >> qemu.t
			done
			n=$(median < nyx.t); q=$(median < qemu.t)
			nmin=$(sort -g nyx.t | head -1); nmax=$(sort -g nyx.t | tail -1)
			printf '{"name": "storage %s %s 4k %s", "unit": "s per %d requests", "nyx": %s, "qemu": %s, "ratio": %s, "runs": %d, "min": %s, "max": %s}\n' \
				"$fmt" "$pat" "$op" "$COUNT" "$n" "$q" "$(awk -v n="$n" -v q="$q" 'BEGIN {printf "%.3f", n / q}')" "$RUNS" "$nmin" "$nmax"
		done
	done
done
