# Strings: concatenation (with numbers in both orders), indexing, methods.
s = "Nyx"
print(s + " " + "VM", "vcpu " + 3, 3 + " vcpus", "rip=" + 0x10, "f" + 1.5, "b" + true + null)
print(len(s), s.len(), s[0], s[-1], s[1])
print("Hello".upper(), "Hello".lower(), "  pad \n".trim() + "|")
print("a,b,,c".split(","), ["x", 1, 2.5].join("-"))
print("hypervisor".contains("vis"), "hypervisor".find("vis"), "abc".find("z"))
print("kernel.elf".ends_with(".elf"), "kernel.elf".starts_with("ker"))
print("abcdef".slice(1, 3), "abcdef".slice(-2), "aXbXc".replace("X", "--"))
print("ab" * 3, 2 * "-", "" * 5 + "|")
for (c in "hey") { printf("[%s]", c) }
print("")
print(str(12) + str(0.5) + str([1]), int("42") + 1, int("0x1f"), int("-9"), float("2.5"))
print("é".len())
