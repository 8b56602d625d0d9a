# Garbage collection: lots of short-lived objects while long-lived ones
# (closures, nested containers, cycles) stay intact across collections.
keep = []
fn make_adder(k) { return fn(x) { return x + k } }
total = 0
i = 0
while (i < 20000) {
    tmp = {"i": i, "s": "item " + i, "arr": [i, i * 2, [i]]}
    total += tmp.arr[1]
    if (i % 2000 == 0) { keep.push(make_adder(i)) }
    i += 1
}
print(total, len(keep), keep[3](1), keep[-1](0))
ring = {"name": "a"}
ring.next = {"name": "b", "next": ring}
print(ring.next.next.next.name)
a = [1]
a.push(a)
print(a)
m = {}
m.self = m
print(m)
strs = []
for (j in range(3000)) { strs.push(str(j) * 10) }
print(len(strs), strs[2999].len(), strs[5].slice(0, 3))
