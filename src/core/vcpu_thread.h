/* vCPU thread management, internal to core/ and the backends. */
#ifndef NYX_CORE_VCPU_THREAD_H
#define NYX_CORE_VCPU_THREAD_H

#include <signal.h>

struct vcpu;

/* Signal used to knock a vCPU thread out of KVM_RUN. */
#define VCPU_KICK_SIGNAL SIGUSR1

void vcpu_threads_init_signals(void);
int vcpu_thread_start(struct vcpu *v);
/* Sets v->kicked, asks the backend to leave vcpu_run, wakes a halted wait. */
void vcpu_kick(struct vcpu *v);

#endif
