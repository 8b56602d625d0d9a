# catch(f) runs f and returns null, or the error message if f failed.
print(catch(fn() { return 1 }))
print(catch(fn() { return [1][5] }))
msg = catch(fn() { error("custom failure " + 42) })
print(msg)
print(catch(fn() { catch(fn() { error("inner") }); error("outer") }))
count = 0
fn deep(n) { count = n; return deep(n + 1) }
print(catch(fn() { deep(1) }), count)
print("still running")
