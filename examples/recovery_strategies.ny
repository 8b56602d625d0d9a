# Quick reference: "Recovery Strategies" (each line is a valid expression).
RECOVERY_IGNORE                 # Log only
RECOVERY_RESET_DEVICE          # Isolate device
RECOVERY_RESET_VCPU            # Reset vCPU
RECOVERY_HARD_RESET            # Full VM reset
RECOVERY_PAUSE_VM              # Pause & inspect
RECOVERY_SNAPSHOT_RESTORE      # Time-travel restore
RECOVERY_ISOLATE_DEVICE        # Quarantine device
RECOVERY_SHUTDOWN              # Graceful shutdown
