# args: one two 3
# Script arguments arrive as the argv array of strings.
print(argv, len(argv), int(argv[2]) + 1)
