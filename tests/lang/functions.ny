# Functions: declarations, anonymous closures capturing variables,
# recursion, named arguments, implicit null return, functions as values.
fn add(a, b) { return a + b }
print(add(2, 3), add(b = 1, a = 10), add(5, b = 6))
fn fact(n) { if (n <= 1) { return 1 } return n * fact(n - 1) }
print(fact(20))
fn make_counter() {
    let n = 0
    return fn() { n = n + 1; return n }
}
c1 = make_counter(); c2 = make_counter()
c1(); c1()
print(c1(), c2())
fn nothing() { }
fn early(x) { if (x) { return } return "late" }
print(nothing(), early(true), early(false))
apply = fn(f, x) { return f(f(x)) }
print(apply(fn(v) { return v * 3 }, 2))
fn even(n) { if (n == 0) { return true } return odd(n - 1) }
fn odd(n) { if (n == 0) { return false } return even(n - 1) }
print(even(10), odd(7))
adders = []
for (i in [1, 2, 3]) { adders.push(fn(x) { return x + i }) }
print(adders[0](10), adders[2](10))
print(add, type(add))
