# Variables: let declares in the current block, plain assignment updates
# the nearest existing variable or creates one in the enclosing function
# (or script) scope.
let a = 1
b = 2
if (true) {
    let a = 10        # shadows the outer a inside this block
    b = 20            # updates the outer b
    c = 30            # new variable, visible after the block
    print(a, b, c)
}
print(a, b, c)
fn f() {
    a = 100           # assigns the script-level a
    let local = 5
    made = 7          # local to f
    return local + made
}
print(f(), a)
print(type(made) == "null")
