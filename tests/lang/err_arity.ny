fn f(a, b) { return a }
f(1)
