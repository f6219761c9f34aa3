/* bind_hash.c - SHA-256 (FIPS 180-4) of files and strings, for manifests:
 *
 *   fs.hash(path)      -> 64 lowercase hex digits, or nil, message
 *   fs.hash_string(s)  -> 64 lowercase hex digits
 *
 * (fs = require "mixdown.fs"). Written from the standard: section 4.1.2
 * (functions), 4.2.2 (constants), 5.1.1 (padding), 5.3.3 (initial value),
 * 6.2.2 (the computation). The constants are the standard's definition
 * evaluated here: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes (K) and of the square roots of the first 8
 * primes (H0); the tests compare digests with sha256sum. */
#include "bind_report.h"
#include "host.h"
#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct sha256 {
    uint32_t h[8];
    uint64_t bytes;
    unsigned char block[64];
    unsigned fill;
} sha256;

static uint32_t K[64], H0[8];

static uint32_t frac32(long double x)
{
    return (uint32_t)((x - floorl(x)) * 4294967296.0L);
}

static void constants(void)
{
    static int done;
    if (done)
        return;
    unsigned found = 0;
    for (unsigned p = 2; found < 64; p++) {
        int prime = 1;
        for (unsigned d = 2; d * d <= p; d++)
            if (p % d == 0)
                prime = 0;
        if (!prime)
            continue;
        if (found < 8)
            H0[found] = frac32(sqrtl((long double)p));
        K[found++] = frac32(cbrtl((long double)p));
    }
    done = 1;
}

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

/* FIPS 180-4 6.2.2 */
static void compress(sha256 *s, const unsigned char *b)
{
    uint32_t w[64];
    for (unsigned t = 0; t < 16; t++)
        w[t] = (uint32_t)b[4 * t] << 24 | (uint32_t)b[4 * t + 1] << 16 |
               (uint32_t)b[4 * t + 2] << 8 | b[4 * t + 3];
    for (unsigned t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = s1 + w[t - 7] + s0 + w[t - 16];
    }
    uint32_t a = s->h[0], bb = s->h[1], c = s->h[2], d = s->h[3];
    uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (unsigned t = 0; t < 64; t++) {
        uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + S1 + ch + K[t] + w[t];
        uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & bb) ^ (a & c) ^ (bb & c);
        uint32_t t2 = S0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = bb;
        bb = a;
        a = t1 + t2;
    }
    s->h[0] += a;
    s->h[1] += bb;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
    s->h[5] += f;
    s->h[6] += g;
    s->h[7] += h;
}

static void sha_init(sha256 *s)
{
    constants();
    memcpy(s->h, H0, sizeof s->h);
    s->bytes = 0;
    s->fill = 0;
}

static void sha_add(sha256 *s, const unsigned char *p, size_t n)
{
    s->bytes += n;
    while (n > 0) {
        size_t k = 64 - s->fill;
        if (k > n)
            k = n;
        memcpy(s->block + s->fill, p, k);
        s->fill += (unsigned)k;
        p += k;
        n -= k;
        if (s->fill == 64) {
            compress(s, s->block);
            s->fill = 0;
        }
    }
}

/* FIPS 180-4 5.1.1: a 1 bit, zeros to 448 mod 512 bits, the length in bits */
static void sha_hex(sha256 *s, char out[65])
{
    uint64_t bits = s->bytes * 8;
    unsigned char pad = 0x80;
    sha_add(s, &pad, 1);
    pad = 0;
    while (s->fill != 56)
        sha_add(s, &pad, 1);
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha_add(s, len, 8);
    for (int i = 0; i < 8; i++)
        snprintf(out + 8 * i, 9, "%08x", (unsigned)s->h[i]);
}

static int fs_hash(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    FILE *f = fopen(path, "rb");
    if (!f) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: cannot open: %s", path, strerror(errno));
        return 2;
    }
    sha256 s;
    sha_init(&s);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sha_add(&s, buf, n);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: read failed", path);
        return 2;
    }
    char hex[65];
    sha_hex(&s, hex);
    lua_pushstring(L, hex);
    return 1;
}

static int fs_hash_string(lua_State *L)
{
    size_t len;
    const char *str = luaL_checklstring(L, 1, &len);
    sha256 s;
    sha_init(&s);
    sha_add(&s, (const unsigned char *)str, len);
    char hex[65];
    sha_hex(&s, hex);
    lua_pushstring(L, hex);
    return 1;
}

void md_bind_hash_register(lua_State *L, int core)
{
    (void)core;
    /* mixdown.fs is opened by the host after mixdown.core: open it now (the
     * host's luaL_requiref then finds it loaded) and add to it */
    luaL_requiref(L, "mixdown.fs", luaopen_mixdown_fs, 0);
    lua_pushcfunction(L, fs_hash);
    lua_setfield(L, -2, "hash");
    lua_pushcfunction(L, fs_hash_string);
    lua_setfield(L, -2, "hash_string");
    lua_pop(L, 1);
}
