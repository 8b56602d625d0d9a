# Arithmetic: precedence, ** right-associative and tighter than unary minus,
# int/float mixing, truncating integer division, wrapping 64-bit ints.
print(1 + 2 * 3, (1 + 2) * 3, 10 - 4 - 3)
print(2 ** 10, 2 ** 3 ** 2, -2 ** 2, (-2) ** 2, 2 * 3 ** 2)
print(4 * 1024 ** 3)
print(7 / 2, -7 / 2, 7 % 3, -7 % 3)
print(7.0 / 2, 1 + 0.5, 2 ** -1, 10 / 4.0)
print(9223372036854775807 + 1)
print(-9223372036854775807 - 1 - 1)
print(0.1 + 0.2)
print(+5, -(-5), - 3)
x = 10
x += 5; print(x)
x -= 3; print(x)
x *= 2; print(x)
x /= 5; print(x)
x %= 3; print(x)
