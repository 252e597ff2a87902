/*
 * cli.h: the command line: --help and the options, checked and turned into
 * an ngc_gen_config_t with the defaults that depend on other options.
 */

#ifndef NGC_DATASETS_GEN_CLI_H
#define NGC_DATASETS_GEN_CLI_H

#include "datasets/gen/config.h"

/* fills cfg from argv (cfg keeps pointers into argv). NGC_GEN_OK, 1 after
 * --help (printed to stdout), or NGC_GEN_ERROR after a message and the
 * usage on stderr */
int ngc_gen_parse(ngc_gen_config_t *cfg, int argc, char **argv);

#endif
