/*
 * plan.c: input checks and task splitting.
 */
#include "engine/base/ngc.h"
#include "engine/coordinator/plan.h"
#include "workers/format.h"
#include "engine/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* A path that names one of this process's descriptors: a worker, which
 * keeps only stdio, would open another file or none. */
static bool ngc_plan_process_path(const char *path)
{
    return strncmp(path, "/dev/fd/", 8) == 0 || strncmp(path, "/proc/", 6) == 0 ||
           strcmp(path, "/dev/stdin") == 0;
}

static int ngc_plan_probe(const char *path, ngc_file_t *f, bool *splittable)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        /* EINTR: a stop signal ended the wait for a FIFO's writer; main says so. */
        if (errno != EINTR)
            ngc_log_file(errno, path, "cannot open");
        return NGC_ERROR;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        ngc_log_file(errno, path, "cannot stat");
        close(fd);
        return NGC_ERROR;
    }
    if (S_ISDIR(st.st_mode)) {
        ngc_log_file(0, path, "is a directory: name the files in it (%s/*)", path);
        close(fd);
        return NGC_ERROR;
    }
    bool reg = S_ISREG(st.st_mode);
    f->size = reg ? (uint64_t)st.st_size : 0;
    f->rereadable = reg;
    f->passed = !reg || ngc_plan_process_path(path);
    /* Size 0 may be a lie (procfs): such a file is streamed, read to its end. */
    *splittable = reg && f->size > 0;
    f->packed = false;
    if (*splittable) {
        unsigned char magic[NGC_PACK_MAGIC];
        ssize_t n;
        do
            n = pread(fd, magic, sizeof(magic), 0);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            ngc_log_file(errno, path, "cannot read");
            close(fd);
            return NGC_ERROR;
        }
        f->packed = n > 0 && ngc_format_pack(magic, (size_t)n) != NGC_PACK_NONE;
    }
    if (f->passed)
        f->fd = fd;
    else
        close(fd);
    return NGC_OK;
}

ngc_plan_t *ngc_plan_new(const ngc_config_t *cfg)
{
    ngc_plan_t *plan = calloc(1, sizeof(*plan));
    if (plan == NULL)
        return NULL;
    plan->nfiles = cfg->ninputs;
    plan->files = calloc(cfg->ninputs, sizeof(*plan->files));
    bool *split = calloc(cfg->ninputs, sizeof(*split));
    if (plan->files == NULL || split == NULL)
        goto fail;
    for (unsigned i = 0; i < cfg->ninputs; i++)
        plan->files[i].fd = -1;
    uint64_t ntasks = 0;
    for (unsigned i = 0; i < cfg->ninputs; i++) {
        ngc_file_t *f = &plan->files[i];
        f->path = cfg->inputs[i];
        if (strlen(f->path) > NGC_MSG_PATH_MAX) {
            ngc_log_user(ENAMETOOLONG, "cannot use '%.64s...'", f->path);
            goto fail;
        }
        if (strcmp(f->path, "-") == 0) {
            f->ntasks = 1;
        } else if (ngc_format_url(f->path)) {
            /* Streamed by its one task's worker; fetched again on a retry. */
            f->ntasks = 1;
            f->rereadable = true;
        } else {
            if (ngc_plan_probe(f->path, f, &split[i]) != NGC_OK)
                goto fail;
            /* A chunk larger than the file is one task; no rounding up
             * that could wrap. */
            uint64_t n = 1;
            if (split[i] && !f->packed)
                n = f->size / cfg->chunk_size + (f->size % cfg->chunk_size != 0);
            if (n > UINT32_MAX / 2) {
                ngc_log_file(0, f->path, "would make too many tasks: use a larger --chunk-size");
                goto fail;
            }
            f->ntasks = (uint32_t)n;
        }
        f->first_task = (uint32_t)ntasks;
        ntasks += f->ntasks;
        if (__builtin_add_overflow(plan->total_bytes, f->size, &plan->total_bytes))
            plan->total_bytes = UINT64_MAX;
        if (ntasks > UINT32_MAX / 2) {
            ngc_log_user(0, "too many tasks; use a larger --chunk-size");
            goto fail;
        }
    }
    plan->ntasks = (uint32_t)ntasks;
    plan->tasks = calloc(ntasks ? ntasks : 1, sizeof(*plan->tasks));
    if (plan->tasks == NULL) {
        ngc_log_user(ENOMEM, "cannot plan %llu tasks; use a larger --chunk-size",
                     (unsigned long long)ntasks);
        goto fail;
    }
    for (unsigned i = 0; i < plan->nfiles; i++) {
        ngc_file_t *f = &plan->files[i];
        for (uint32_t k = 0; k < f->ntasks; k++) {
            ngc_task_t *t = &plan->tasks[f->first_task + k];
            t->file_id = i;
            if (strcmp(f->path, "-") == 0) {
                t->kind = NGC_TASK_MAP_STDIN;
            } else if (split[i] && !f->packed) {
                /* k < ntasks, so the offset is below the size. */
                t->kind = NGC_TASK_MAP_PLAIN;
                t->offset = (uint64_t)k * cfg->chunk_size;
                t->length = f->size - t->offset < cfg->chunk_size ? f->size - t->offset
                                                                  : cfg->chunk_size;
            } else {
                t->kind = NGC_TASK_MAP_STREAM;
            }
        }
    }
    free(split);
    return plan;

fail:
    free(split);
    ngc_plan_free(plan);
    return NULL;
}

void ngc_plan_free(ngc_plan_t *plan)
{
    if (plan == NULL)
        return;
    for (unsigned i = 0; plan->files != NULL && i < plan->nfiles; i++)
        if (plan->files[i].fd >= 0)
            close(plan->files[i].fd);
    free(plan->files);
    free(plan->tasks);
    free(plan);
}

uint64_t ngc_plan_task_bytes(const ngc_plan_t *plan, uint32_t id)
{
    const ngc_task_t *t = &plan->tasks[id];
    const ngc_file_t *f = &plan->files[t->file_id];
    if (t->kind == NGC_TASK_MAP_PLAIN)
        return t->length;
    return f->rereadable ? f->size : 0;
}

bool ngc_plan_retriable(const ngc_plan_t *plan, uint32_t id)
{
    return plan->files[plan->tasks[id].file_id].rereadable;
}

void ngc_plan_describe(const ngc_plan_t *plan, uint32_t id, char *buf, size_t cap)
{
    const ngc_task_t *t = &plan->tasks[id];
    const char *path = plan->files[t->file_id].path;
    if (t->kind == NGC_TASK_MAP_STDIN)
        snprintf(buf, cap, "standard input");
    else if (t->kind == NGC_TASK_MAP_PLAIN)
        snprintf(buf, cap, "'%s' bytes %llu-%llu", path, (unsigned long long)t->offset,
                 (unsigned long long)(t->offset + t->length - (t->length > 0)));
    else
        snprintf(buf, cap, "'%s'", path);
}

void ngc_plan_task_msg(const ngc_plan_t *plan, uint32_t id, uint32_t attempt, ngc_msg_task_t *msg)
{
    ngc_assert(id < plan->ntasks);
    const ngc_task_t *t = &plan->tasks[id];
    const ngc_file_t *f = &plan->files[t->file_id];
    memset(msg, 0, offsetof(ngc_msg_task_t, path));
    msg->task_id = id;
    msg->attempt = attempt;
    msg->kind = t->kind;
    msg->offset = t->offset;
    msg->length = t->length;
    msg->file_id = t->file_id;
    msg->flags = f->passed && t->kind != NGC_TASK_MAP_STDIN ? NGC_TASK_FD : 0;
    if (t->kind == NGC_TASK_MAP_STDIN) {
        msg->path_len = 0;
    } else {
        size_t len = strlen(f->path);
        msg->path_len = (uint32_t)len;
        memcpy(msg->path, f->path, len);
    }
    msg->path[msg->path_len] = '\0';
}

int ngc_plan_task_fd(ngc_plan_t *plan, uint32_t id)
{
    ngc_assert(id < plan->ntasks);
    ngc_file_t *f = &plan->files[plan->tasks[id].file_id];
    ngc_assert(f->passed);
    if (f->fd < 0) {
        errno = EBADF; /* a pipe handed over already */
        return -1;
    }
    if (!f->rereadable) {
        int fd = f->fd;
        f->fd = -1;
        return fd;
    }
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/fd/%d", f->fd);
    return open(self, O_RDONLY | O_CLOEXEC);
}

/* Newlines in the first `end` bytes of a plain file. */
static int ngc_plan_count_newlines(const ngc_file_t *f, uint64_t end, uint64_t *out)
{
    int fd = f->fd >= 0 ? f->fd : open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NGC_ERROR;
    char buf[1 << 16];
    uint64_t pos = 0, n = 0;
    while (pos < end) {
        size_t want = end - pos < sizeof(buf) ? (size_t)(end - pos) : sizeof(buf);
        ssize_t got = pread(fd, buf, want, (off_t)pos);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (fd != f->fd)
                close(fd);
            return NGC_ERROR;
        }
        for (const char *p = buf, *e = buf + got; (p = memchr(p, '\n', (size_t)(e - p))); p++)
            n++;
        pos += (uint64_t)got;
    }
    if (fd != f->fd)
        close(fd);
    *out = n;
    return NGC_OK;
}

int ngc_plan_file_line(const ngc_plan_t *plan, uint32_t id, uint64_t line, uint64_t *out)
{
    ngc_assert(id < plan->ntasks);
    const ngc_task_t *t = &plan->tasks[id];
    const ngc_file_t *f = &plan->files[t->file_id];
    uint64_t before = 0;
    bool known = true;
    for (uint32_t k = f->first_task; k < id; k++) {
        if (!plan->tasks[k].counted) {
            known = false;
            break;
        }
        before += plan->tasks[k].lines;
    }
    if (!known && t->offset > 0) {
        /* Lines starting before offset: the first, and one after each
         * newline up to offset - 2. Only a plain file's tasks start past 0:
         * a pipe is never read twice. */
        ngc_assert(t->kind == NGC_TASK_MAP_PLAIN);
        if (ngc_plan_count_newlines(f, t->offset - 1, &before) != NGC_OK)
            return NGC_ERROR;
        before++;
    } else if (!known) {
        before = 0;
    }
    *out = before + line;
    return NGC_OK;
}
