# Statement terminators: ';' or newline. A line starting with '.' continues
# the previous expression (comments and blank lines may sit in between);
# newlines inside (), [] and {} literals are insignificant; a trailing
# binary operator continues onto the next line.
a = 1; b = 2
c = 3
print(a, b, c);;
s = "chain"
    .upper()      # a comment after a link
    .lower()

    # a comment line inside the chain
    .replace("c", "C")
print(s)
fn add3(x, y, z) { return x + y + z }
total = add3(
    1,
    2,
    3
)
print(total)
m = {
    "k": [
        1,
        2,
    ],
    other: fn(v) {
        let doubled = v * 2
        return doubled
    },
}
print(m.k, m.other(21))
long = 1 +
    2 *
    3
print(long)
print(ProductionVMBuilder()
    .cpus(2)
    .memory(64 * 1024 * 1024))
