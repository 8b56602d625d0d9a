print("before")
print(1 + missing_name)
