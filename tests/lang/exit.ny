# exit(n) ends the script with status n; catch() does not swallow it.
print("before")
catch(fn() { exit(3) })
print("not reached")
