/*
 * Numeric values of the script-visible recovery strategies (RECOVERY_*).
 * The fault-handling machinery maps a handler's return value through these.
 */
#ifndef NYX_LANG_LIB_CONSTS_H
#define NYX_LANG_LIB_CONSTS_H

enum nyx_recovery {
	NYX_RECOVERY_IGNORE = 0,      /* log only */
	NYX_RECOVERY_RESET_DEVICE,
	NYX_RECOVERY_RESET_VCPU,
	NYX_RECOVERY_HARD_RESET,
	NYX_RECOVERY_PAUSE_VM,
	NYX_RECOVERY_SNAPSHOT_RESTORE,
	NYX_RECOVERY_ISOLATE_DEVICE,
	NYX_RECOVERY_SHUTDOWN,
	NYX_RECOVERY_CONTINUE,        /* resume as if the host had not handled it */
};

#endif
