/*
 * summary.c: --stats. Paths may hold any byte but NUL, and JSON text is
 * UTF-8: valid UTF-8 is copied, quotes, backslashes and control characters
 * are escaped, and a byte that is not part of valid UTF-8 is written as the
 * code point of the same number (\u00XX, its Latin-1 reading), so the
 * output always parses and still shows which byte it was.
 */
#include "engine/base/ngc.h"
#include "engine/coordinator/summary.h"
#include "workers/format.h"
#include "engine/reduce/output.h"
#include "engine/coordinator/progress.h"

#include <stdio.h>
#include <stdlib.h>

/* The escaping of the JSON Lines output. */
static void ngc_summary_json_string(FILE *f, const char *s)
{
    size_t n = strlen(s);
    char *buf = malloc(6 * n + 2);
    if (buf == NULL) {
        fputs("\"\"", f);
        return;
    }
    fwrite(buf, 1, ngc_output_json_string(buf, s, n), f);
    free(buf);
}

/* A string, or null. */
static void ngc_summary_json_opt(FILE *f, const char *s)
{
    if (s == NULL)
        fputs("null", f);
    else
        ngc_summary_json_string(f, s);
}

/* A size as given (IEC, as --memory reads it) and in bytes. */
static void ngc_summary_json_size(FILE *f, const char *key, uint64_t n)
{
    char text[24];
    ngc_progress_bytes(n, text, sizeof(text));
    fprintf(f, "\"%s\":%llu,\"%s_text\":\"%s\"", key, (unsigned long long)n, key, text);
}

static void ngc_summary_json_options(FILE *f, const ngc_config_t *cfg)
{
    /* "auto" is no --inflate value: the run chose the engine. */
    const char *inflate = ngc_config_name_of(ngc_config_inflate_names, (int)cfg->inflate);
    bool text = cfg->format == NGC_FORMAT_TEXT;
    fprintf(f, "{\"processes\":%u,\"threads\":%u,", cfg->processes, cfg->threads);
    ngc_summary_json_size(f, "chunk_size", cfg->chunk_size);
    fputc(',', f);
    ngc_summary_json_size(f, "memory", cfg->memory);
    fprintf(f, ",\"format\":\"%s\",\"count\":\"%s\",\"pos\":", ngc_format_name(cfg->format),
            ngc_config_name_of(ngc_config_count_names, cfg->count));
    ngc_summary_json_opt(f, text ? NULL : ngc_config_name_of(ngc_config_pos_names, cfg->pos));
    fprintf(f, ",\"fold_case\":%s,", cfg->fold_case ? "true" : "false");
    if (text)
        fprintf(f, "\"from_year\":null,\"to_year\":null,");
    else
        fprintf(f, "\"from_year\":%u,\"to_year\":%u,", cfg->from_year, cfg->to_year);
    fprintf(f, "\"min_count\":%llu,\"top\":", (unsigned long long)cfg->min_count);
    if (cfg->top != 0)
        fprintf(f, "%llu", (unsigned long long)cfg->top);
    else
        fputs("null", f);
    fprintf(f, ",\"sort\":\"%s\",", ngc_config_name_of(ngc_config_sort_names, cfg->sort));
    if (text)
        fprintf(f, "\"order\":%u,\"only_order\":%s,\"sentence_markers\":%s,\"tokenize\":\"%s\",",
                cfg->order, cfg->only_order ? "true" : "false",
                cfg->sentence_markers ? "true" : "false",
                ngc_config_name_of(ngc_config_tokenize_names, cfg->tokenize));
    else
        fprintf(f, "\"order\":null,\"only_order\":null,\"sentence_markers\":null,"
                   "\"tokenize\":null,");
    fprintf(f, "\"normalize\":");
    ngc_summary_json_opt(f, cfg->normalize);
    fprintf(f, ",\"tmp_dir\":");
    ngc_summary_json_opt(f, cfg->tmp_dir);
    fprintf(f, ",\"pg_table\":");
    ngc_summary_json_opt(f, cfg->pg_dsn != NULL ? cfg->pg_table : NULL);
    fprintf(f, ",\"pg_mode\":");
    ngc_summary_json_opt(f, cfg->pg_dsn == NULL
                                ? NULL
                                : ngc_config_name_of(ngc_config_pg_mode_names, cfg->pg_append));
    fprintf(f, ",\"inflate\":\"%s\",\"max_retries\":%u,\"task_timeout\":%u,\"strict\":%s}",
            inflate != NULL ? inflate : "auto", cfg->max_retries, cfg->task_timeout,
            cfg->strict ? "true" : "false");
}

/* Seconds, or null for a phase that did not run. */
static void ngc_summary_json_secs(FILE *f, const char *key, bool ran, double s)
{
    if (ran)
        fprintf(f, "\"%s\":%.3f", key, s);
    else
        fprintf(f, "\"%s\":null", key);
}

void ngc_summary_json(const ngc_summary_run_t *r)
{
    const ngc_config_t *cfg = r->cfg;
    const ngc_plan_t *plan = r->plan;
    FILE *f = stderr;
    bool ran = r->co != NULL && r->shm != NULL && plan != NULL;
    fprintf(f, "{\"version\":\"%s\",\"exit_status\":%d,\"error\":", NGC_VERSION, r->exit_status);
    ngc_summary_json_opt(f, r->error);
    fprintf(f, ",\"output\":");
    ngc_summary_json_opt(f, r->out != NULL                               ? ngc_output_name(r->out)
                            : cfg->pg_dsn == NULL && cfg->output != NULL ? cfg->output
                            : cfg->pg_dsn == NULL                        ? "standard output"
                                                                         : NULL);
    fprintf(f, ",\"options\":");
    ngc_summary_json_options(f, cfg);
    double ph[4] = {0, 0, 0, 0};
    if (r->co != NULL)
        ngc_coord_timings(r->co, ph);
    fprintf(f, ",\"wall_seconds\":%.3f,\"phases\":{", r->wall_seconds);
    ngc_summary_json_secs(f, "setup", r->setup_seconds > 0, r->setup_seconds);
    fputc(',', f);
    ngc_summary_json_secs(f, "map", ran, ph[0]);
    fputc(',', f);
    ngc_summary_json_secs(f, "sort", ran && ph[1] > 0, ph[1]);
    fputc(',', f);
    ngc_summary_json_secs(f, "load", ran && ph[2] > 0, ph[2]);
    fputc(',', f);
    ngc_summary_json_secs(f, "format", ran && ph[3] > 0, ph[3]);
    fputc(',', f);
    ngc_summary_json_secs(f, "output", r->output_seconds > 0, r->output_seconds);
    fprintf(f, "},\"processes\":%u,\"threads\":%u,", cfg->processes, cfg->threads);
    if (!ran) {
        /* Nothing was counted: the counts are unknown, not 0. */
        fputs("\"tasks\":", f);
        if (plan != NULL)
            fprintf(f, "%u", plan->ntasks);
        else
            fputs("null", f);
        fprintf(f, ",\"bytes\":null,\"lines\":null,\"lines_per_second\":null,"
                   "\"distinct_ngrams\":null,\"output_lines\":null,\"malformed_lines\":null,"
                   "\"filtered_lines\":null,\"dropped_ngrams\":null,"
                   "\"reduce_table_bytes\":null,\"retried_tasks\":null,"
                   "\"repaired_batches\":null,\"tokens\":null,\"spilled_runs\":null,"
                   "\"spilled_bytes\":null,\"run_merge_seconds\":null,"
                   "\"malformed_samples\":[],\"formats\":[],\"workers\":[]}\n");
        fflush(f);
        return;
    }
    const ngc_stats_t *st = ngc_shm_stats(r->shm);
    const ngc_counters_t *c = ngc_shm_counters(r->shm);
    ngc_coord_totals_t t;
    ngc_coord_totals(r->co, &t);
    ngc_stats_totals_t live;
    ngc_stats_read(st, -1, &live);
    uint64_t bytes = plan->total_bytes ? plan->total_bytes : live.bytes;
    double wall = r->wall_seconds;
    ngc_coord_sample_t samples[NGC_MSG_SAMPLES];
    unsigned ns = ngc_coord_samples(r->co, samples, NGC_NELEMS(samples));
    fprintf(f,
            "\"tasks\":%u,\"bytes\":%llu,\"lines\":%llu,\"lines_per_second\":%.0f,"
            "\"distinct_ngrams\":%llu,\"output_lines\":",
            plan->ntasks, (unsigned long long)bytes, (unsigned long long)t.lines,
            wall > 0 ? (double)t.lines / wall : 0.0, (unsigned long long)ngc_counters_distinct(c));
    if (r->out != NULL && r->exit_status == 0)
        fprintf(f, "%llu", (unsigned long long)ngc_output_lines(r->out));
    else
        fputs("null", f);
    fprintf(f, ",\"malformed_lines\":%llu,\"filtered_lines\":%llu,\"dropped_ngrams\":%llu,",
            (unsigned long long)t.malformed, (unsigned long long)t.filtered,
            (unsigned long long)t.dropped);
    ngc_summary_json_size(f, "reduce_table_bytes", ngc_counters_used(c));
    fprintf(f, ",\"retried_tasks\":%llu,\"repaired_batches\":%llu,\"tokens\":",
            (unsigned long long)t.retries, (unsigned long long)ngc_counters_repairs(c));
    if (cfg->format == NGC_FORMAT_TEXT)
        fprintf(f, "%llu", (unsigned long long)t.tokens);
    else
        fputs("null", f);
    fprintf(f, ",\"spilled_runs\":%llu,", (unsigned long long)live.spills);
    ngc_summary_json_size(f, "spilled_bytes", live.spill_bytes);
    fprintf(f, ",\"run_merge_seconds\":%.3f,", (double)live.run_merge_ns / 1e9);
    fprintf(f, "\"downloaded_bytes\":%llu,\"download_resumes\":%llu,\"download_retries\":%llu,",
            (unsigned long long)live.url_bytes, (unsigned long long)live.url_resumes,
            (unsigned long long)live.url_retries);
    fputs("\"malformed_samples\":[", f);
    for (unsigned i = 0; i < ns; i++) {
        fprintf(f, "%s{\"file\":", i ? "," : "");
        ngc_summary_json_string(f, ngc_coord_file_name(plan, samples[i].file_id));
        fprintf(f, ",\"line\":%llu,\"reason\":\"%s\"}", (unsigned long long)samples[i].line,
                ngc_msg_reason_text(samples[i].reason));
    }
    fprintf(f, "],\"formats\":[");
    for (unsigned i = 0; i < plan->nfiles; i++) {
        fprintf(f, "%s{\"file\":", i ? "," : "");
        ngc_summary_json_string(f, ngc_coord_file_name(plan, i));
        fprintf(f, ",\"format\":");
        ngc_summary_json_opt(f, plan->files[i].format != NGC_FORMAT_AUTO
                                    ? ngc_format_name(plan->files[i].format)
                                    : NULL);
        fputc('}', f);
    }
    fprintf(f, "],\"workers\":[");
    for (unsigned w = 0; w < cfg->processes; w++) {
        ngc_stats_totals_t wt;
        ngc_stats_read(st, (int)w, &wt);
        fprintf(f, "%s{\"worker\":%u,\"tasks\":%llu,\"lines\":%llu,\"bytes\":%llu}", w ? "," : "",
                w, (unsigned long long)wt.tasks, (unsigned long long)wt.lines,
                (unsigned long long)wt.bytes);
    }
    fprintf(f, "]}\n");
    fflush(f);
}

void ngc_summary_print(const ngc_config_t *cfg, const ngc_plan_t *plan, const ngc_shm_t *shm,
                       ngc_coord_t *co, double wall, uint64_t output_lines)
{
    const ngc_stats_t *st = ngc_shm_stats(shm);
    const ngc_counters_t *c = ngc_shm_counters(shm);
    /* Exact counts come from the tasks' reports (a retried task's first
     * attempt is in the shared counters too); bytes are the inputs'. */
    ngc_coord_totals_t t;
    ngc_coord_totals(co, &t);
    ngc_stats_totals_t live;
    ngc_stats_read(st, -1, &live);
    uint64_t bytes = plan->total_bytes ? plan->total_bytes : live.bytes;
    ngc_coord_sample_t samples[NGC_MSG_SAMPLES];
    unsigned ns = ngc_coord_samples(co, samples, NGC_NELEMS(samples));
    uint64_t distinct = ngc_counters_distinct(c);
    FILE *f = stderr;
    char bytes_text[16], rate[16];
    ngc_progress_bytes(bytes, bytes_text, sizeof(bytes_text));
    ngc_progress_bytes(wall > 0 ? (uint64_t)((double)bytes / wall) : 0, rate, sizeof(rate));
    fprintf(f, "ngram-count %s: %u files, %u tasks, %u processes x %u threads\n", NGC_VERSION,
            plan->nfiles, plan->ntasks, cfg->processes, cfg->threads);
    fprintf(f, "  wall time        %.3f s\n", wall);
    fprintf(f, "  input            %s (%s/s), %llu lines (%.0f lines/s)\n", bytes_text, rate,
            (unsigned long long)t.lines, wall > 0 ? (double)t.lines / wall : 0.0);
    if (cfg->format == NGC_FORMAT_TEXT)
        fprintf(f, "  tokens           %llu (%.0f tokens/s)\n", (unsigned long long)t.tokens,
                wall > 0 ? (double)t.tokens / wall : 0.0);
    for (unsigned i = 0; i < plan->nfiles; i++)
        fprintf(f, "  format           %s: %s%s\n", ngc_coord_file_name(plan, i),
                ngc_format_name(plan->files[i].format),
                cfg->format == NGC_FORMAT_AUTO && plan->files[i].format != NGC_FORMAT_AUTO
                    ? " (detected)"
                    : "");
    fprintf(f, "  distinct ngrams  %llu (%llu printed)\n", (unsigned long long)distinct,
            (unsigned long long)output_lines);
    fprintf(f,
            "  filtered         %llu lines (v3: year triples) outside the years, "
            "%llu ngrams dropped by --pos\n",
            (unsigned long long)t.filtered, (unsigned long long)t.dropped);
    fprintf(f, "  malformed lines  %llu\n", (unsigned long long)t.malformed);
    if (t.retries > 0)
        fprintf(f, "  retried tasks    %llu (worker failures; %llu merges rolled back)\n",
                (unsigned long long)t.retries, (unsigned long long)ngc_counters_repairs(c));
    for (unsigned i = 0; i < ns; i++)
        fprintf(f, "    %s:%llu: %s\n", ngc_coord_file_name(plan, samples[i].file_id),
                (unsigned long long)samples[i].line, ngc_msg_reason_text(samples[i].reason));
    char used[16];
    ngc_progress_bytes(ngc_counters_used(c), used, sizeof(used));
    fprintf(f, "  reduce table     %s of --memory in use\n", used);
    if (live.spills > 0) {
        char spilled[16];
        ngc_progress_bytes(live.spill_bytes, spilled, sizeof(spilled));
        fprintf(f,
                "  spilled          %llu runs, %s written to --tmp-dir; merging them took "
                "%.3f s of worker time\n",
                (unsigned long long)live.spills, spilled, (double)live.run_merge_ns / 1e9);
    }
    if (live.url_bytes > 0) {
        char got[16];
        ngc_progress_bytes(live.url_bytes, got, sizeof(got));
        fprintf(f, "  downloaded       %s, %llu resumes, %llu retries\n", got,
                (unsigned long long)live.url_resumes, (unsigned long long)live.url_retries);
    }
    for (unsigned w = 0; w < cfg->processes; w++) {
        ngc_stats_totals_t wt;
        ngc_stats_read(st, (int)w, &wt);
        fprintf(f, "  worker %-3u       %llu map tasks, %llu lines\n", w,
                (unsigned long long)wt.tasks, (unsigned long long)wt.lines);
    }
    fflush(f);
}

void ngc_summary_warn_malformed(const ngc_plan_t *plan, const ngc_shm_t *shm, ngc_coord_t *co)
{
    (void)shm;
    ngc_coord_totals_t t;
    ngc_coord_totals(co, &t);
    if (t.malformed == 0)
        return;
    ngc_coord_sample_t samples[NGC_MSG_SAMPLES];
    unsigned ns = ngc_coord_samples(co, samples, NGC_NELEMS(samples));
    fprintf(stderr, "ngram-count: skipped %llu malformed line%s", (unsigned long long)t.malformed,
            t.malformed == 1 ? "" : "s");
    for (unsigned i = 0; i < ns; i++)
        fprintf(stderr, "%s%s:%llu (%s)", i ? ", " : ": ",
                ngc_coord_file_name(plan, samples[i].file_id), (unsigned long long)samples[i].line,
                ngc_msg_reason_text(samples[i].reason));
    fprintf(stderr, "%s\n", t.malformed > ns ? ", ..." : "");
}
