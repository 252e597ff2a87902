/*
 * combiner_fixture.h: the fixture of the map-function tests (test_parse.c,
 * test_text.c): one job's options, a parser over them and the combiner
 * table it fills. Include after cmocka.h.
 */
#ifndef NGC_TESTS_COMBINER_FIXTURE_H
#define NGC_TESTS_COMBINER_FIXTURE_H

#include <stdbool.h>
#include <stdlib.h>

#include "engine/base/config.h"
#include "workers/combiner.h"
#include "workers/parse.h"

typedef struct {
    ngc_config_t cfg;
    ngc_parse_t ps;
    ngc_combiner_t *m;
} ngc_t_ctx_t;

/* A cmocka setup: options from fill(), then a parser and a table. The
 * parser is made as for options that rewrite keys (its scratch area), since
 * tests turn those on after the setup. */
static inline int ngc_t_ctx_setup(void **state, void (*fill)(ngc_config_t *cfg))
{
    ngc_t_ctx_t *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return -1;
    fill(&t->cfg);
    bool fold_case = t->cfg.fold_case;
    t->cfg.fold_case = true;
    int rc = ngc_parse_init(&t->ps, &t->cfg);
    t->cfg.fold_case = fold_case;
    /* The tests check volume sums too, whatever --count says. */
    t->ps.volumes = true;
    if (rc != NGC_OK)
        return -1;
    t->m = ngc_combiner_new();
    if (t->m == NULL)
        return -1;
    ngc_combiner_set_count(t->m, t->cfg.count);
    *state = t;
    return 0;
}

static inline int ngc_t_teardown(void **state)
{
    ngc_t_ctx_t *t = *state;
    ngc_combiner_free(t->m);
    ngc_parse_fini(&t->ps);
    free(t);
    return 0;
}

#endif
