x = 0
print(10 / x)
