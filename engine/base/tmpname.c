/*
 * tmpname.c: random name suffixes.
 */
#include "engine/base/tmpname.h"

#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void ngc_tmpname_suffix(char *dst, size_t n)
{
    static const char chars[] = NGC_TMPNAME_CHARS;
    unsigned char r[64];
    if (n > sizeof(r))
        n = sizeof(r);
    if (getrandom(r, n, GRND_NONBLOCK) != (ssize_t)n) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = ((uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull) ^ (uint64_t)ts.tv_sec ^
                     ((uint64_t)getpid() << 32);
        for (size_t i = 0; i < n; i++, x = x * 6364136223846793005ull + 1442695040888963407ull)
            r[i] = (unsigned char)(x >> 56);
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = chars[r[i] % (sizeof(chars) - 1)];
    dst[n] = '\0';
}
