print("ok")
x = "abc
print(x)
