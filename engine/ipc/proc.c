/*
 * proc.c: fork with a socketpair per child. The child never returns into the
 * caller's code: it _exit()s with fn's status, so no atexit handler or stdio
 * buffer of the coordinator runs twice.
 */
#include "engine/base/ngc.h"
#include "engine/ipc/proc.h"
#include "engine/base/log.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/close_range.h>
#include <sys/wait.h>
#include <unistd.h>

_Static_assert(NGC_MAX_WORKERS <= 256, "process table size");

void ngc_proc_table_init(ngc_proc_table_t *pt, unsigned n)
{
    memset(pt, 0, sizeof(*pt));
    pt->n = n;
    for (unsigned i = 0; i < NGC_NELEMS(pt->proc); i++)
        pt->proc[i].fd = -1;
}

static void ngc_proc_child_setup(int keep_fd, pid_t parent)
{
    /* Everything inherited but stdio and our channel: other workers'
     * channels (they must see EOF when the coordinator dies), the
     * coordinator's epoll and signal fds, the output file. */
    if (keep_fd > 3)
        close_range(3, (unsigned)keep_fd - 1, 0);
    close_range((unsigned)keep_fd + 1, ~0u, 0);
    /* Die with the coordinator, even by SIGKILL; and catch a race with it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    /* A terminal's ^C or hangup reaches the whole process group: the
     * coordinator handles it and stops the workers. */
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGTERM, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

int ngc_proc_spawn(ngc_proc_table_t *pt, unsigned slot, ngc_proc_fn fn, void *arg)
{
    ngc_assert(slot < pt->n);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        ngc_log_error(errno, "socketpair() failed for worker %u", slot);
        return NGC_ERROR;
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        ngc_log_error(err, "fork() failed for worker %u", slot);
        close(sv[0]);
        close(sv[1]);
        return NGC_ERROR;
    }
    if (pid == 0) {
        close(sv[0]);
        ngc_proc_child_setup(sv[1], parent);
        _exit(fn(slot, sv[1], arg));
    }
    close(sv[1]);
    pt->proc[slot] = (ngc_proc_t){.pid = pid, .fd = sv[0], .exited = false, .status = 0};
    return NGC_OK;
}

unsigned ngc_proc_reap(ngc_proc_table_t *pt)
{
    unsigned n = 0;
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            if (pid < 0 && errno == EINTR)
                continue;
            return n;
        }
        for (unsigned i = 0; i < pt->n; i++) {
            if (pt->proc[i].pid == pid && !pt->proc[i].exited) {
                pt->proc[i].exited = true;
                pt->proc[i].status = status;
                n++;
            }
        }
    }
}

void ngc_proc_kill(ngc_proc_table_t *pt, unsigned slot)
{
    ngc_assert(slot < pt->n);
    ngc_proc_t *p = &pt->proc[slot];
    if (p->pid <= 0 || p->exited)
        return;
    kill(p->pid, SIGKILL);
    int status = 0;
    pid_t r;
    while ((r = waitpid(p->pid, &status, 0)) < 0 && errno == EINTR)
        ;
    p->exited = true;
    p->status = r == p->pid ? status : 0;
}

int ngc_proc_take_fd(ngc_proc_table_t *pt, unsigned slot)
{
    ngc_assert(slot < pt->n);
    int fd = pt->proc[slot].fd;
    pt->proc[slot].fd = -1;
    return fd;
}

bool ngc_proc_exited(const ngc_proc_table_t *pt, unsigned slot)
{
    ngc_assert(slot < pt->n);
    return pt->proc[slot].pid <= 0 || pt->proc[slot].exited;
}

pid_t ngc_proc_pid(const ngc_proc_table_t *pt, unsigned slot)
{
    ngc_assert(slot < pt->n);
    return pt->proc[slot].pid;
}

int ngc_proc_status(const ngc_proc_table_t *pt, unsigned slot)
{
    ngc_assert(slot < pt->n);
    return pt->proc[slot].status;
}

void ngc_proc_wait_all(ngc_proc_table_t *pt)
{
    for (unsigned i = 0; i < pt->n; i++) {
        ngc_proc_t *p = &pt->proc[i];
        while (p->pid > 0 && !p->exited) {
            int status;
            pid_t r = waitpid(p->pid, &status, 0);
            if (r == p->pid) {
                p->exited = true;
                p->status = status;
            } else if (r < 0 && errno != EINTR) {
                p->exited = true; /* not our child any more */
            }
        }
    }
}

void ngc_proc_kill_all(ngc_proc_table_t *pt)
{
    for (unsigned i = 0; i < pt->n; i++)
        if (pt->proc[i].pid > 0 && !pt->proc[i].exited)
            kill(pt->proc[i].pid, SIGKILL);
    ngc_proc_wait_all(pt);
}

void ngc_proc_describe(int status, char *buf, size_t cap)
{
    if (WIFEXITED(status))
        snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, cap, "ended with status 0x%x", (unsigned)status);
}
