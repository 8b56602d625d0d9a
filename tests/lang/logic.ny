# Comparisons and boolean logic; && and || short-circuit and yield operands.
print(1 < 2, 2 <= 2, 3 > 4, 4 >= 5, 1 == 1.0, "a" < "b", "abc" < "ab")
print(1 == 2, 1 != 2, "x" == "x", [1, 2] == [1, 2], {"a": 1} == {"a": 1}, null == false)
calls = []
fn note(tag, v) { calls.push(tag); return v }
print(note("a", false) && note("b", true))
print(note("c", true) || note("d", true))
print(note("e", true) && note("f", 0))
print(calls)
print(!true, !0, !"", ![], !null, !"x")
print(0 || "default", 5 && "yes")
# bitwise operators bind tighter than comparisons
print(0x12 & 0xF0 == 0x10)
