/* The word2vec kernel's body, included by w2v.h once per instruction set (GF_W2V_ISA): the
 * per-window updates and the thread's walk over its share of the stream. No include guard on
 * purpose. Rows are read and written with unaligned loads and stores (rows of the matrices
 * are 64-byte aligned when the caller aligns the matrices, scratch rows need not be). */

#if GF_W2V_ISA == GF_W2V_AVX512
#define GF_W2V_FN __attribute__((target("avx512f,avx2,fma")))
#define F(name) name##_avx512
#define VW 16
#define V __m512
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps(p, v)
#define VZERO() _mm512_setzero_ps()
#define VSET1(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VADD(a, b) _mm512_add_ps(a, b)
#define VMUL(a, b) _mm512_mul_ps(a, b)
/* a 16-lane accumulator folded to 8 lanes */
#define VFOLD8(a) \
    _mm256_add_ps(_mm512_castps512_ps256(a), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)))
#elif GF_W2V_ISA == GF_W2V_AVX2
#define GF_W2V_FN GF_W2V_T_AVX2
#define F(name) name##_avx2
#define VW 8
#define V __m256
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps(p, v)
#define VZERO() _mm256_setzero_ps()
#define VSET1(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VADD(a, b) _mm256_add_ps(a, b)
#define VMUL(a, b) _mm256_mul_ps(a, b)
#define VFOLD8(a) (a)
#else
#define GF_W2V_FN
#define F(name) name##_generic
#endif

#if GF_W2V_ISA != GF_W2V_GENERIC
/* The dot products of x with r[0..M) (dc columns) in lanes 0..M-1 (the others 0). M is a
 * constant where this is inlined: only M accumulators are live. */
GF_W2V_FN static inline __m256 F(gf_w2v_dots)(const float *x, const float *const *r, int dc, const int M) {
    V a[8];
    for (int k = 0; k < 8; k++) a[k] = VZERO();
    for (int c = 0; c < dc; c += VW) {
        const V xv = VLOAD(x + c);
        for (int k = 0; k < M; k++) a[k] = VFMA(xv, VLOAD(r[k] + c), a[k]);
    }
    return gf_w2v_hsum8x8(VFOLD8(a[0]), VFOLD8(a[1]), VFOLD8(a[2]), VFOLD8(a[3]), VFOLD8(a[4]), VFOLD8(a[5]),
                          VFOLD8(a[6]), VFOLD8(a[7]));
}

/* The dot products of x with r[0..n) (n <= 8, dc columns), their gradient factors into g[0..8)
 * and their loss. */
GF_W2V_FN static inline float F(gf_w2v_out8)(const float *x, const float *const *r, int dc, int n, int pos,
                                              float alpha, float *g) {
    __m256 s;
    switch (n) {
    case 1: s = F(gf_w2v_dots)(x, r, dc, 1); break;
    case 2: s = F(gf_w2v_dots)(x, r, dc, 2); break;
    case 3: s = F(gf_w2v_dots)(x, r, dc, 3); break;
    case 4: s = F(gf_w2v_dots)(x, r, dc, 4); break;
    case 5: s = F(gf_w2v_dots)(x, r, dc, 5); break;
    case 6: s = F(gf_w2v_dots)(x, r, dc, 6); break;
    case 7: s = F(gf_w2v_dots)(x, r, dc, 7); break;
    default: s = F(gf_w2v_dots)(x, r, dc, 8); break;
    }
    return gf_w2v_grad8_avx2(s, n, pos, alpha, g);
}

/* Columns [c, c + T VW) of y (+)= sum_k w[k ws] x_k: the tile's accumulators stay in registers
 * while the n rows stream through, so each weight is broadcast once per tile, not per vector. */
GF_W2V_FN static inline void F(gf_w2v_lincomb_tile)(float *y, int add, const float *const *x, const float *w,
                                                     int64_t ws, int n, int c, const int T) {
    V acc[4];
    for (int t = 0; t < T; t++) acc[t] = add ? VLOAD(y + c + t * VW) : VZERO();
    for (int k = 0; k < n; k++) {
        const V wk = VSET1(w[k * ws]);
        const float *xk = x[k] + c;
        for (int t = 0; t < T; t++) acc[t] = VFMA(wk, VLOAD(xk + t * VW), acc[t]);
    }
    for (int t = 0; t < T; t++) VSTORE(y + c + t * VW, acc[t]);
}

/* y = sum_k w[k ws] x_k over n rows (add: y += ...), dc columns, in tiles of 4, 2 and 1 vectors. */
GF_W2V_FN static inline void F(gf_w2v_lincomb)(float *y, int add, const float *const *x, const float *w, int64_t ws,
                                                int n, int dc) {
    int c = 0;
    for (; c + 4 * VW <= dc; c += 4 * VW) F(gf_w2v_lincomb_tile)(y, add, x, w, ws, n, c, 4);
    if (c + 2 * VW <= dc) {
        F(gf_w2v_lincomb_tile)(y, add, x, w, ws, n, c, 2);
        c += 2 * VW;
    }
    if (c < dc) F(gf_w2v_lincomb_tile)(y, add, x, w, ws, n, c, 1);
}

/* y += a x */
GF_W2V_FN static inline void F(gf_w2v_axpy)(float *y, const float *x, float a, int dc) {
    const V av = VSET1(a);
    for (int c = 0; c < dc; c += VW) VSTORE(y + c, VFMA(av, VLOAD(x + c), VLOAD(y + c)));
}

/* CBOW's outputs: e = sum_o g[o] out_o with the rows before the update, then out_o += g[o] h. */
GF_W2V_FN static inline void F(gf_w2v_cbow_out)(float *e, float *const *out, const float *g, int n, const float *h,
                                                 int dc) {
    for (int c = 0; c < dc; c += VW) {
        const V hv = VLOAD(h + c);
        V acc = VZERO();
        for (int o = 0; o < n; o++) {
            const V ov = VLOAD(out[o] + c), go = VSET1(g[o]);
            acc = VFMA(go, ov, acc);
            VSTORE(out[o] + c, VFMA(go, hv, ov));
        }
        VSTORE(e + c, acc);
    }
}
#else
GF_W2V_FN static inline float F(gf_w2v_out8)(const float *x, const float *const *r, int dc, int n, int pos,
                                              float alpha, float *g) {
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int o = 0; o < n; o++) {
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int c = 0; c < dc; c += 8)
            for (int l = 0; l < 8; l++) acc[l] += x[c + l] * r[o][c + l];
        s[o] = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    }
    return gf_w2v_grad8_generic(s, n, pos, alpha, g);
}

GF_W2V_FN static inline void F(gf_w2v_lincomb)(float *y, int add, const float *const *x, const float *w, int64_t ws,
                                                int n, int dc) {
    if (!add)
        for (int c = 0; c < dc; c++) y[c] = 0.0f;
    for (int k = 0; k < n; k++)
        for (int c = 0; c < dc; c++) y[c] += w[k * ws] * x[k][c];
}

GF_W2V_FN static inline void F(gf_w2v_axpy)(float *y, const float *x, float a, int dc) {
    for (int c = 0; c < dc; c++) y[c] += a * x[c];
}

GF_W2V_FN static inline void F(gf_w2v_cbow_out)(float *e, float *const *out, const float *g, int n, const float *h,
                                                 int dc) {
    for (int c = 0; c < dc; c++) e[c] = 0.0f;
    for (int o = 0; o < n; o++) {
        float *row = out[o];
        for (int c = 0; c < dc; c++) {
            const float ov = row[c];
            e[c] += g[o] * ov;
            row[c] = ov + g[o] * h[c];
        }
    }
}
#endif

/* Scratch of a thread: sizes from the window and the number of negatives. */
typedef struct {
    const float **in;  /* input rows of a window (contexts) */
    float **out;       /* output rows (centre word, then negatives) */
    float *G;          /* gradient factors: one row of ng per input */
    float *D;          /* output deltas, one row of dc per output */
    float *h, *e;      /* CBOW's hidden vector and its error */
} F(gf_w2v_scratch);

/* One skip-gram window: inputs in[0..ni) (context rows of syn0), outputs out[0..no) (the centre
 * word's row of syn1 then the negatives'). Every product uses the rows as they were before the
 * window. Returns the loss. */
GF_W2V_FN static inline double F(gf_w2v_sg)(F(gf_w2v_scratch) *s, int ni, int no, int dc, float alpha) {
    const int ng = (no + 7) & ~7;
    double loss = 0.0;
    for (int i = 0; i < ni; i++) {
        float *g = s->G + (int64_t)i * ng;
        for (int o0 = 0; o0 < no; o0 += 8) {
            const int m = no - o0 < 8 ? no - o0 : 8;
            loss += F(gf_w2v_out8)(s->in[i], (const float *const *)s->out + o0, dc, m, o0 == 0, alpha, g + o0);
        }
    }
    for (int o = 0; o < no; o++) F(gf_w2v_lincomb)(s->D + (int64_t)o * dc, 0, s->in, s->G + o, ng, ni, dc);
    for (int i = 0; i < ni; i++)
        F(gf_w2v_lincomb)((float *)s->in[i], 1, (const float *const *)s->out, s->G + (int64_t)i * ng, 1, no, dc);
    for (int o = 0; o < no; o++) F(gf_w2v_axpy)(s->out[o], s->D + (int64_t)o * dc, 1.0f, dc);
    return loss;
}

/* One CBOW window: h = sum (mean_) of the inputs, outputs as in skip-gram; each input gets the
 * whole error (mean) or error / ni (sum). Returns the loss. */
GF_W2V_FN static inline double F(gf_w2v_cbow)(F(gf_w2v_scratch) *s, int ni, int no, int dc, float alpha, int mean) {
    const float inv = 1.0f / (float)ni;
    const float w[1] = {mean ? inv : 1.0f};
    double loss = 0.0;
    F(gf_w2v_lincomb)(s->h, 0, s->in, w, 0, ni, dc);
    for (int o0 = 0; o0 < no; o0 += 8) {
        const int m = no - o0 < 8 ? no - o0 : 8;
        loss += F(gf_w2v_out8)(s->h, (const float *const *)s->out + o0, dc, m, o0 == 0, alpha, s->G + o0);
    }
    F(gf_w2v_cbow_out)(s->e, s->out, s->G, no, s->h, dc);
    const float back = mean ? 1.0f : inv;
    for (int i = 0; i < ni; i++) F(gf_w2v_axpy)((float *)s->in[i], s->e, back, dc);
    return loss;
}

GF_W2V_FN static inline void F(gf_w2v_prefetch_row)(const float *row, int dc) {
    for (int c = 0; c < dc; c += 16) GF_PREFETCHW(row + c);
}

/* A thread's share [lo, hi) of the stream (see w2v.h). Returns 0, -1 when out of memory. */
GF_W2V_FN static int F(gf_w2v_thread)(float *syn0, float *syn1, const int32_t *ids, int64_t n, int64_t lo, int64_t hi,
                                      const uint32_t *thresh, const gf_alias *table, int64_t n_words,
                                      const gf_w2v_params *p, int t, int nt, volatile int64_t *progress,
                                      volatile int32_t *stop, gf_w2v_trace *tr, gf_w2v_result *res) {
    const int W = p->window, K = p->negative, no_max = 1 + K, ng = (no_max + 7) & ~7;
    const int64_t stride = p->stride;
    const int dc = gf_w2v_cols(GF_W2V_ISA, p->dim);
    const int64_t cap = GF_W2V_BLOCK + 2 * (int64_t)W + 1;
    const int ni_max = 2 * W;
    F(gf_w2v_scratch) s;
    gf_w2v_buf b;
    int32_t *ring = (int32_t *)malloc(sizeof(int32_t) * GF_W2V_RING * (size_t)no_max);
    b.ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)cap);
    b.pos = tr ? (int64_t *)malloc(sizeof(int64_t) * (size_t)cap) : NULL;
    s.in = (const float **)malloc(sizeof(float *) * (size_t)(ni_max > 0 ? ni_max : 1));
    s.out = (float **)malloc(sizeof(float *) * (size_t)no_max);
    s.G = (float *)malloc(sizeof(float) * (size_t)(ni_max > 0 ? ni_max : 1) * (size_t)ng);
    s.D = (float *)malloc(sizeof(float) * (size_t)no_max * (size_t)dc);
    s.h = (float *)malloc(sizeof(float) * (size_t)dc);
    s.e = (float *)malloc(sizeof(float) * (size_t)dc);
    int rc = 0;
    if (!ring || !b.ids || (tr && !b.pos) || !s.in || !s.out || !s.G || !s.D || !s.h || !s.e) {
        rc = -1;
        goto done;
    }
    {
        const uint64_t key = gf_w2v_keep_key(p->seed, p->epoch);
        uint64_t ws = gf_w2v_thread_state(p->seed, p->epoch, t, 0), ns = gf_w2v_thread_state(p->seed, p->epoch, t, 1);
        const double span = p->alpha - p->min_alpha, total = p->total > 0 ? (double)p->total : 1.0;
        double loss = 0.0, done_d = (double)p->done_before;
        int64_t examples = 0, tokens = 0, kept = 0;
        float alpha = (float)(p->alpha - span * (done_d / total < 1.0 ? done_d / total : 1.0));
        for (int64_t bp = lo; bp < hi; bp += GF_W2V_BLOCK) {
            if (*stop) {
                res->stopped = 1;
                break;
            }
            const int64_t bq = hi - bp < GF_W2V_BLOCK ? hi : bp + GF_W2V_BLOCK;
            gf_w2v_fill(&b, ids, n, bp, bq, W, thresh, key);
            /* centres prepared (negatives drawn, rows prefetched) ahead of the one trained */
            int64_t next = b.c0, prepared = 0, trained = 0;
            for (int64_t j = b.c0; j < b.c1; j++) {
                const int32_t word = b.ids[j];
                if (word < 0) continue;
                while (prepared <= trained + GF_W2V_AHEAD && next < b.c1) {
                    const int32_t wn = b.ids[next];
                    if (wn >= 0) {
                        int32_t *set = ring + (prepared & (GF_W2V_RING - 1)) * no_max;
                        int m = 1;
                        set[0] = wn;
                        for (int k = 0; k < K; k++) {
                            const int32_t d = gf_w2v_draw(table, (uint64_t)n_words, &ns);
                            if (d != wn) set[m++] = d;
                        }
                        for (int k = m; k < no_max; k++) set[k] = -1;
                        for (int k = 0; k < m; k++) F(gf_w2v_prefetch_row)(syn1 + set[k] * stride, dc);
                        const int64_t ahead = next + W < b.len ? next + W : b.len - 1;
                        if (b.ids[ahead] >= 0) F(gf_w2v_prefetch_row)(syn0 + b.ids[ahead] * stride, dc);
                        prepared++;
                    }
                    next++;
                }
                const int32_t *set = ring + (trained & (GF_W2V_RING - 1)) * no_max;
                trained++;
                kept++;
                int r = W;
                if (p->shrink && W > 1) r = 1 + (int)(((gf_splitmix64(&ws) >> 32) * (uint64_t)W) >> 32);
                int64_t cl, ch;
                gf_w2v_reach(&b, j, r, &cl, &ch);
                int ni = 0, no = 0;
                for (int64_t k = cl; k <= ch; k++)
                    if (k != j) s.in[ni++] = syn0 + b.ids[k] * stride;
                while (no < no_max && set[no] >= 0) {
                    s.out[no] = syn1 + set[no] * stride;
                    no++;
                }
                if (tr && tr->n < tr->cap) {
                    int64_t *rec = tr->rec + tr->n * gf_w2v_trace_len(W, K), q = 0;
                    double a = (double)alpha;
                    rec[q++] = b.pos[j];
                    rec[q++] = r;
                    memcpy(&rec[q++], &a, sizeof(a));
                    rec[q++] = ni;
                    for (int64_t k = cl; k <= ch; k++)
                        if (k != j) rec[q++] = b.pos[k];
                    for (int k = ni; k < 2 * W; k++) rec[q++] = -1;
                    rec[q++] = no;
                    for (int k = 0; k < no_max; k++) rec[q++] = k < no ? set[k] : -1;
                    tr->n++;
                }
                if (ni == 0) continue;
                if (p->sg) {
                    loss += F(gf_w2v_sg)(&s, ni, no, dc, alpha);
                    examples += ni;
                } else {
                    loss += F(gf_w2v_cbow)(&s, ni, no, dc, alpha, p->cbow_mean);
                    examples += 1;
                }
            }
            tokens += b.tokens;
            progress[(int64_t)t * GF_W2V_SLOT] = tokens;
            int64_t done = p->done_before;
            for (int u = 0; u < nt; u++) done += progress[(int64_t)u * GF_W2V_SLOT];
            const double f = (double)done / total;
            alpha = (float)(p->alpha - span * (f < 1.0 ? f : 1.0));
        }
        res->loss = loss;
        res->examples = examples;
        res->tokens = tokens;
        res->kept = kept;
    }
done:
    free(ring);
    free(b.ids);
    free(b.pos);
    free((void *)s.in);
    free(s.out);
    free(s.G);
    free(s.D);
    free(s.h);
    free(s.e);
    return rc;
}

#undef GF_W2V_FN
#undef F
#if GF_W2V_ISA != GF_W2V_GENERIC
#undef VW
#undef V
#undef VLOAD
#undef VSTORE
#undef VZERO
#undef VSET1
#undef VFMA
#undef VADD
#undef VMUL
#undef VFOLD8
#endif
