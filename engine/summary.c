/*
 * summary.c: --stats. Paths may hold any byte but NUL, and JSON text is
 * UTF-8: valid UTF-8 is copied, quotes, backslashes and control characters
 * are escaped, and a byte that is not part of valid UTF-8 is written as the
 * code point of the same number (\u00XX, its Latin-1 reading), so the
 * output always parses and still shows which byte it was.
 */
#include "engine/ngc.h"
#include "engine/summary.h"
#include "engine/format.h"
#include "engine/output.h"
#include "engine/progress.h"

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
    if (cfg->stats == NGC_STATS_JSON) {
        fprintf(f, "{\"version\":\"%s\",\"wall_seconds\":%.3f,\"processes\":%u,\"threads\":%u,"
                   "\"tasks\":%u,\"bytes\":%llu,\"lines\":%llu,\"lines_per_second\":%.0f,"
                   "\"distinct_ngrams\":%llu,\"output_lines\":%llu,\"malformed_lines\":%llu,"
                   "\"filtered_lines\":%llu,\"dropped_ngrams\":%llu,\"reduce_table_bytes\":%llu,"
                   "\"retried_tasks\":%llu,\"repaired_batches\":%llu,\"tokens\":%llu,"
                "\"spilled_runs\":%llu,\"spilled_bytes\":%llu,\"run_merge_seconds\":%.3f,"
                "\"malformed_samples\":[",
                NGC_VERSION, wall, cfg->processes, cfg->threads, plan->ntasks,
                (unsigned long long)bytes, (unsigned long long)t.lines,
                wall > 0 ? (double)t.lines / wall : 0.0, (unsigned long long)distinct,
                (unsigned long long)output_lines, (unsigned long long)t.malformed,
                (unsigned long long)t.filtered, (unsigned long long)t.dropped,
                (unsigned long long)ngc_counters_used(c), (unsigned long long)t.retries,
                (unsigned long long)ngc_counters_repairs(c), (unsigned long long)t.tokens,
                (unsigned long long)live.spills, (unsigned long long)live.spill_bytes,
                (double)live.run_merge_ns / 1e9);
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
            fprintf(f, ",\"format\":\"%s\"}", ngc_format_name(plan->files[i].format));
        }
        fprintf(f, "],\"workers\":[");
        for (unsigned w = 0; w < cfg->processes; w++) {
            ngc_stats_totals_t wt;
            ngc_stats_read(st, (int)w, &wt);
            fprintf(f, "%s{\"worker\":%u,\"tasks\":%llu,\"lines\":%llu,\"bytes\":%llu}",
                    w ? "," : "", w, (unsigned long long)wt.tasks,
                    (unsigned long long)wt.lines, (unsigned long long)wt.bytes);
        }
        fprintf(f, "]}\n");
        fflush(f);
        return;
    }
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
                    ? " (detected)" : "");
    fprintf(f, "  distinct ngrams  %llu (%llu printed)\n", (unsigned long long)distinct,
            (unsigned long long)output_lines);
    fprintf(f, "  filtered         %llu lines (v3: year triples) outside the years, "
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
        fprintf(f, "  spilled          %llu runs, %s written to --tmp-dir; merging them took "
                   "%.3f s of worker time\n", (unsigned long long)live.spills, spilled,
                (double)live.run_merge_ns / 1e9);
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
                ngc_coord_file_name(plan, samples[i].file_id),
                (unsigned long long)samples[i].line, ngc_msg_reason_text(samples[i].reason));
    fprintf(stderr, "%s\n", t.malformed > ns ? ", ..." : "");
}
