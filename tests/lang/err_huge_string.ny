s = "0123456789abcdef"
n = 0
while (true) {
    s = s + s
    n += 1
}
