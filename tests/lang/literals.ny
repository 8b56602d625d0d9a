# Literals: integers (decimal, hex, 64-bit), floats, strings, bools, null.
print(42, -7, 0)
print(0xFF, 0x10, 0xdead_beef)
print(9223372036854775807)
print(0xFFFFFFFFFFFFFFFF)           # all ones: -1 as a signed 64-bit int
print(1_000_000)
print(1.5, 0.25, 2.0, 1e3, 2.5e-3)
print("plain", 'single')
print("tab[\t] quote[\"] backslash[\\] hex[\x41]")
print("two\nlines")
print(true, false, null)
print(type(1), type(1.0), type("s"), type(true), type(null))
print(type([]), type({}), type((1, 2)), type(print), type(fn() {}))
