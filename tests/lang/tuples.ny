# Tuples: (a, b) literals, indexing, equality; (x) is just grouping.
t = ("slow_span", 1500)
print(t, t[0], t[1], t[-1], len(t))
print((1,), (), (7), type((7)), type((7,)))
spans = [("boot", 900), ("disk", 120)]
for (s in spans) { printf("%s took %d us\n", s[0], s[1]) }
print(("a", 1) == ("a", 1), ("a", 1) == ["a", 1])
fn minmax(xs) {
    lo = xs[0]; hi = xs[0]
    for (x in xs) { if (x < lo) { lo = x } if (x > hi) { hi = x } }
    return (lo, hi)
}
print(minmax([3, -1, 8, 2]))
