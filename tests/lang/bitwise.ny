# Bitwise operators on 64-bit ints.
print(0xF0 | 0x0F, 0xFF & 0x3C, 0xFF ^ 0x0F, ~0, ~0xFF)
print(1 << 12, 0x1000 >> 4, 1 << 63, -16 >> 2)
bdf = (3 << 8) | (2 << 3) | 1
printf("%04x bus=%d dev=%d fn=%d\n", bdf, bdf >> 8, (bdf >> 3) & 0x1F, bdf & 7)
print(0xFEE00000 & 0xFFFFF000 == 0xFEE00000)
