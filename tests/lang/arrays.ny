# Arrays: literals, indexing (negative from the end), mutation, methods.
a = [10, 20, 30]
print(a, len(a), a[0], a[-1], a[-3])
a[1] = 21
a.push(40)
print(a)
print(a.pop(), a)
nested = [[1, 2], ["x", [true]]]
print(nested[1][1][0], nested[0] + [3])
b = []
for (i in range(5)) { b.push(i * i) }
print(b, range(2, 5), range(10, 0, -3))
print(b.contains(9), b.contains(7), b.index_of(16), b.slice(1, 3))
print(b.map(fn(x) { return x + 1 }), b.filter(fn(x) { return x % 2 == 0 }))
print([] == [], [1, [2]] == [1, [2]], [1] == [2])
alias = a
alias.push(99)
print(a[-1])
