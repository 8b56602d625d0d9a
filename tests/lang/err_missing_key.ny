m = {"a": 1}
print(m["b"])
