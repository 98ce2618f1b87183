/* Parsing text word vectors (Stanford GloVe, word2vec text): the hot loop of glovefast._kernels.textio.
 *
 * A block of complete lines (read from a stream, or a window of a memory-mapped file) is cut into chunks at line boundaries; a first parallel pass counts
 * the non-blank lines of each chunk, the caller allocates the output, and a second parallel
 * pass parses each chunk into its rows. A line is "<word> <v1> ... <vd>": the numbers are the
 * last d whitespace-separated fields, the word is everything before them (so words may contain
 * spaces), with the separating whitespace removed.
 *
 * Numbers are converted exactly as Python's float() (correctly rounded to double) and then
 * rounded to the output type: the common short decimals take Clinger's fast path (an exact
 * integer times or divided by an exact power of ten is one correctly rounded IEEE operation);
 * anything else goes to the C library's strtod in the "C" locale, which rounds correctly.
 * float32 output skips even that division where it cannot matter (see gf_f32_from).
 *
 * The block may be a window of a read-only file mapping: with `release`, each chunk hands its
 * pages back (madvise DONTNEED) once parsed, so a mapped file never counts whole in the
 * process's memory.
 */
#ifndef GF_VECPARSE_H
#define GF_VECPARSE_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__GLIBC__) || defined(__APPLE__)
#include <locale.h>
#if defined(__APPLE__)
#include <xlocale.h>
#endif
#define GF_HAVE_STRTOD_L 1
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#endif

enum {
    GF_OK = 0,
    GF_ERR_FIELDS = 1,     /* fewer than d numbers after a word */
    GF_ERR_NO_WORD = 2,    /* d numbers but nothing before them */
    GF_ERR_NUMBER = 3,     /* a field that is not a number */
    GF_ERR_NONFINITE = 4,  /* nan, inf, or a value beyond the output type's range */
    GF_ERR_EXTRA = 5,      /* the word's last field is a number: more than d numbers on the line */
    GF_ERR_NOMEM = 6,      /* the words buffer could not grow */
};

typedef struct {
    int64_t begin, end;   /* byte range in the block: whole lines (the last may lack its newline) */
    int64_t rows;         /* non-blank lines (count pass) */
    int64_t lines;        /* newline characters (count pass), for line numbers in messages */
    int64_t row0;         /* first output row (set by the caller) */
    int64_t quota;        /* rows to parse, <= rows (set by the caller; limit=) */
    char *words;          /* the chunk's words, each followed by '\n' (malloc'd; the caller frees) */
    int64_t words_len, words_cap;
    int64_t err_pos;      /* block offset of the first bad line, -1 if none */
    int64_t err_line;     /* newlines between the chunk's start and err_pos */
    int err_kind;
} gf_chunk;

static inline int gf_is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

static const double gf_pow10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#ifdef GF_HAVE_STRTOD_L
static locale_t gf_c_locale = (locale_t)0;
#endif

/* Called once (with the GIL) before any parsing. */
static void gf_vecparse_init(void) {
#ifdef GF_HAVE_STRTOD_L
    if (gf_c_locale == (locale_t)0) gf_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
#endif
}

static double gf_strtod_c(const char *s, char **stop) {
#ifdef GF_HAVE_STRTOD_L
    if (gf_c_locale != (locale_t)0) return strtod_l(s, stop, gf_c_locale);
#endif
    return strtod(s, stop);
}

/* Slow path: the token [p, end) through strtod. Returns 0 on success. */
static int gf_parse_slow(const char *p, const char *end, double *out) {
    char stackbuf[128];
    int64_t n = end - p;
    char *buf = n < (int64_t)sizeof(stackbuf) ? stackbuf : (char *)malloc((size_t)n + 1);
    if (buf == NULL) return -1;
    memcpy(buf, p, (size_t)n);
    buf[n] = '\0';
    int ok = 1;
    for (int64_t i = 0; i < n; i++) /* float() rejects hexadecimal, which strtod would accept */
        if (buf[i] == 'x' || buf[i] == 'X' || buf[i] == 'p' || buf[i] == 'P') ok = 0;
    char *stop = NULL;
    double v = ok ? gf_strtod_c(buf, &stop) : 0.0;
    if (ok && (stop != buf + n || n == 0)) ok = 0;
    if (buf != stackbuf) free(buf);
    if (!ok) return -1;
    *out = v;
    return 0;
}

static const uint64_t gf_pow10_u64[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define GF_SWAR 1
/* The value of eight digit bytes already minus '0' (first digit in the lowest byte): pairs, then
   quads, then the whole, combined inside the register; no lane overflows into a lower one. */
static inline uint64_t gf_swar8(uint64_t d) {
    d = (d * 10 + (d >> 8)) & UINT64_C(0x00FF00FF00FF00FF);
    d = (d * 100 + (d >> 16)) & UINT64_C(0x0000FFFF0000FFFF);
    return (d * 10000 + (d >> 32)) & UINT64_C(0xFFFFFFFF);
}
#endif

/* Append the run of decimal digits at s (not beyond le) to *mant; returns the end of the run.
   Eight bytes are tested and converted at once where the line has them: a fixed-format number
   ("-0.12345") then costs a handful of instructions instead of a loop turn per digit. *mant wraps
   past 19 digits; callers count digits and leave such numbers to the slow path. */
static inline const char *gf_digits(const char *s, const char *le, uint64_t *mant) {
#ifdef GF_SWAR
    while (le - s >= 8) {
        uint64_t x;
        memcpy(&x, s, 8);
        uint64_t d = x - UINT64_C(0x3030303030303030);
        /* bit 7 of a byte: below '0' (borrow) or above '9' (carry); the lowest flagged byte is
           exact because digit bytes below it neither borrow nor carry */
        uint64_t m = (d | (x + UINT64_C(0x4646464646464646))) & UINT64_C(0x8080808080808080);
        if (m == 0) {
            *mant = *mant * 100000000u + gf_swar8(d);
            s += 8;
            continue;
        }
        int n = __builtin_ctzll(m) >> 3;
        if (n) {  /* keep the n digits, moved to the top bytes: the zeros below are leading zeros */
            *mant = *mant * gf_pow10_u64[n] + gf_swar8(d << (8 * (8 - n)));
            s += n;
        }
        return s;
    }
#endif
    uint64_t v = *mant;
    while (s < le && (unsigned)(*s - '0') < 10) { v = v * 10 + (uint64_t)(*s - '0'); s++; }
    *mant = v;
    return s;
}

/* Cut [0, len) into at most n chunks of whole lines. Returns the number of chunks. */
static int gf_split(const char *buf, int64_t len, int n, gf_chunk *chunks) {
    int64_t pos = 0;
    int k = 0;
    for (int i = 0; i < n && pos < len; i++) {
        int64_t target = (i == n - 1) ? len : len * (i + 1) / n;
        if (target < pos) target = pos;
        if (target < len) {
            const char *nl = (const char *)memchr(buf + target, '\n', (size_t)(len - target));
            target = nl ? (nl - buf) + 1 : len;
        }
        if (target <= pos) continue;
        memset(&chunks[k], 0, sizeof(gf_chunk));
        chunks[k].begin = pos;
        chunks[k].end = target;
        chunks[k].err_pos = -1;
        k++;
        pos = target;
    }
    return k;
}

/* A decimal read by the fast scanners: (-1)^neg * mant * 10^exp10, with mant <= 2^53 and
   |exp10| <= 22 (Clinger's exact range), or mant == 0. */
typedef struct {
    uint64_t mant;
    int exp10;
    int neg;
} gf_dec;

static const double gf_inv10[23] = {
    1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11,
    1e-12, 1e-13, 1e-14, 1e-15, 1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22};

/* float(text): the exact product or quotient is one correctly rounded IEEE operation. */
static inline double gf_f64_from(gf_dec d) {
    double v = 0.0;
    if (d.mant != 0) {
        v = (double)d.mant;
        v = d.exp10 < 0 ? v / gf_pow10[-d.exp10] : v * gf_pow10[d.exp10];
    }
    return d.neg ? -v : v;
}

/* float32(float(text)) without the division, which costs a third of the parse, wherever it
   cannot change the result. q = mant * fl(10^-k) carries two roundings of at most 2^-53 each,
   so it is within 2 double ulps of the exact quotient x, and float(text) = fl(x) within half an
   ulp. Rounding a double to float32 only depends on where it lies against the float32 midpoints,
   the doubles whose low 29 mantissa bits are 1 << 28 (x >= 1e-22 is far from float32's
   subnormals). When q is more than 8 ulps from a midpoint, q, x and fl(x) lie strictly on the
   same side of it and round to the same float32; otherwise (one number in ~2^24) divide. */
static inline float gf_f32_from(gf_dec d) {
    double v = 0.0;
    if (d.mant != 0) {
        if (d.exp10 >= 0) {
            v = (double)d.mant * gf_pow10[d.exp10];
        } else {
            v = (double)d.mant * gf_inv10[-d.exp10];
            uint64_t bits;
            memcpy(&bits, &v, sizeof bits);
            int64_t off = (int64_t)(bits & ((UINT64_C(1) << 29) - 1)) - (INT64_C(1) << 28);
            if (off <= 8 && off >= -8) v = (double)d.mant / gf_pow10[-d.exp10];
        }
    }
    float f = (float)v;
    return d.neg ? -f : f;
}

/* Fast path: scan the number starting at p (reading no further than le) when it has at most 19
   significant digits and a decimal exponent within Clinger's exact range. Returns the end of the
   number (the caller checks what follows), or NULL when only the slow path can decide. */
static inline const char *gf_scan_fast(const char *p, const char *le, gf_dec *out) {
    const char *s = p;
    int neg = 0;
    if (s < le && (*s == '-' || *s == '+')) { neg = *s == '-'; s++; }
    uint64_t mant = 0;
    const char *s0 = s;
    while (s < le && *s == '0') s++;  /* leading zeros are not significant */
    const char *is = s;
    s = gf_digits(s, le, &mant);
    int64_t sig = s - is, frac = 0;
    int any = s > s0;
    if (s < le && *s == '.') {
        const char *fs = ++s;
        if (mant == 0) while (s < le && *s == '0') s++;  /* nor are zeros right after "0." */
        const char *ss = s;
        s = gf_digits(s, le, &mant);
        sig += s - ss;
        frac = s - fs;
        any |= s > fs;
    }
    /* no digits (inf, nan, junk), or more than 19 significant digits (mant overflowed) */
    if (!any || sig > 19) return NULL;
    int64_t exp10 = 0;
    if (s < le && (*s == 'e' || *s == 'E')) {
        const char *e = s + 1;
        int eneg = 0;
        if (e < le && (*e == '-' || *e == '+')) { eneg = *e == '-'; e++; }
        const char *ed = e;
        int64_t ev = 0;
        while (e < le && (unsigned)(*e - '0') < 10) {
            if (ev < 100000) ev = ev * 10 + (*e - '0');
            e++;
        }
        if (e == ed) return NULL;  /* "1e", "1e+": not a number; the slow path says so */
        exp10 = eneg ? -ev : ev;
        s = e;
    }
    exp10 -= frac;
    if (mant != 0 && (mant > (UINT64_C(1) << 53) || exp10 < -22 || exp10 > 22)) return NULL;
    out->mant = mant;
    out->exp10 = mant ? (int)exp10 : 0;
    out->neg = neg;
    return s;
}

/* The common number mid-line, "[-]ddd[.ddd]" with at most 7 digits before the point and 8 after,
   followed by a space or tab, in two 8-byte reads and no loop; the caller guarantees 18 bytes
   before the line's end. When the digits on both sides of the point fit in 8 bytes (a lone
   leading "0" does not count), they are joined into one word and converted at once. Sets *mant
   and *frac (value = mant / 10^frac; at most 15 digits and 10^8, inside Clinger's exact range)
   and returns the end of the number, or NULL for anything else (gf_scan_fast decides). */
static inline const char *gf_scan_short(const char *s, uint64_t *mant_out, int *frac_out, int *neg_out) {
#ifdef GF_SWAR
    int neg = *s == '-';
    s += neg;
    uint64_t x, d, m;
    memcpy(&x, s, 8);
    d = x - UINT64_C(0x3030303030303030);
    m = (d | (x + UINT64_C(0x4646464646464646))) & UINT64_C(0x8080808080808080);
    if (m == 0) return NULL;
    int n1 = __builtin_ctzll(m) >> 3;
    int n1e = n1 - (n1 == 1 && (d & 0xff) == 0);  /* "0.xxx": the 0 takes no room in the word */
    const char *t = s + n1;
    int n2 = 0;
    uint64_t mant;
    if (*t == '.') {
        uint64_t y, e;
        memcpy(&y, t + 1, 8);
        e = y - UINT64_C(0x3030303030303030);
        m = (e | (y + UINT64_C(0x4646464646464646))) & UINT64_C(0x8080808080808080);
        n2 = m ? __builtin_ctzll(m) >> 3 : 8;
        if (n1 + n2 == 0) return NULL;  /* a lone "." */
        t += 1 + n2;
        if (n2 == 0)
            mant = n1e ? gf_swar8(d << (8 * (8 - n1e))) : 0;
        else if (n1e + n2 <= 8)  /* the integer digits, then the fraction's, in the top bytes */
            mant = gf_swar8((n1e ? (d << (8 * (8 - n1e))) >> (8 * n2) : 0) | (e << (8 * (8 - n2))));
        else
            mant = gf_swar8(d << (8 * (8 - n1e))) * gf_pow10_u64[n2] + gf_swar8(e << (8 * (8 - n2)));
    } else {
        if (n1 == 0) return NULL;
        mant = n1e ? gf_swar8(d << (8 * (8 - n1e))) : 0;
    }
    if (*t != ' ' && *t != '\t') return NULL;  /* an exponent, more digits, CR, junk: the general scanner */
    *mant_out = mant;
    *frac_out = n2;
    *neg_out = neg;
    return t;
#else
    (void)s; (void)mant_out; (void)frac_out; (void)neg_out;
    return NULL;
#endif
}

/* float32(float(text)) for a gf_scan_short result: gf_f32_from without its branches. */
static inline float gf_f32_short(uint64_t mant, int frac, int neg) {
    double v = (double)mant * gf_inv10[frac];
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    if (((bits - ((UINT64_C(1) << 28) - 8)) & ((UINT64_C(1) << 29) - 1)) <= 16)
        v = (double)mant / gf_pow10[frac];
    memcpy(&bits, &v, sizeof bits);
    bits |= (uint64_t)neg << 63;
    memcpy(&v, &bits, sizeof bits);
    return (float)v;
}

static inline double gf_f64_short(uint64_t mant, int frac, int neg) {
    double v = (double)mant / gf_pow10[frac];
    return neg ? -v : v;
}

/* Parse the number token [p, end) (no whitespace inside). Returns 0 on success. */
static inline int gf_parse_double(const char *p, const char *end, double *out) {
    gf_dec d;
    const char *e = gf_scan_fast(p, end, &d);
    if (e == end) {
        *out = gf_f64_from(d);
        return 0;
    }
    if (e != NULL) return -1;  /* a number followed by junk, e.g. "1.5x" */
    return gf_parse_slow(p, end, out);
}

/* Give the whole pages inside [lo, hi) of a read-only file mapping back to the kernel: they stay
   in the page cache, but no longer count in this process's resident memory. */
static void gf_release(const char *lo, const char *hi) {
#if (defined(__unix__) || defined(__APPLE__)) && defined(MADV_DONTNEED)
    static long page = 0;
    if (page == 0) page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return;
    uintptr_t a = ((uintptr_t)lo + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t b = (uintptr_t)hi & ~((uintptr_t)page - 1);
    if (b > a) madvise((void *)a, (size_t)(b - a), MADV_DONTNEED);
#else
    (void)lo; (void)hi;
#endif
}

static inline int gf_blank(const char *p, const char *e) {
    while (p < e && gf_is_space(*p)) p++;
    return p == e;
}

static int64_t gf_newlines(const char *p, const char *end) {
    int64_t n = 0;
    while (p < end && (p = (const char *)memchr(p, '\n', (size_t)(end - p))) != NULL) { n++; p++; }
    return n;
}

static void gf_count_chunk(const char *buf, gf_chunk *c) {
    const char *p = buf + c->begin, *end = buf + c->end;
    int64_t rows = 0, lines = 0;
    while (p < end) {
        const char *nl = (const char *)memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (!gf_blank(p, le)) rows++;
        if (nl) lines++;
        p = nl ? nl + 1 : end;
    }
    c->rows = rows;
    c->lines = lines;
}

static void gf_count(const char *buf, gf_chunk *chunks, int n, int nthreads) {
    int i;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
#endif
    for (i = 0; i < n; i++) gf_count_chunk(buf, &chunks[i]);
    (void)nthreads;
}

/* The common line, "word n1 ... nd" with a one-field word, in one forward pass. Returns GF_OK and
   the word's span, or -1 to hand the line to gf_parse_line (a word with spaces, or any error,
   found there). */
static inline int gf_fast_line(const char *p, const char *le, int dim, float *o32, double *o64,
                               const char **wsp, const char **wep) {
    const char *s = p;
    while (s < le && (*s == ' ' || *s == '\t')) s++;
    const char *ws = s;
    while (s < le && *s != ' ' && *s != '\t' && *s != '\r') s++;
    const char *we = s;
    if (ws == we) return -1;
    for (int k = 0; k < dim; k++) {
        while (s < le && (*s == ' ' || *s == '\t')) s++;
        uint64_t mant;
        int frac, neg;
        const char *t = le - s >= 18 ? gf_scan_short(s, &mant, &frac, &neg) : NULL;
        if (t != NULL) {  /* finite in any output type */
            if (o64) o64[k] = gf_f64_short(mant, frac, neg);
            else if (o32) o32[k] = gf_f32_short(mant, frac, neg);
            s = t;
            continue;
        }
        gf_dec d;
        t = gf_scan_fast(s, le, &d);
        if (t == NULL || (t < le && *t != ' ' && *t != '\t' && *t != '\r')) return -1;
        if (o64) {
            double v = gf_f64_from(d);
            if (!isfinite(v)) return -1;
            o64[k] = v;
        } else {  /* float32 output, or validation only (both NULL) */
            float f = gf_f32_from(d);
            if (!isfinite(f)) return -1;
            if (o32) o32[k] = f;
        }
        s = t;
    }
    while (s < le && gf_is_space(*s)) s++;
    if (s != le) return -1;
    *wsp = ws;
    *wep = we;
    return GF_OK;
}

#if defined(__SSE2__) && defined(GF_SWAR)
#define GF_SPACED_LINE 1
/* Bit i set when b[i] is a space, for the 64 bytes at b. */
static inline uint64_t gf_space_mask64(const char *b) {
    const __m128i sp = _mm_set1_epi8(' ');
    uint64_t m = 0;
    for (int i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(b + 16 * i));
        m |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp)) << (16 * i);
    }
    return m;
}

/* The canonical line, "word n1 n2 ... nd" with single spaces and float32 output, as Stanford and
   gensim write it. gf_fast_line finds each number's start at the end of the one before, a chain
   of dependent loads and scans about 30 cycles long per number; here the starts come from bit
   masks of the spaces (64 bytes a step), so the numbers of a line parse independently and the
   processor overlaps them. Each number must end exactly at the next space. Reads up to 64 bytes
   past le: the caller guarantees they are in the buffer. Returns GF_OK and the word's span, or -1
   to hand the line to gf_fast_line. */
static inline int gf_spaced_line(const char *p, const char *le, int dim, float *o32,
                                 const char **wsp, const char **wep) {
    while (le > p && gf_is_space(le[-1])) le--;
    const char *we = p;
    while (we < le && !gf_is_space(*we)) we++;
    if (we == p || we == le || *we != ' ') return -1;
    const char *prev = we;  /* where the next separating space must be */
    int k = 0;
    for (const char *blk = we; blk < le; blk += 64) {
        uint64_t sp = gf_space_mask64(blk);
        if (le - blk < 64) sp &= (UINT64_C(1) << (le - blk)) - 1;
        while (sp) {
            const char *pos = blk + __builtin_ctzll(sp);
            sp &= sp - 1;
            if (pos != prev || k == dim) return -1;
            const char *s = pos + 1;
            uint64_t mant;
            int frac, neg;
            const char *t = le - s >= 18 ? gf_scan_short(s, &mant, &frac, &neg) : NULL;
            if (t != NULL) {
                o32[k] = gf_f32_short(mant, frac, neg);
            } else {
                gf_dec d;
                t = gf_scan_fast(s, le, &d);
                if (t == NULL) return -1;
                float f = gf_f32_from(d);
                if (!isfinite(f)) return -1;
                o32[k] = f;
            }
            k++;
            prev = t;
        }
    }
    if (k != dim || prev != le) return -1;
    *wsp = p;
    *wep = we;
    return GF_OK;
}
#endif

/* Parse one line [p, le) into row o32 or o64 (both NULL: validate only); returns the word's span. */
static inline int gf_parse_line(const char *p, const char *le, int dim, float *o32, double *o64,
                                const char **wsp, const char **wep) {
    while (le > p && gf_is_space(le[-1])) le--;
    /* find the start of the d-th field from the end */
    const char *q = le;
    for (int k = 0; k < dim; k++) {
        while (q > p && gf_is_space(q[-1])) q--;
        if (q == p) return GF_ERR_FIELDS;
        while (q > p && !gf_is_space(q[-1])) q--;
    }
    const char *nums = q;
    const char *we = q;
    while (we > p && gf_is_space(we[-1])) we--;
    const char *ws = p;
    while (ws < we && gf_is_space(*ws)) ws++;
    if (ws == we) return GF_ERR_NO_WORD;
    {
        /* A word may hold spaces ("new york", ". . ."), but one whose last field is a number
           means the line has more numbers than the others. */
        const char *t = we;
        double ignored;
        while (t > ws && !gf_is_space(t[-1])) t--;
        if (t > ws && gf_parse_double(t, we, &ignored) == 0) return GF_ERR_EXTRA;
    }
    const char *s = nums;
    for (int k = 0; k < dim; k++) {
        while (s < le && gf_is_space(*s)) s++;
        const char *t = s;
        while (t < le && !gf_is_space(*t)) t++;
        double v;
        if (gf_parse_double(s, t, &v) != 0) return GF_ERR_NUMBER;
        if (o64) {
            if (!isfinite(v)) return GF_ERR_NONFINITE;
            o64[k] = v;
        } else {
            float f = (float)v;
            if (!isfinite(f)) return GF_ERR_NONFINITE;
            if (o32) o32[k] = f;
        }
        s = t;
    }
    *wsp = ws;
    *wep = we;
    return GF_OK;
}

/* Append a word and '\n' to the chunk's words buffer, growing it geometrically. */
static inline int gf_put_word(gf_chunk *c, const char *ws, const char *we) {
    int64_t n = we - ws;
    if (c->words_len + n + 1 > c->words_cap) {
        int64_t cap = c->words_cap ? c->words_cap : 4096;
        while (cap < c->words_len + n + 1) cap *= 2;
        char *grown = (char *)realloc(c->words, (size_t)cap);
        if (grown == NULL) return -1;
        c->words = grown;
        c->words_cap = cap;
    }
    memcpy(c->words + c->words_len, ws, (size_t)n);
    c->words_len += n;
    c->words[c->words_len++] = '\n';
    return 0;
}

static void gf_parse_chunk(const char *buf, gf_chunk *c, int dim, float *o32, double *o64, int release) {
    const char *p = buf + c->begin, *end = buf + c->end;
    int64_t row = c->row0, stop = c->row0 + c->quota;
    while (p < end && row < stop) {
        const char *nl = (const char *)memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (!gf_blank(p, le)) {
            float *r32 = o32 ? o32 + row * dim : NULL;
            double *r64 = o64 ? o64 + row * dim : NULL;
            const char *ws = NULL, *we = NULL;
            int err = -1;
#ifdef GF_SPACED_LINE
            if (r32 != NULL && end - le >= 64) err = gf_spaced_line(p, le, dim, r32, &ws, &we);
#endif
            if (err != GF_OK)
                err = gf_fast_line(p, le, dim, r32, r64, &ws, &we) == GF_OK
                          ? GF_OK : gf_parse_line(p, le, dim, r32, r64, &ws, &we);
            if (err == GF_OK && gf_put_word(c, ws, we) != 0) err = GF_ERR_NOMEM;
            if (err != GF_OK) {
                c->err_kind = err;
                c->err_pos = p - buf;
                c->err_line = gf_newlines(buf + c->begin, p);
                break;
            }
            row++;
        }
        p = nl ? nl + 1 : end;
    }
    if (release) gf_release(buf + c->begin, end);
}

static void gf_parse(const char *buf, gf_chunk *chunks, int n, int nthreads, int dim, float *o32, double *o64,
                     int release) {
    int i;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
#endif
    for (i = 0; i < n; i++)
        if (chunks[i].quota > 0) gf_parse_chunk(buf, &chunks[i], dim, o32, o64, release);
    (void)nthreads;
}

#endif /* GF_VECPARSE_H */
