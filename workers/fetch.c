/*
 * fetch.c: see fetch.h. One thread per URL task, blocking libcurl easy
 * interface; back pressure comes from the pipe (a full pipe blocks the
 * write callback, which stalls the transfer, not the parse).
 */
#include "engine/base/ngc.h"
#include "workers/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#ifdef NGC_HAVE_CURL
#include <curl/curl.h>

#include "engine/base/dlib.h"

struct ngc_fetch_s {
    pthread_t thread;
    char *url;
    unsigned max_retries, stall;
    int wfd;
    CURL *curl;
    uint64_t offset;          /* bytes passed on to the pipe */
    uint64_t skip;            /* bytes of this attempt already passed on */
    uint64_t total;           /* the body's length, UINT64_MAX until known */
    _Atomic uint64_t *length; /* progress's sum of lengths, or NULL */
    bool length_told;
    long status;           /* this attempt's HTTP status, 0 until its body */
    bool gone;             /* the reader closed the pipe */
    bool norange;          /* the server ignores Range: fetch it all again */
    curl_off_t seen;       /* this attempt's bytes at the last progress call */
    struct timespec moved; /* when they last grew */
    ngc_fetch_stats_t st;
    int rc;
    char err[512];
};

/* libcurl, opened on first use (engine/base/dlib.h). Its functions go by
 * their names without curl_: curl.h makes curl_easy_setopt and
 * curl_easy_getinfo macros, which would expand in a member's name. */
static struct {
    __typeof__(curl_global_init) *global_init;
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_easy_perform) *easy_perform;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
} ngc_curl;
static CURLcode ngc_fetch_init_rc; /* curl_global_init's, set with ngc_curl */

static int ngc_fetch_resolve(ngc_dlib_t *lib)
{
#define NGC_FETCH_RESOLVE(fn) NGC_DLIB_RESOLVE(lib, ngc_curl, fn, "curl_" #fn)
    NGC_FETCH_RESOLVE(global_init);
    NGC_FETCH_RESOLVE(easy_init);
    NGC_FETCH_RESOLVE(easy_setopt);
    NGC_FETCH_RESOLVE(easy_getinfo);
    NGC_FETCH_RESOLVE(easy_perform);
    NGC_FETCH_RESOLVE(easy_strerror);
    NGC_FETCH_RESOLVE(easy_cleanup);
#undef NGC_FETCH_RESOLVE
    /* Once per process, as libcurl asks, and before any thread uses it:
     * ngc_dlib_load runs this once, under its lock. */
    ngc_fetch_init_rc = ngc_curl.global_init(CURL_GLOBAL_DEFAULT);
    return NGC_OK;
}

static ngc_dlib_t ngc_fetch_curl = NGC_DLIB_INIT(NGC_SONAME_CURL, "reading http(s) URLs",
                                                 ngc_fetch_resolve);

int ngc_fetch_available(void)
{
    return 1;
}

static size_t ngc_fetch_write(char *p, size_t size, size_t nmemb, void *arg)
{
    ngc_fetch_t *f = arg;
    size_t n = size * nmemb, all = n;
    if (f->status == 0) {
        ngc_curl.easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &f->status);
        curl_off_t cl = -1;
        ngc_curl.easy_getinfo(f->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        if (f->status == 200 && f->offset > 0) {
            /* Range ignored: the body again from its first byte. */
            f->skip = f->offset;
            f->st.restarts++;
        }
        if (cl >= 0 && (f->status == 200 || f->status == 206)) {
            f->total = (uint64_t)cl + (f->status == 206 ? f->offset : 0);
            if (f->length != NULL && !f->length_told)
                atomic_fetch_add_explicit(f->length, f->total, memory_order_relaxed);
            f->length_told = true;
        }
    }
    f->st.bytes += n;
    if (f->status != 200 && f->status != 206)
        return all; /* an error page: not data */
    if (f->skip > 0) {
        size_t k = f->skip < n ? (size_t)f->skip : n;
        f->skip -= k;
        p += k;
        n -= k;
    }
    while (n > 0) {
        ssize_t w = write(f->wfd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            f->gone = true;
            return 0; /* aborts the transfer */
        }
        p += w;
        n -= (size_t)w;
        f->offset += (uint64_t)w;
    }
    return all;
}

/* A transfer that receives nothing for --stall-timeout seconds is cut
 * (libcurl's own low-speed check averages over several seconds). */
static int ngc_fetch_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                              curl_off_t ulnow)
{
    (void)dltotal;
    (void)ultotal;
    (void)ulnow;
    ngc_fetch_t *f = arg;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (dlnow != f->seen) {
        f->seen = dlnow;
        f->moved = now;
        return 0;
    }
    double idle = (double)(now.tv_sec - f->moved.tv_sec) +
                  (double)(now.tv_nsec - f->moved.tv_nsec) / 1e9;
    return idle > (double)f->stall;
}

static void ngc_fetch_sleep(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void *ngc_fetch_main(void *arg)
{
    ngc_fetch_t *f = arg;
    unsigned failures = 0;
    f->rc = NGC_ERROR;
    char why[CURL_ERROR_SIZE + 64];
    for (;;) {
        uint64_t before = f->offset;
        f->status = 0;
        f->skip = 0;
        f->seen = 0;
        clock_gettime(CLOCK_MONOTONIC, &f->moved);
        char cerr[CURL_ERROR_SIZE] = "";
        ngc_curl.easy_setopt(f->curl, CURLOPT_ERRORBUFFER, cerr);
        ngc_curl.easy_setopt(f->curl, CURLOPT_RESUME_FROM_LARGE,
                             (curl_off_t)(f->norange ? 0 : f->offset));
        if (f->offset > 0 && !f->norange)
            f->st.resumes++;
        CURLcode rc = ngc_curl.easy_perform(f->curl);
        if (f->gone) {
            snprintf(f->err, sizeof(f->err), "%s: the reader stopped", f->url);
            break;
        }
        long status = f->status;
        if (status == 0)
            ngc_curl.easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
        bool whole = f->total != UINT64_MAX && f->offset == f->total;
        if ((rc == CURLE_OK && (status == 200 || status == 206)) || whole) {
            f->rc = NGC_OK;
            break;
        }
        if (rc == CURLE_RANGE_ERROR && !f->norange) {
            /* A 200 to a Range request: libcurl stops before the body. */
            f->norange = true;
            f->st.retries++;
            continue;
        }
        bool http_err = rc == CURLE_OK || (status >= 400 && f->offset == before);
        if (http_err)
            snprintf(why, sizeof(why), "HTTP %ld", status);
        else if (rc == CURLE_ABORTED_BY_CALLBACK)
            snprintf(why, sizeof(why), "nothing received for %u s (--stall-timeout)", f->stall);
        else
            snprintf(why, sizeof(why), "%s", cerr[0] ? cerr : ngc_curl.easy_strerror(rc));
        /* A client error will not change: 404, 403, 401, 410... */
        if (http_err && status >= 400 && status < 500 && status != 408 && status != 429) {
            snprintf(f->err, sizeof(f->err), "%s: cannot fetch: %s", f->url, why);
            break;
        }
        failures = f->offset > before ? 1 : failures + 1;
        if (failures > f->max_retries) {
            snprintf(f->err, sizeof(f->err),
                     "%s: cannot fetch: %s (%u attempts in a row, "
                     "--max-retries %u)",
                     f->url, why, failures, f->max_retries);
            break;
        }
        f->st.retries++;
        unsigned ms = 50u << (failures < 7 ? failures : 7); /* 100 ms .. 6.4 s */
        ngc_fetch_sleep(ms);
    }
    close(f->wfd);
    f->wfd = -1;
    return NULL;
}

ngc_fetch_t *ngc_fetch_start(const char *url, unsigned max_retries, unsigned stall,
                             _Atomic uint64_t *length, int *fd, char *err, size_t cap)
{
    if (ngc_dlib_load(&ngc_fetch_curl) != NGC_OK) {
        snprintf(err, cap, "%s: cannot fetch: %s", url, ngc_dlib_error(&ngc_fetch_curl));
        return NULL;
    }
    if (ngc_fetch_init_rc != CURLE_OK) {
        snprintf(err, cap, "%s: cannot fetch: %s", url, ngc_curl.easy_strerror(ngc_fetch_init_rc));
        return NULL;
    }
    ngc_fetch_t *f = calloc(1, sizeof(*f));
    int p[2] = {-1, -1};
    if (f == NULL || (f->url = strdup(url)) == NULL || pipe2(p, O_CLOEXEC) != 0 ||
        (f->curl = ngc_curl.easy_init()) == NULL) {
        snprintf(err, cap, "%s: cannot fetch: %s", url, strerror(errno ? errno : ENOMEM));
        goto fail;
    }
    f->max_retries = max_retries;
    f->stall = stall;
    f->length = length;
    f->wfd = p[1];
    f->total = UINT64_MAX;
    CURL *c = f->curl;
    ngc_curl.easy_setopt(c, CURLOPT_URL, url);
    ngc_curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    ngc_curl.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    ngc_curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    ngc_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    ngc_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, ngc_fetch_write);
    ngc_curl.easy_setopt(c, CURLOPT_WRITEDATA, f);
    ngc_curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)stall);
    ngc_curl.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    ngc_curl.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, ngc_fetch_progress);
    ngc_curl.easy_setopt(c, CURLOPT_XFERINFODATA, f);
    ngc_curl.easy_setopt(c, CURLOPT_USERAGENT, "ngram-count/" NGC_VERSION);
    if (pthread_create(&f->thread, NULL, ngc_fetch_main, f) != 0) {
        snprintf(err, cap, "%s: cannot fetch: cannot start a thread", url);
        goto fail;
    }
    *fd = p[0];
    return f;
fail:
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    if (f != NULL) {
        if (f->curl != NULL)
            ngc_curl.easy_cleanup(f->curl);
        free(f->url);
        free(f);
    }
    return NULL;
}

int ngc_fetch_finish(ngc_fetch_t *f, ngc_fetch_stats_t *stats, char *err, size_t cap)
{
    pthread_join(f->thread, NULL);
    int rc = f->rc;
    if (rc != NGC_OK)
        snprintf(err, cap, "%s", f->err);
    if (stats != NULL)
        *stats = f->st;
    ngc_curl.easy_cleanup(f->curl);
    free(f->url);
    free(f);
    return rc;
}

#else

struct ngc_fetch_s {
    int unused;
};

int ngc_fetch_available(void)
{
    return 0;
}

ngc_fetch_t *ngc_fetch_start(const char *url, unsigned max_retries, unsigned stall,
                             _Atomic uint64_t *length, int *fd, char *err, size_t cap)
{
    (void)max_retries;
    (void)length;
    (void)stall;
    (void)fd;
    snprintf(err, cap,
             "%s: cannot fetch: this build has no libcurl (fetch it with "
             "<(curl -fsS URL))",
             url);
    return NULL;
}

int ngc_fetch_finish(ngc_fetch_t *f, ngc_fetch_stats_t *stats, char *err, size_t cap)
{
    (void)f;
    (void)stats;
    (void)err;
    (void)cap;
    return NGC_ERROR;
}

#endif
