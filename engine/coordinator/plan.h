/*
 * plan.h: the job plan: every input file checked and cut into map tasks.
 * A plain regular file becomes byte ranges of --chunk-size, each owning the
 * lines that start inside it (Hadoop's rule); a compressed file, a pipe or
 * standard input is one streamed task. Built by the coordinator before any
 * worker starts, so a missing file fails the job before work begins.
 *
 * Every input is opened here once. A pipe or device (a FIFO, /dev/stdin,
 * <(...)) stays open, and its descriptor goes to the worker of its one task
 * with the task (NGC_TASK_FD): opened a second time it would hang or lose
 * what the first open read. So does a file named through one of our
 * descriptors (/dev/fd/N), which means nothing in a worker.
 */
#ifndef NGC_ENGINE_COORDINATOR_PLAN_H
#define NGC_ENGINE_COORDINATOR_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/base/config.h"
#include "engine/ipc/msg.h"

/* A map task's input; where it runs and how often it failed is the
 * scheduler's (sched.h), as for every phase's tasks. */
typedef struct {
    uint32_t file_id;
    ngc_task_kind_t kind;
    uint64_t offset;
    uint64_t length;
    bool counted;   /* done: lines below is known */
    uint64_t lines; /* lines owned, once done */
} ngc_task_t;

typedef struct {
    const char *path;    /* borrowed from argv; "-" for standard input */
    uint64_t size;       /* bytes on disk, 0 if unknown */
    bool packed;         /* compressed (gzip, zip, bzip2, xz, zstd): one streamed task */
    bool rereadable;     /* a regular file: a failed task can read it again */
    bool passed;         /* its tasks read a descriptor the coordinator sends */
    int fd;              /* that descriptor while the plan holds it, else -1 */
    ngc_format_t format; /* as its tasks read it; AUTO until one reports */
    uint32_t first_task;
    uint32_t ntasks;
    uint32_t tasks_done; /* tasks that reported DONE, with their sums: */
    uint64_t lines;
    uint64_t malformed;
} ngc_file_t;

typedef struct {
    ngc_file_t *files;
    unsigned nfiles;
    ngc_task_t *tasks;
    uint32_t ntasks;
    uint64_t total_bytes; /* of the inputs, for progress */
} ngc_plan_t;

/* Checks every input and plans its tasks; NULL after a message naming the
 * file. Opening a FIFO waits for its writer, as cat(1) does. Coordinator
 * only, before fork. */
ngc_plan_t *ngc_plan_new(const ngc_config_t *cfg);
void ngc_plan_free(ngc_plan_t *plan);
/* The input bytes task `id` reads: its range of a plain file, a compressed
 * file's size on disk; 0 when not known ahead (a pipe, standard input). */
uint64_t ngc_plan_task_bytes(const ngc_plan_t *plan, uint32_t id);
/* Whether task `id` can run again after a failed attempt: not when its
 * input was a pipe or standard input, already consumed. */
bool ngc_plan_retriable(const ngc_plan_t *plan, uint32_t id);
/* "'file' bytes 0-8388607" or "'file'" for messages. */
void ngc_plan_describe(const ngc_plan_t *plan, uint32_t id, char *buf, size_t cap);
/* Fills msg with task `id`, for its attempt `attempt` (1 for the first). */
void ngc_plan_task_msg(const ngc_plan_t *plan, uint32_t id, uint32_t attempt, ngc_msg_task_t *msg);
/* The descriptor to send with task `id` when its msg has NGC_TASK_FD, now
 * the caller's: a pipe's own, given up (its one task cannot be retried), or
 * a file's reopened (its own offset for each attempt). -1 (errno) when it
 * cannot be had. Coordinator only. */
int ngc_plan_task_fd(ngc_plan_t *plan, uint32_t id);
/*
 * Turns a line number counted from a task's first line into one counted from
 * the file's first line: from the line counts of the file's earlier tasks
 * when all are done, else by counting newlines up to the task's offset.
 */
int ngc_plan_file_line(const ngc_plan_t *plan, uint32_t id, uint64_t line, uint64_t *out);

#endif
