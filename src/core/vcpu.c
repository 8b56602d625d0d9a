/*
 * vCPU threads. Each thread runs its vCPU through the backend while the
 * machine is RUNNING, and parks otherwise (pause, reset, stop), counting
 * itself in m->parked so the machine thread knows when all have let go of
 * the CPU state. See the lifecycle note in machine.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "core/vcpu_thread.h"

static void kick_signal_handler(int sig)
{
	(void)sig;
}

void vcpu_threads_init_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_signal_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);   /* no SA_RESTART: interrupt KVM_RUN */
}

void machine_wake_vcpu(struct machine *m, unsigned index)
{
	if (index >= m->nvcpus)
		return;
	struct vcpu *v = m->vcpus[index];
	pthread_mutex_lock(&v->halt_lock);
	v->wake = true;
	pthread_cond_signal(&v->halt_cond);
	pthread_mutex_unlock(&v->halt_lock);
}

/* Halted with interrupts disabled and no NMI pending, or an AP still
 * waiting for INIT/SIPI (only another vCPU could start it). `check_mp` asks
 * the backend's own halt state (KVM halts in the kernel). */
static bool halted_for_good(struct vcpu *v, bool check_mp)
{
	struct vcpu_state *s = malloc(sizeof(*s));
	if (!s)
		return false;
	bool dead = !v->m->cpu->get_state(v, s) && !(s->rflags & (1u << 9)) &&
		    !s->events.nmi_pending &&
		    (!check_mp || s->mp_state == VCPU_MP_HALTED ||
		     s->mp_state == VCPU_MP_UNINITIALIZED || s->mp_state == VCPU_MP_INIT_RECEIVED);
	LOG(v->m->log, LOG_DEBUG, "cpu", "vCPU %u: rflags %llx, mp state %u", v->index,
	    (unsigned long long)s->rflags, s->mp_state);
	free(s);
	return dead;
}

/* Waits while halted until an interrupt wakes us or the machine changes state. */
static void wait_halted(struct vcpu *v)
{
	struct machine *m = v->m;
	pthread_mutex_lock(&v->halt_lock);
	while (!v->wake && !atomic_load(&v->kicked) && atomic_load(&m->run_state) == MACHINE_RUNNING)
		pthread_cond_wait(&v->halt_cond, &v->halt_lock);
	pthread_mutex_unlock(&v->halt_lock);
}

/* Parks while the machine is not running or a reset is pending; returns
 * false when it stops. */
static bool wait_running(struct vcpu *v)
{
	struct machine *m = v->m;
	/* The request first: do_reset clears it only after leaving RUNNING, so
	 * seeing it cleared means seeing the new state (acquire/release). */
	if (!__atomic_load_n(&m->reset_requested, __ATOMIC_ACQUIRE) &&
	    atomic_load(&m->run_state) == MACHINE_RUNNING)
		return true;
	pthread_mutex_lock(&m->lock);
	m->parked++;
	pthread_cond_broadcast(&m->cond);
	while ((m->state != MACHINE_RUNNING || m->reset_requested) && m->state != MACHINE_STOPPED)
		pthread_cond_wait(&m->cond, &m->lock);
	m->parked--;
	bool run = m->state == MACHINE_RUNNING;
	pthread_mutex_unlock(&m->lock);
	return run;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct machine *m = v->m;
	for (;;) {
		if (!wait_running(v))
			break;
		pthread_mutex_lock(&v->halt_lock);
		v->wake = false;
		pthread_mutex_unlock(&v->halt_lock);
		enum vcpu_exit e = m->cpu->vcpu_run(v);
		switch (e) {
		case VCPU_EXIT_KICK:
			atomic_store(&v->kicked, false);
			if (atomic_exchange(&v->probe, false) && halted_for_good(v, true) &&
			    atomic_fetch_add(&m->probe_dead, 1) + 1 == m->nvcpus) {
				LOG(m->log, LOG_INFO, "machine",
				    "every vCPU halted with interrupts disabled: the guest is off");
				machine_request_stop(m, STOP_POWEROFF, EXIT_POWEROFF);
			}
			break;
		case VCPU_EXIT_HLT: {
			/* HLT with interrupts disabled on every vCPU: nothing can wake
			 * the machine (no NMI source but the vCPUs themselves), so it
			 * is off (INTERFACE.md: exit status 0). */
			bool dead = halted_for_good(v, false);
			if (dead && atomic_fetch_add(&m->dead_halted, 1) + 1 == m->nvcpus) {
				LOG(m->log, LOG_INFO, "machine",
				    "every vCPU halted with interrupts disabled: the guest is off");
				machine_request_stop(m, STOP_POWEROFF, EXIT_POWEROFF);
			}
			wait_halted(v);
			if (dead)
				atomic_fetch_sub(&m->dead_halted, 1);
			break;
		}
		case VCPU_EXIT_SHUTDOWN:
			LOG(m->log, LOG_ERROR, "cpu", "vCPU %u: triple fault (shutdown)", v->index);
			machine_request_stop(m, STOP_FAILURE, EXIT_FAILURE_VM);
			break;
		case VCPU_EXIT_DEBUG:
			/* No debugger attached: carry on. */
			break;
		case VCPU_EXIT_ERROR:
			LOG(m->log, LOG_ERROR, "cpu", "vCPU %u: internal error, stopping the VM",
			    v->index);
			machine_request_stop(m, STOP_FAILURE, EXIT_FAILURE_VM);
			break;
		}
	}
	return NULL;
}

int vcpu_thread_start(struct vcpu *v)
{
	return -pthread_create(&v->thread, NULL, vcpu_thread, v);
}

void vcpu_kick(struct vcpu *v)
{
	atomic_store(&v->kicked, true);
	v->m->cpu->vcpu_kick(v);
	pthread_mutex_lock(&v->halt_lock);
	pthread_cond_signal(&v->halt_cond);
	pthread_mutex_unlock(&v->halt_lock);
}
