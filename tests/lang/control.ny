# Control flow: if / else if / else, while, for over arrays, maps and
# strings, break and continue.
fn classify(n) {
    if (n < 0) { return "negative" } else if (n == 0) { return "zero" } else { return "positive" }
}
print(classify(-5), classify(0), classify(3))
if (false) {
    print("no")
}
else {
    print("else on its own line")
}
i = 0
total = 0
while (i < 10) {
    i = i + 1
    if (i % 2 == 0) { continue }
    if (i > 7) { break }
    total = total + i
}
print(i, total)
for (x in [1, 2, 3, 4]) { if (x == 3) { break } printf("%d ", x) }
print("")
for (k in {"a": 1, "b": 2}) { printf("%s ", k) }
print("")
n = 0
for (ch in "abc") { n += 1 }
print(n)
for (x in []) { print("never") }
while (false) { print("never") }
