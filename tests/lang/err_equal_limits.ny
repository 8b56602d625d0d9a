# Equality on cyclic and hugely shared structures terminates.
a = []; a.push(a); a.push(a)
b = []; b.push(b); b.push(b)
print(a == b, a == a, [a] == [b])
x = [1]; y = [1]
for (i in range(40)) { x = [x, x]; y = [y, y] }
print(x == y)
