/* Parsing text word vectors (Stanford GloVe, word2vec text): the hot loop of glovefast._textio.
 *
 * A block of complete lines is cut into chunks at line boundaries; a first parallel pass counts
 * the non-blank lines of each chunk, the caller allocates the output, and a second parallel
 * pass parses each chunk into its rows. A line is "<word> <v1> ... <vd>": the numbers are the
 * last d whitespace-separated fields, the word is everything before them (so words may contain
 * spaces), with the separating whitespace removed.
 *
 * Numbers are converted exactly as Python's float() (correctly rounded to double) and then
 * rounded to the output type: the common short decimals take Clinger's fast path (an exact
 * integer times or divided by an exact power of ten is one correctly rounded IEEE operation);
 * anything else goes to the C library's strtod in the "C" locale, which rounds correctly.
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

enum {
    GF_OK = 0,
    GF_ERR_FIELDS = 1,     /* fewer than d numbers after a word */
    GF_ERR_NO_WORD = 2,    /* d numbers but nothing before them */
    GF_ERR_NUMBER = 3,     /* a field that is not a number */
    GF_ERR_NONFINITE = 4,  /* nan, inf, or a value beyond the output type's range */
    GF_ERR_EXTRA = 5,      /* the word's last field is a number: more than d numbers on the line */
};

typedef struct {
    int64_t begin, end;   /* byte range in the block: whole lines (the last may lack its newline) */
    int64_t rows;         /* non-blank lines (count pass) */
    int64_t lines;        /* newline characters (count pass), for line numbers in messages */
    int64_t row0;         /* first output row (set by the caller) */
    int64_t quota;        /* rows to parse, <= rows (set by the caller; limit=) */
    int64_t words_len;    /* bytes written to the words buffer: each word followed by '\n' */
    int64_t err_pos;      /* block offset of the first bad line, -1 if none */
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

/* Fast path: parse the number starting at p (reading no further than le) when it has at most 19
   significant digits and a decimal exponent within Clinger's exact range. Returns the end of the
   number (the caller checks what follows), or NULL when only the slow path can decide. */
static inline const char *gf_scan_fast(const char *p, const char *le, double *out) {
    const char *s = p;
    int neg = 0;
    if (s < le && (*s == '-' || *s == '+')) { neg = *s == '-'; s++; }
    uint64_t mant = 0;
    const char *s0 = s;
    while (s < le && *s == '0') s++;  /* leading zeros are not significant */
    const char *is = s;
    while (s < le && (unsigned)(*s - '0') < 10) { mant = mant * 10 + (uint64_t)(*s - '0'); s++; }
    int64_t sig = s - is, frac = 0;
    int any = s > s0;
    if (s < le && *s == '.') {
        const char *fs = ++s;
        if (mant == 0) while (s < le && *s == '0') s++;  /* nor are zeros right after "0." */
        const char *ss = s;
        while (s < le && (unsigned)(*s - '0') < 10) { mant = mant * 10 + (uint64_t)(*s - '0'); s++; }
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
    double v;
    if (mant == 0) {
        v = 0.0;
    } else if (mant <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        v = (double)mant;
        v = exp10 < 0 ? v / gf_pow10[-exp10] : v * gf_pow10[exp10];
    } else {
        return NULL;
    }
    *out = neg ? -v : v;
    return s;
}

/* Parse the number token [p, end) (no whitespace inside). Returns 0 on success. */
static inline int gf_parse_double(const char *p, const char *end, double *out) {
    const char *e = gf_scan_fast(p, end, out);
    if (e == end) return 0;
    if (e != NULL) return -1;  /* a number followed by junk, e.g. "1.5x" */
    return gf_parse_slow(p, end, out);
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

static inline int gf_blank(const char *p, const char *e) {
    while (p < e && gf_is_space(*p)) p++;
    return p == e;
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

/* The common line, "word n1 ... nd" with a one-field word, in one forward pass. Returns GF_OK, or
   -1 to hand the line to gf_parse_line (a word with spaces, or any error, found there). */
static inline int gf_fast_line(const char *p, const char *le, int dim, float *o32, double *o64, char **w) {
    const char *s = p;
    while (s < le && (*s == ' ' || *s == '\t')) s++;
    const char *ws = s;
    while (s < le && *s != ' ' && *s != '\t' && *s != '\r') s++;
    const char *we = s;
    if (ws == we) return -1;
    for (int k = 0; k < dim; k++) {
        while (s < le && (*s == ' ' || *s == '\t')) s++;
        double v;
        const char *t = gf_scan_fast(s, le, &v);
        if (t == NULL || (t < le && *t != ' ' && *t != '\t' && *t != '\r')) return -1;
        if (o64) {
            if (!isfinite(v)) return -1;
            o64[k] = v;
        } else {
            float f = (float)v;
            if (!isfinite(f)) return -1;
            if (o32) o32[k] = f;
        }
        s = t;
    }
    while (s < le && gf_is_space(*s)) s++;
    if (s != le) return -1;
    memcpy(*w, ws, (size_t)(we - ws));
    *w += we - ws;
    *(*w)++ = '\n';
    return GF_OK;
}

/* Parse one line [p, le) into row `out` (float or double); append the word and '\n' to *w. */
static inline int gf_parse_line(const char *p, const char *le, int dim, float *o32, double *o64, char **w) {
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
        } else {  /* float32 output, or validation only (both NULL) */
            float f = (float)v;
            if (!isfinite(f)) return GF_ERR_NONFINITE;
            if (o32) o32[k] = f;
        }
        s = t;
    }
    memcpy(*w, ws, (size_t)(we - ws));
    *w += we - ws;
    *(*w)++ = '\n';
    return GF_OK;
}

static void gf_parse_chunk(const char *buf, gf_chunk *c, int dim, float *o32, double *o64, char *words) {
    const char *p = buf + c->begin, *end = buf + c->end;
    char *w = words + c->begin;
    int64_t row = c->row0, stop = c->row0 + c->quota;
    while (p < end && row < stop) {
        const char *nl = (const char *)memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (!gf_blank(p, le)) {
            float *r32 = o32 ? o32 + row * dim : NULL;
            double *r64 = o64 ? o64 + row * dim : NULL;
            int err = gf_fast_line(p, le, dim, r32, r64, &w) == GF_OK ? GF_OK : gf_parse_line(p, le, dim, r32, r64, &w);
            if (err != GF_OK) {
                c->err_kind = err;
                c->err_pos = p - buf;
                break;
            }
            row++;
        }
        p = nl ? nl + 1 : end;
    }
    c->words_len = w - (words + c->begin);
}

static void gf_parse(const char *buf, gf_chunk *chunks, int n, int nthreads, int dim, float *o32, double *o64,
                     char *words) {
    int i;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
#endif
    for (i = 0; i < n; i++)
        if (chunks[i].quota > 0) gf_parse_chunk(buf, &chunks[i], dim, o32, o64, words);
    (void)nthreads;
}

#endif /* GF_VECPARSE_H */
