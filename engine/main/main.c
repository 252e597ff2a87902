/*
 * main.c: ngram-count. Parses the options, plans the job, maps the shared
 * region, forks the workers, runs the coordinator, writes the result. The
 * only place that decides the exit status.
 */
#include "engine/base/ngc.h"
#include "engine/base/config.h"
#include "engine/coordinator/coordinator.h"
#include "engine/base/failpoint.h"
#include "engine/base/log.h"
#include "engine/reduce/output.h"
#include "engine/coordinator/pg.h"
#include "engine/coordinator/plan.h"
#include "engine/coordinator/plot.h"
#include "engine/ipc/proc.h"
#include "engine/coordinator/progress.h"
#include "engine/coordinator/series.h"
#include "engine/reduce/shuffle.h"
#include "engine/reduce/counters.h"
#include "engine/reduce/shm.h"
#include "engine/reduce/spill.h"
#include "engine/ipc/stats.h"
#include "engine/main/streaming.h"
#include "engine/coordinator/summary.h"
#include "workers/pgload.h"
#include "workers/worker.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

static volatile sig_atomic_t ngc_main_signal;

static void ngc_main_on_signal(int sig)
{
    if (!ngc_main_signal)
        ngc_main_signal = sig;
}

/*
 * Outside the coordinator's loop (planning, setting up, writing the output)
 * a stop signal only sets ngc_main_signal, checked at each step, so the run
 * still stops cleanly and leaves nothing. No SA_RESTART: an open() of a
 * FIFO without a writer or a write() to a stalled reader returns EINTR.
 */
static void ngc_main_catch_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = ngc_main_on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NGC_NELEMS(sigs); i++)
        sigaction(sigs[i], &sa, NULL);
}

static double ngc_main_elapsed(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The message and status of a run stopped by sig; out may be NULL. */
static int ngc_main_signal_exit(int sig, const ngc_output_t *out)
{
    uint64_t lines;
    bool complete;
    if (out != NULL && ngc_output_sent(out, &lines, &complete)) {
        /* Lines already went to a reader: say so, not "no output". */
        const char *name = ngc_output_name(out);
        const char *q = strcmp(name, "standard output") != 0 ? "'" : "";
        ngc_log_user(0, "%s: stopped, output %s (%llu lines written to %s%s%s)",
                     ngc_coord_signal_name(sig),
                     complete ? "complete but the job not committed" : "incomplete",
                     (unsigned long long)lines, q, name, q);
    } else
        ngc_log_user(0, "%s: stopped, no output written", ngc_coord_signal_name(sig));
    return NGC_EXIT_SIGNAL(sig);
}

/* --lookup and --pg-jobs: queries, no job. */
static int ngc_main_query(const ngc_config_t *cfg)
{
    ngc_pg_t *pg = ngc_pg_connect(cfg);
    if (pg == NULL)
        return NGC_EXIT_FAILURE;
    int status = NGC_EXIT_OK;
    if (cfg->pg_jobs && ngc_pg_list_jobs(pg) != NGC_OK)
        status = NGC_EXIT_FAILURE;
    if (cfg->nlookups > 0 && status == NGC_EXIT_OK) {
        unsigned found = 0;
        if (ngc_pg_lookup(pg, cfg->lookups, cfg->nlookups, &found) != NGC_OK || found == 0)
            status = NGC_EXIT_FAILURE;
    }
    ngc_pg_free(pg);
    return status;
}

/* With --by-year and a series option: checks the plot's place and reads the
 * totals before any work, and sets up the series (*series stays NULL
 * without one). NGC_OK, or NGC_ERROR after a message. */
static int ngc_main_series_new(const ngc_config_t *cfg, ngc_year_totals_t **totals,
                               ngc_series_t **series)
{
    if (!ngc_series_wanted(cfg))
        return NGC_OK;
    if ((cfg->plot != NULL && ngc_plot_check(cfg->plot) != NGC_OK) ||
        (cfg->normalize != NULL && (*totals = ngc_normalize_load_years(cfg->normalize)) == NULL))
        return NGC_ERROR;
    ngc_series_opts_t so;
    ngc_series_opts(&so, cfg, *totals);
    if ((*series = ngc_series_new(&so)) == NULL) {
        ngc_log_user(ENOMEM, "cannot set up the series");
        return NGC_ERROR;
    }
    return NGC_OK;
}

static int ngc_main_series_row(const ngc_entry_t *e, void *arg)
{
    char err[256];
    if (ngc_series_add(arg, e->key, e->len, e->match, e->volume, err, sizeof(err)) != NGC_OK) {
        ngc_log_user(0, "%s", err);
        return NGC_ERROR;
    }
    return NGC_OK;
}

/* --by-year series: the final rows go to the series instead of the output,
 * which then gets every year of each ngram (and --plot its chart). Codes as
 * ngc_output_write. */
static int ngc_main_series(const ngc_config_t *cfg, ngc_output_t *out, ngc_shm_t *shm,
                           ngc_spill_t *spill, ngc_series_t *s)
{
    int rc = ngc_output_each(out, ngc_shm_counters(shm), spill, ngc_main_series_row, s);
    if (rc != NGC_OK)
        return rc;
    char err[512];
    if (ngc_series_finish(s, err, sizeof(err)) != NGC_OK) {
        ngc_log_user(0, "%s", err);
        return NGC_ERROR;
    }
    ngc_line_format_t lf;
    ngc_series_line_format(s, cfg, &lf);
    ngc_output_set_format(out, &lf);
    for (size_t i = 0; i < ngc_series_count(s); i++) {
        size_t len;
        ngc_series_ngram(s, i, &len);
        for (uint32_t y = ngc_series_from(s); y <= ngc_series_to(s); y++) {
            char *dst;
            rc = ngc_output_reserve(out, ngc_output_room(&lf, len + 5), &dst);
            if (rc != NGC_OK)
                return rc;
            ngc_output_advance(out, ngc_series_row(s, &lf, i, y, dst));
        }
    }
    if (cfg->plot != NULL) {
        char title[1024];
        ngc_plot_title(cfg, s, title, sizeof(title));
        if (ngc_plot_write(cfg->plot, s, cfg, title) != NGC_OK)
            return NGC_ERROR;
    }
    return NGC_OK;
}

/* One job's parts, set up in order and freed together at the end;
 * --stats=json reports on whatever got set up. */
typedef struct {
    ngc_config_t *cfg;
    struct timespec t0;
    int status; /* the exit status, NGC_EXIT_FAILURE until decided */
    ngc_pg_t *pg;
    ngc_plan_t *plan;
    ngc_output_t *out;
    ngc_spill_t *spill;
    ngc_shm_t *shm;
    ngc_proc_table_t *procs;
    ngc_coord_t *co;
    ngc_year_totals_t *totals;
    ngc_series_t *series;
    ngc_worker_args_t wargs;
    char stage[160]; /* the PostgreSQL job's staging table */
    ngc_summary_run_t run;
} ngc_main_job_t;

/* The output's progress: lines written of the lines to write. */
typedef struct {
    ngc_progress_t *pg;
    ngc_progress_state_t s;
} ngc_main_progress_t;

static void ngc_main_on_output(void *arg, uint64_t lines)
{
    ngc_main_progress_t *mp = arg;
    mp->s.done = mp->s.lines = lines;
    ngc_progress_update(mp->pg, &mp->s);
    ngc_failpoint_delay();
}

/*
 * Writes the result file (if any) and commits the PostgreSQL job (if any):
 * NGC_OK, NGC_AGAIN (a signal), NGC_EOF (the output's reader left),
 * NGC_ERROR. The file is complete on disk before the job commits, and once
 * the job has committed the file is renamed into place whatever arrives: a
 * late signal no longer undoes a published result.
 */
static int ngc_main_finish(ngc_main_job_t *job)
{
    const ngc_config_t *cfg = job->cfg;
    ngc_output_t *out = job->out;
    ngc_shm_t *shm = job->shm;
    ngc_spill_t *spill = job->spill;
    ngc_pg_t *pg = job->pg;
    ngc_coord_t *co = job->co;
    ngc_series_t *series = job->series;
    /* The loop's signal events are gone; a signal now must still stop cleanly. */
    ngc_main_catch_signals();
    int rc = NGC_OK;
    if (out != NULL) {
        ngc_log_info("workers stopped; writing the output");
        /* No coordinator in --merge-totals: no ranges, no progress bar. */
        ngc_ranges_t *ranges = co != NULL ? ngc_coord_ranges(co) : NULL;
        /* The lines to come: the distinct keys (fewer with --min-count, so
         * the bar may end early, never past the end), at most --top. */
        ngc_stats_totals_t st;
        ngc_stats_read(ngc_shm_stats(shm), -1, &st);
        uint64_t total = ngc_counters_distinct(ngc_shm_counters(shm));
        if (cfg->top != 0 && cfg->top < total)
            total = cfg->top;
        ngc_main_progress_t mp = {co != NULL ? ngc_coord_progress(co) : NULL,
                                  {.phase = ranges != NULL  ? "output"
                                            : st.spills > 0 ? "spill-merge"
                                                            : "merge",
                                   .done = ngc_output_lines(out),
                                   .total = total,
                                   .lines = ngc_output_lines(out)}};
        if (mp.pg != NULL || getenv("NGC_TEST_DELAY_MS") != NULL)
            ngc_output_set_progress(out, ngc_main_on_output, &mp);
        ngc_progress_update(mp.pg, &mp.s);
        rc = series != NULL   ? ngc_main_series(cfg, out, shm, spill, series)
             : ranges != NULL ? ngc_ranges_write(ranges, out)
                              : ngc_output_write(out, ngc_shm_counters(shm), spill);
        ngc_output_set_progress(out, NULL, NULL);
        ngc_progress_clear(mp.pg);
        if (rc == NGC_OK)
            rc = ngc_output_sync(out);
    }
    /* A signal stops the run until the result is published. Once all of it
     * went to standard output (or a device, a FIFO) nothing is left to stop,
     * unless the job is still to commit. */
    uint64_t lines;
    bool complete = false;
    bool delivered = out != NULL && rc == NGC_OK && ngc_output_sent(out, &lines, &complete) &&
                     complete;
    if (rc == NGC_OK && ngc_main_signal && (pg != NULL || !delivered))
        rc = NGC_AGAIN;
    if (rc == NGC_OK && pg != NULL) {
        /* The final Slurm step (no coordinator) read totals, not lines. */
        ngc_coord_totals_t t = {0};
        if (co != NULL)
            ngc_coord_totals(co, &t);
        ngc_pg_counts_t counts = {t.lines, ngc_counters_distinct(ngc_shm_counters(shm)),
                                  t.malformed};
        rc = ngc_pg_commit_job(pg, &counts);
        if (rc == NGC_OK)
            ngc_log_info("PostgreSQL job committed");
        else
            ngc_pg_fail_job(pg, "the final transaction failed");
    }
    if (rc == NGC_OK && out != NULL)
        rc = ngc_output_commit(out);
    return rc;
}

/* The spill directory and the shared region, for ntasks tasks: NULL, or
 * what failed (job->status says a usage error when --memory cannot be
 * mapped). The spill directory is only named now, after our pid; the first
 * process to spill creates it, so a job that never spills never needs
 * --tmp-dir. Removed at the end whatever happens; after a SIGKILL, by the
 * next job's sweep. Merging many runs takes descriptors: the workers
 * inherit the raised limit. */
static const char *ngc_main_workspace(ngc_main_job_t *job, uint32_t ntasks)
{
    ngc_spill_sweep(job->cfg->tmp_dir);
    ngc_log_forget_user(); /* the sweep's notice is no failure */
    ngc_spill_raise_fd_limit();
    job->spill = ngc_spill_new(job->cfg->tmp_dir);
    if (job->spill == NULL) {
        ngc_log_user(ENOMEM, "cannot set up the spill directory");
        return "cannot set up the spill directory";
    }
    bool unmappable;
    job->shm = ngc_shm_new(job->cfg, ntasks, &unmappable);
    if (job->shm == NULL) {
        if (unmappable)
            job->status = NGC_EXIT_USAGE;
        return "cannot map shared memory";
    }
    return NULL;
}

/* The inputs' bytes, or UINT64_MAX when one is not a regular file (a pipe,
 * standard input, a URL: its size is not known ahead). */
static uint64_t ngc_main_input_bytes(const ngc_plan_t *plan)
{
    uint64_t bytes = 0;
    for (unsigned i = 0; i < plan->nfiles; i++) {
        if (!plan->files[i].rereadable)
            return UINT64_MAX;
        bytes += plan->files[i].size;
    }
    return bytes;
}

/* Plans the job and sets up what it writes to: the database (first, so a
 * bad DSN fails before any input is read), the plan, the output, the
 * series, the PostgreSQL job, the spill directory, the shared region.
 * false when the job ends here (job->status says how). */
static bool ngc_main_setup(ngc_main_job_t *job, int argc, char **argv)
{
    ngc_config_t *cfg = job->cfg;
    if (cfg->pg_dsn != NULL && (job->pg = ngc_pg_connect(cfg)) == NULL)
        return false;
    /* A signal during a blocking open (a FIFO) makes these fail quietly. */
    if (ngc_main_signal || (job->plan = ngc_plan_new(cfg)) == NULL) {
        if (ngc_main_signal)
            job->status = ngc_main_signal_exit(ngc_main_signal, NULL);
        return false;
    }
    ngc_config_resolve_workers(cfg, job->plan->ntasks, ngc_main_input_bytes(job->plan));
    /* With --pg the result goes to the table, and to a file only with -o. */
    if (ngc_main_signal || ((job->pg == NULL || cfg->output != NULL) && cfg->partitions == 0 &&
                            (job->out = ngc_output_open(cfg, &ngc_main_signal)) == NULL)) {
        if (ngc_main_signal)
            job->status = ngc_main_signal_exit(ngc_main_signal, NULL);
        return false;
    }
    /* A series: the plot's place and the totals are checked before any work. */
    if (job->out != NULL && ngc_main_series_new(cfg, &job->totals, &job->series) != NGC_OK)
        return false;
    if (job->pg != NULL && ngc_pg_begin_job(job->pg, job->plan, argc, argv, job->stage,
                                            sizeof(job->stage)) != NGC_OK) {
        ngc_pg_fail_job(job->pg, "cannot set up the job");
        return false;
    }
    const char *why = ngc_main_workspace(job, job->plan->ntasks);
    if (why != NULL) {
        ngc_pg_fail_job(job->pg, why);
        return false;
    }
    /* The tasks' sizes let the reduce table guess how many keys will come. */
    for (uint32_t t = 0; t < job->plan->ntasks; t++)
        ngc_counters_set_task_bytes(ngc_shm_counters(job->shm), t,
                                    ngc_plan_task_bytes(job->plan, t));
    return true;
}

/* Forks the workers and makes the coordinator that will drive them. */
static bool ngc_main_start(ngc_main_job_t *job)
{
    ngc_config_t *cfg = job->cfg;
    job->procs = malloc(sizeof(*job->procs));
    if (job->procs == NULL)
        return false;
    ngc_proc_table_init(job->procs, cfg->processes);
    ngc_log_info("planned %u task%s over %u file%s; starting %u worker%s; reduce table %llu bytes",
                 job->plan->ntasks, job->plan->ntasks == 1 ? "" : "s", job->plan->nfiles,
                 job->plan->nfiles == 1 ? "" : "s", cfg->processes, cfg->processes == 1 ? "" : "s",
                 (unsigned long long)cfg->memory);
    job->wargs = (ngc_worker_args_t){cfg,
                                     job->shm,
                                     job->pg != NULL ? job->stage : NULL,
                                     job->spill,
                                     job->out != NULL ? ngc_output_line_format(job->out) : NULL,
                                     ngc_pg_totals(job->pg)};
    for (unsigned i = 0; i < cfg->processes; i++) {
        if (ngc_proc_spawn(job->procs, i, ngc_worker_main, &job->wargs) != NGC_OK) {
            ngc_log_user(0, "cannot start %u worker processes", cfg->processes);
            ngc_proc_kill_all(job->procs);
            ngc_pg_fail_job(job->pg, "cannot start the workers");
            return false;
        }
    }
    job->run.setup_seconds = ngc_main_elapsed(&job->t0);
    job->co = ngc_coord_new(cfg, job->plan, job->shm, job->procs, ngc_worker_main, &job->wargs);
    if (job->co == NULL) {
        ngc_proc_kill_all(job->procs);
        ngc_pg_fail_job(job->pg, "cannot start the coordinator");
        return false;
    }
    /* With --pg the partitions go to the database and the output, if any,
     * is merged in one process. */
    if (job->out != NULL && job->pg == NULL && job->series == NULL)
        ngc_coord_set_output(job->co, job->out);
    return true;
}

/* Runs the coordinator's loop to the end of the last phase. */
static bool ngc_main_count(ngc_main_job_t *job)
{
    /* From here the loop sees every stop signal; one that came earlier is
     * in the flag. */
    ngc_coord_result_t res = NGC_COORD_INTERRUPTED;
    if (ngc_main_signal) {
        ngc_proc_kill_all(job->procs);
        ngc_proc_wait_all(job->procs);
    } else {
        res = ngc_coord_run(job->co);
    }
    if (res == NGC_COORD_OK)
        return true;
    int sig = ngc_main_signal ? ngc_main_signal : ngc_coord_signal(job->co);
    char why[NGC_MSG_PATH_MAX + 1400];
    ngc_coord_failure(job->co, why, sizeof(why));
    ngc_pg_fail_job(job->pg, res == NGC_COORD_INTERRUPTED ? ngc_coord_signal_name(sig) : why);
    if (res == NGC_COORD_INTERRUPTED)
        job->status = ngc_main_signal_exit(sig, NULL);
    return false;
}

/* Writes the result (or a cluster map's partitions), commits the
 * PostgreSQL job, and reports. */
static bool ngc_main_publish(ngc_main_job_t *job)
{
    ngc_config_t *cfg = job->cfg;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ngc_main_catch_signals();
    int rc = cfg->partitions > 0 ? ngc_shuffle_map_write(cfg, ngc_shm_counters(job->shm),
                                                         job->spill, &ngc_main_signal)
                                 : ngc_main_finish(job);
    job->run.output_seconds = ngc_main_elapsed(&t1);
    if (rc == NGC_AGAIN) {
        ngc_pg_fail_job(job->pg, ngc_coord_signal_name(ngc_main_signal));
        job->status = ngc_main_signal_exit(ngc_main_signal ? ngc_main_signal : SIGINT, job->out);
        return false;
    }
    if (rc == NGC_EOF) {
        ngc_pg_fail_job(job->pg, "the reader of the output went away");
        job->status = NGC_EXIT_SIGPIPE; /* like a process killed by SIGPIPE, but cleaned up */
        return false;
    }
    if (rc != NGC_OK)
        return false;
    uint64_t lines = job->out != NULL ? ngc_output_lines(job->out) : 0;
    if (job->out != NULL)
        ngc_log_info("output written: %llu lines", (unsigned long long)lines);
    /* Spilled partitions are empty in memory: a printed line says more. */
    if (cfg->nselects > 0 && lines == 0 && ngc_counters_distinct(ngc_shm_counters(job->shm)) == 0)
        ngc_log_user(0, "note: no ngram matched the selection");
    if (cfg->stats == NGC_STATS_TEXT)
        ngc_summary_print(cfg, job->plan, job->shm, job->co, ngc_main_elapsed(&job->t0), lines);
    else if (cfg->stats == NGC_STATS_NONE)
        ngc_summary_warn_malformed(job->plan, job->shm, job->co);
    return true;
}

/* Frees whatever of the job got set up. */
static void ngc_main_job_free(ngc_main_job_t *job)
{
    ngc_coord_free(job->co);
    free(job->procs);
    ngc_shm_free(job->shm);
    ngc_spill_remove(job->spill);
    ngc_spill_free(job->spill);
    ngc_series_free(job->series);
    free(job->totals);
    ngc_output_free(job->out);
    ngc_plan_free(job->plan);
    ngc_pg_free(job->pg);
}

/* Reports on the job with --stats=json, then frees whatever got set up. */
static void ngc_main_job_end(ngc_main_job_t *job)
{
    if (job->cfg->stats == NGC_STATS_JSON) {
        job->run.plan = job->plan;
        job->run.shm = job->shm;
        job->run.co = job->co;
        job->run.out = job->out;
        job->run.wall_seconds = ngc_main_elapsed(&job->t0);
        job->run.exit_status = job->status;
        job->run.error = job->status != NGC_EXIT_OK ? ngc_log_first_user() : NULL;
        ngc_summary_json(&job->run);
    }
    ngc_main_job_free(job);
}

static int ngc_main_run(ngc_config_t *cfg, int argc, char **argv)
{
    ngc_main_job_t job = {.cfg = cfg, .status = NGC_EXIT_FAILURE, .run = {.cfg = cfg}};
    clock_gettime(CLOCK_MONOTONIC, &job.t0);
    /* A vanished reader of stdout is an EPIPE from write(), not a signal. */
    signal(SIGPIPE, SIG_IGN);
    ngc_main_catch_signals();
    /* A map whose partitions are already there has nothing to do. */
    bool mapped = false;
    bool ok = cfg->partitions == 0 || ngc_shuffle_map_begin(cfg, &mapped) == NGC_OK;
    if (ok && (mapped || (ngc_main_setup(&job, argc, argv) && ngc_main_start(&job) &&
                          ngc_main_count(&job) && ngc_main_publish(&job))))
        job.status = NGC_EXIT_OK;
    ngc_main_job_end(&job);
    return job.status;
}

/* --merge-totals, the final step of a cluster job: the reduces' totals
 * loaded into the table, then written as ngc_main_run writes its own. */
/* --merge-totals --pg: this process COPYs every sorted partition into the
 * job's staging table (there are no workers), then the job commits as any
 * other. NGC_OK, or NGC_ERROR after a message with the job marked failed. */
static int ngc_main_totals_load(const ngc_config_t *cfg, ngc_pg_t *pg, const char *stage,
                                ngc_shm_t *shm, ngc_spill_t *spill)
{
    char err[1024] = "";
    ngc_pgload_t *l = ngc_pgload_new(cfg->pg_dsn, stage, cfg->by_year, ngc_pg_totals(pg));
    int rc = l == NULL ? NGC_ERROR
                       : ngc_pgload_partitions(l, ngc_shm_counters(shm), spill, 0,
                                               NGC_COUNTERS_PARTS, 0, 0, err, sizeof(err));
    bool no_load = l == NULL;
    ngc_pgload_free(l);
    if (rc != NGC_OK) {
        if (no_load || err[0] == '\0')
            snprintf(err, sizeof(err), "cannot set up the load");
        ngc_log_user(no_load ? ENOMEM : 0, "%s", err);
        ngc_pg_fail_job(pg, err);
    }
    return rc;
}

static int ngc_main_totals(ngc_config_t *cfg, int argc, char **argv)
{
    ngc_main_job_t job = {.cfg = cfg, .status = NGC_EXIT_FAILURE};
    signal(SIGPIPE, SIG_IGN);
    ngc_main_catch_signals();
    /* The database first, as in a whole run; a file only with -o then. */
    if (cfg->pg_dsn != NULL && (job.pg = ngc_pg_connect(cfg)) == NULL)
        goto done;
    if ((job.pg == NULL || cfg->output != NULL) &&
        (job.out = ngc_output_open(cfg, &ngc_main_signal)) == NULL)
        goto done;
    if (job.out != NULL && ngc_main_series_new(cfg, &job.totals, &job.series) != NGC_OK)
        goto done;
    if (ngc_main_workspace(&job, 1) != NULL)
        goto done;
    /* The job is recorded (and a bad target refused) before any loading;
     * the reduce files are its input. */
    ngc_file_t dir = {.path = cfg->merge_totals, .fd = -1};
    ngc_plan_t plan = {.files = &dir, .nfiles = 1};
    if (job.pg != NULL &&
        ngc_pg_begin_job(job.pg, &plan, argc, argv, job.stage, sizeof(job.stage)) != NGC_OK) {
        ngc_pg_fail_job(job.pg, "cannot set up the job");
        goto done;
    }
    int rc = ngc_shuffle_load(cfg, ngc_shm_counters(job.shm), job.spill, &ngc_main_signal);
    if (rc != NGC_OK)
        ngc_pg_fail_job(job.pg, ngc_main_signal ? "stopped by a signal" : "cannot read the totals");
    if (rc == NGC_OK && job.pg != NULL)
        rc = ngc_main_totals_load(cfg, job.pg, job.stage, job.shm, job.spill);
    if (rc == NGC_OK) {
        rc = ngc_main_finish(&job);
        if (rc == NGC_AGAIN || rc == NGC_EOF)
            ngc_pg_fail_job(job.pg, rc == NGC_EOF ? "the reader of the output went away"
                                                  : ngc_coord_signal_name(ngc_main_signal));
    }
    if (rc == NGC_AGAIN || (rc != NGC_OK && ngc_main_signal))
        job.status = ngc_main_signal_exit(ngc_main_signal ? ngc_main_signal : SIGINT, job.out);
    else if (rc == NGC_EOF)
        job.status = NGC_EXIT_SIGPIPE;
    else if (rc == NGC_OK)
        job.status = NGC_EXIT_OK;
done:
    ngc_main_job_free(&job);
    return job.status;
}

/* --merge-partitions: a reduce, stopped cleanly by a signal. */
static int ngc_main_reduce(const ngc_config_t *cfg)
{
    signal(SIGPIPE, SIG_IGN);
    ngc_main_catch_signals();
    int status = ngc_shuffle_reduce(cfg, &ngc_main_signal);
    if (status != NGC_EXIT_OK && ngc_main_signal)
        status = ngc_main_signal_exit(ngc_main_signal, NULL);
    return status;
}

int main(int argc, char **argv)
{
    ngc_config_t cfg;
    if (ngc_failpoint_init() != NGC_OK)
        return NGC_EXIT_USAGE;
    switch (ngc_config_parse(&cfg, argc, argv)) {
    case NGC_CONFIG_EXIT_OK:
        ngc_config_fini(&cfg);
        return fflush(stdout) == 0 ? NGC_EXIT_OK : NGC_EXIT_FAILURE;
    case NGC_CONFIG_USAGE:
        ngc_config_fini(&cfg);
        return NGC_EXIT_USAGE;
    case NGC_CONFIG_RUN:
        break;
    }
    ngc_log_init("coord", cfg.verbose >= 2 ? NGC_LOG_DEBUG
                          : cfg.verbose    ? NGC_LOG_INFO
                                           : NGC_LOG_WARN);
    int status = cfg.stream != NGC_STREAM_NONE     ? ngc_streaming_main(&cfg)
                 : cfg.merge_partitions != NULL    ? ngc_main_reduce(&cfg)
                 : cfg.merge_totals != NULL        ? ngc_main_totals(&cfg, argc, argv)
                 : cfg.pg_jobs || cfg.nlookups > 0 ? ngc_main_query(&cfg)
                                                   : ngc_main_run(&cfg, argc, argv);
    ngc_config_fini(&cfg);
    exit(status);
}
