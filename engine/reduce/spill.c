/*
 * spill.c: the spill directory's name, creation on first use, lock, removal,
 * and the sweep of killed jobs' directories (see spill.h for the design).
 */
#include "engine/base/ngc.h"
#include "engine/reduce/spill.h"
#include "engine/base/log.h"
#include "engine/base/tmpname.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define NGC_SPILL_PREFIX "ngram-count-spill."
#define NGC_SPILL_RANDOM 6
#define NGC_SPILL_SHOW 100
/* Descriptors a process keeps besides its merges: stdio, its channel, event
 * loop and pool wakeups, the spill directory, the output. */
#define NGC_SPILL_FD_RESERVE 16
/* 64 KiB of buffer per run read: a merge reads at most 16 MiB at once. */
#define NGC_SPILL_FAN_IN_MAX 256

struct ngc_spill_s {
    char *tmp_dir;                 /* --tmp-dir, as given */
    char name[256];                /* ngram-count-spill.PID.XXXXXX, or ngc_spill_at's */
    char show[NGC_SPILL_SHOW + 8]; /* tmp_dir/name for messages, shortened */
    pthread_mutex_t mu;            /* guards fd and fd_pid among this process's threads */
    int fd;                        /* this process's descriptor of the directory, or -1 */
    pid_t fd_pid;                  /* the process fd was opened in (a fork's copy is stale) */
};

/* "dir/name" for a message, keeping the end (the name) when it is long. */
static void ngc_spill_shorten(char *buf, size_t cap, const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    if (dl + 1 + nl <= NGC_SPILL_SHOW)
        snprintf(buf, cap, "%s/%s", dir, name);
    else if (nl + 4 >= NGC_SPILL_SHOW)
        snprintf(buf, cap, ".../%s", name);
    else
        snprintf(buf, cap, "...%s/%s", dir + dl - (NGC_SPILL_SHOW - 4 - nl), name);
}

/* A shortened form of a directory path alone, for messages. */
static const char *ngc_spill_dir_show(const char *dir, char *buf, size_t cap)
{
    size_t dl = strlen(dir);
    if (dl <= NGC_SPILL_SHOW)
        return dir;
    snprintf(buf, cap, "...%s", dir + dl - (NGC_SPILL_SHOW - 3));
    return buf;
}

ngc_spill_t *ngc_spill_new(const char *tmp_dir)
{
    ngc_spill_t *s = calloc(1, sizeof(*s));
    if (s == NULL || (s->tmp_dir = strdup(tmp_dir)) == NULL) {
        free(s);
        return NULL;
    }
    char suffix[NGC_SPILL_RANDOM + 1];
    ngc_tmpname_suffix(suffix, NGC_SPILL_RANDOM);
    snprintf(s->name, sizeof(s->name), NGC_SPILL_PREFIX "%ld.%s", (long)getpid(), suffix);
    ngc_spill_shorten(s->show, sizeof(s->show), tmp_dir, s->name);
    s->fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

ngc_spill_t *ngc_spill_at(const char *parent, const char *name)
{
    if (strlen(name) > 200)
        return NULL;
    ngc_spill_t *s = calloc(1, sizeof(*s));
    if (s == NULL || (s->tmp_dir = strdup(parent)) == NULL) {
        free(s);
        return NULL;
    }
    snprintf(s->name, sizeof(s->name), "%s", name);
    ngc_spill_shorten(s->show, sizeof(s->show), parent, s->name);
    s->fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void ngc_spill_free(ngc_spill_t *s)
{
    if (s == NULL)
        return;
    if (s->fd >= 0 && s->fd_pid == getpid())
        close(s->fd);
    pthread_mutex_destroy(&s->mu);
    free(s->tmp_dir);
    free(s);
}

const char *ngc_spill_show(const ngc_spill_t *s)
{
    return s->show;
}

/* Opens (creating it if need be) and locks the directory; mutex held. */
static int ngc_spill_open(ngc_spill_t *s, char *err, size_t cap)
{
    char shown[NGC_SPILL_SHOW + 8];
    int tfd = open(s->tmp_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (tfd < 0 || (mkdirat(tfd, s->name, 0700) != 0 && errno != EEXIST)) {
        snprintf(err, cap,
                 "%s: cannot create a directory for spilled runs: %s (--tmp-dir names"
                 " another place)",
                 ngc_spill_dir_show(s->tmp_dir, shown, sizeof(shown)), strerror(errno));
        if (tfd >= 0)
            close(tfd);
        return -1;
    }
    int fd = openat(tfd, s->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    close(tfd);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) != 0)
        e = errno;
    else if (fd >= 0 && st.st_uid != geteuid())
        e = EPERM; /* not the directory this job made: someone else's */
    else if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) != 0)
        e = errno;
    else if (fd >= 0)
        return fd;
    snprintf(err, cap, "%s: cannot open the spill directory: %s", s->show, strerror(e));
    if (fd >= 0)
        close(fd);
    return -1;
}

int ngc_spill_fd(ngc_spill_t *s, char *err, size_t cap)
{
    pthread_mutex_lock(&s->mu);
    if (s->fd < 0 || s->fd_pid != getpid()) {
        /* A forked copy's descriptor is not ours (children close them). */
        s->fd = ngc_spill_open(s, err, cap);
        s->fd_pid = getpid();
    }
    int fd = s->fd;
    pthread_mutex_unlock(&s->mu);
    return fd;
}

/* Empties directory fd (taking it over) and removes it as `name` in tfd. */
static void ngc_spill_rmtree(int tfd, const char *name, int fd)
{
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    /* Again until a pass removes nothing: entries removed while reading a
     * directory may make readdir skip others. */
    for (bool removed = true; removed;) {
        removed = false;
        rewinddir(d);
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                removed |= unlinkat(dirfd(d), de->d_name, 0) == 0;
    }
    unlinkat(tfd, name, AT_REMOVEDIR);
    closedir(d);
}

void ngc_spill_remove(ngc_spill_t *s)
{
    if (s == NULL)
        return;
    int tfd = open(s->tmp_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (tfd < 0)
        return;
    int fd = openat(tfd, s->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        ngc_spill_rmtree(tfd, s->name, fd);
    close(tfd);
}

/* The coordinator pid in a spill directory's name, or 0 if it is not one. */
static long ngc_spill_name_pid(const char *name)
{
    size_t plen = sizeof(NGC_SPILL_PREFIX) - 1;
    if (strncmp(name, NGC_SPILL_PREFIX, plen) != 0)
        return 0;
    const char *p = name + plen;
    long pid = 0;
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 10; p++, digits++)
        pid = pid * 10 + (*p - '0');
    if (digits == 0 || *p != '.' || strlen(p + 1) != NGC_SPILL_RANDOM)
        return 0;
    for (const char *r = p + 1; *r != '\0'; r++)
        if (strchr(NGC_TMPNAME_CHARS, *r) == NULL)
            return 0;
    return pid;
}

void ngc_spill_sweep(const char *tmp_dir)
{
    int tfd = open(tmp_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (tfd < 0)
        return;
    int lfd = dup(tfd);
    DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
    if (d == NULL) {
        if (lfd >= 0)
            close(lfd);
        close(tfd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        long pid = ngc_spill_name_pid(de->d_name);
        /* A live coordinator (ours included) keeps its directory, even
         * between its workers' exit and its own use of their runs. */
        if (pid <= 0 || pid == (long)getpid() || pid > (long)INT32_MAX ||
            kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        int fd = openat(tfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat st;
        /* Another user's, or held by a process of its job: not ours to take. */
        if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || flock(fd, LOCK_EX | LOCK_NB) != 0) {
            close(fd);
            continue;
        }
        char shown[NGC_SPILL_SHOW + 8];
        ngc_spill_shorten(shown, sizeof(shown), tmp_dir, de->d_name);
        ngc_spill_rmtree(tfd, de->d_name, fd);
        ngc_log_user(0, "removed spill directory '%s' left by a killed run (pid %ld)", shown, pid);
    }
    closedir(d);
    close(tfd);
}

void ngc_spill_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && rl.rlim_max == RLIM_INFINITY) {
        rl.rlim_cur = 1u << 20; /* the kernel's usual nr_open */
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

size_t ngc_spill_fan_in(unsigned merges)
{
    struct rlimit rl;
    uint64_t limit = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        limit = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
    /* Each merge also writes a run, and its thread may hold an input file
     * and a database connection. */
    uint64_t per = limit > NGC_SPILL_FD_RESERVE
                       ? (limit - NGC_SPILL_FD_RESERVE) / (merges ? merges : 1)
                       : 0;
    per = per > 3 ? per - 3 : 0;
    if (per < 2)
        per = 2;
    return per < NGC_SPILL_FAN_IN_MAX ? (size_t)per : NGC_SPILL_FAN_IN_MAX;
}
