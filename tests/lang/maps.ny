# Maps: insertion order, bare-identifier keys are strings, member access,
# methods, iteration over keys, non-string keys, counter subtraction.
m = {"zeta": 1, alpha: 2, "mid": [3]}
m["new"] = 4
m.other = 5
print(m)
print(m.zeta, m["alpha"], m.mid[0], len(m))
for (k in m) { printf("%s ", k) }
print("")
print(m.keys(), m.values())
print(m.has("alpha"), m.has("beta"), m.get("beta", "none"), m.get("alpha"))
print(m.remove("zeta"), m.remove("zeta"), m.keys())
m["alpha"] = 20
print(m.keys(), m.alpha)
ints = {1: "one", 0x10: "sixteen", true: "yes"}
print(ints[16], ints[1], ints[true])
print(m.items()[0])
before = {"exits": 100, "io": 7, "ratio": 0.5}
after = {"exits": 250, "io": 7, "ratio": 0.75, "new": 1}
print(after - before)
empty = {}
print(empty, len(empty), {"a": {"b": {"c": 1}}}.a.b.c)
