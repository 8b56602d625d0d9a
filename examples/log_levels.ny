# Quick reference: "Severity Levels (Lowest to Highest)".
levels = [vm_logging.LOG_LEVEL_TRACE, vm_logging.LOG_LEVEL_DEBUG, vm_logging.LOG_LEVEL_INFO,
          vm_logging.LOG_LEVEL_WARN, vm_logging.LOG_LEVEL_ERROR, vm_logging.LOG_LEVEL_FATAL]
names = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
for (i in range(len(levels))) {
    printf("%d. LOG_LEVEL_%s = %d\n", i + 1, names[i], levels[i])
}
