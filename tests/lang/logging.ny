# The global logger: levels, per-component levels, script outputs receive
# (level name, component, message), the ring buffer keeps what passed.
seen = []
logger.register_output(fn(level, component, msg) {
    printf("[%s][%s] %s\n", level, component, msg)
    seen.push(level)
})
logger.info("VM", "hello " + 42)
logger.debug("VM", "hidden: below the INFO default")
logger.set_level(vm_logging.LOG_LEVEL_WARN)
logger.info("VM", "hidden: below WARN")
logger.warn("VM", "disk slow")
logger.register_component("device", vm_logging.LOG_LEVEL_DEBUG)
logger.debug("device", "device debug passes")
logger.trace("device", "hidden: trace below the component's DEBUG")
logger.error("VM", "bad")
logger.fatal("VM", "worse")
logger.set_level("trace")
logger.trace("VM", "now visible")
print(seen)
print(logger.get_level() == vm_logging.LOG_LEVEL_TRACE)
for (e in logger.entries()) { printf("%s/%s/%s ", e.level, e.component, e.msg) }
print("")
print(len(logger.entries("device")))
