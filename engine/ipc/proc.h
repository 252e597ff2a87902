/*
 * proc.h: spawns worker processes (nginx's ngx_spawn_process shape): a
 * process table, and a CLOEXEC/NONBLOCK socketpair per child.
 *
 * DESIGN: the coordinator owns the table. A child closes every other
 * child's channel it inherited, asks to be killed when the coordinator dies
 * (PR_SET_PDEATHSIG), and runs fn, whose return value is its exit status.
 */
#ifndef NGC_ENGINE_IPC_PROC_H
#define NGC_ENGINE_IPC_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* Runs in the child; returns the exit status. fd is its end of the channel. */
typedef int (*ngc_proc_fn)(unsigned slot, int fd, void *arg);

typedef struct {
    pid_t pid; /* 0 when the slot is free */
    int fd;    /* the coordinator's end of the socketpair, -1 when none */
    bool exited;
    int status; /* waitpid status once exited */
} ngc_proc_t;

typedef struct {
    ngc_proc_t proc[256];
    unsigned n;
} ngc_proc_table_t;

void ngc_proc_table_init(ngc_proc_table_t *pt, unsigned n);
/* Forks the child of `slot`. NGC_OK or NGC_ERROR (logged). Coordinator only. */
int ngc_proc_spawn(ngc_proc_table_t *pt, unsigned slot, ngc_proc_fn fn, void *arg);
/* Reaps exited children without blocking; returns how many. Coordinator only. */
unsigned ngc_proc_reap(ngc_proc_table_t *pt);
/* Kills (SIGKILL) slot's child unless it has exited, and reaps it.
 * Coordinator only. */
void ngc_proc_kill(ngc_proc_table_t *pt, unsigned slot);
/* The coordinator's end of slot's channel, now the caller's; -1 when taken. */
int ngc_proc_take_fd(ngc_proc_table_t *pt, unsigned slot);
/* Whether slot's child has been reaped (or never started). */
bool ngc_proc_exited(const ngc_proc_table_t *pt, unsigned slot);
/* Slot's child's pid (0 when none) and, once reaped, its waitpid status. */
pid_t ngc_proc_pid(const ngc_proc_table_t *pt, unsigned slot);
int ngc_proc_status(const ngc_proc_table_t *pt, unsigned slot);
/* Kills (SIGKILL) and waits for every child still running. */
void ngc_proc_kill_all(ngc_proc_table_t *pt);
/* Blocks until every child has exited. */
void ngc_proc_wait_all(ngc_proc_table_t *pt);
/* "exited with status 3", "killed by signal 9 (Killed)" */
void ngc_proc_describe(int status, char *buf, size_t cap);

#endif
