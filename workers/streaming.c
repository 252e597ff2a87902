/* streaming.c: placeholder until the streaming parts land. */
#include "engine/ngc.h"
#include "workers/streaming.h"
#include "engine/log.h"

int ngc_streaming_main(const ngc_config_t *cfg)
{
    (void)cfg;
    ngc_log_user(0, "--map and --reduce are not built yet");
    return NGC_EXIT_FAILURE;
}
