# An error inside a log callback is reported where it happened.
logger.register_output(fn(level, component, msg) {
    print("got " + msg)
    print(no_such_variable)
})
logger.info("VM", "first")
print("not reached")
