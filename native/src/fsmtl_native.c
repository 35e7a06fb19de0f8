// fsmtl's native kernels: matrix products and NHWC convolutions on OpenBLAS, for TensorFlow.js's wasm backend.
//
// Zero copy: JS registers the wasm heap (an ArrayBuffer) once with setHeap() and again only when the heap
// grows; every kernel then takes offsets into it (in floats), so tensors are read and written where they
// live. Offsets and extents are checked against the heap on every call. Scratch memory (im2col matrices) is
// one buffer that only grows: no allocation in steady state.
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdio.h>

#include "common.h"

// OpenBLAS entry points, declared here so that only the library (not a particular cblas.h) is needed.
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };
void cblas_sgemm(int order, int transa, int transb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
int openblas_get_parallel(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);

static uint8_t *heap = NULL;
static size_t heap_bytes = 0;

static float *scratch = NULL;
static size_t scratch_floats = 0;
// im2col slices are capped at this many floats (64 MiB by default); larger batches are processed in slices.
static int64_t scratch_limit = (int64_t)1 << 24;

#define CHECK_NAPI(env, call)                              \
  do {                                                     \
    if ((call) != napi_ok) THROW((env), "Node-API call failed: " #call); \
  } while (0)

int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) return 0;
  return 1;
}

/** Reads argv[0..count) as integers (JS numbers; offsets fit in 2^53). Returns 0 if one is not a number. */
int get_ints(napi_env env, napi_value *argv, size_t count, int64_t *out) {
  for (size_t i = 0; i < count; i++) {
    double d;
    if (napi_get_value_double(env, argv[i], &d) != napi_ok) return 0;
    out[i] = (int64_t)d;
  }
  return 1;
}

/** Whether floats [off, off + count) lie inside the registered heap. */
int in_heap(int64_t off, int64_t count) {
  if (off < 0 || count < 0) return 0;
  return (uint64_t)(off + count) * 4u <= heap_bytes;
}

float *at(int64_t off) { return (float *)heap + off; }

// Threads: the count asked for by setThreads(), and the count OpenBLAS is set to now. A product too small to
// pay for waking a second thread (measured: ~0.3 ms per call inside a training step, more than a 256×512×10
// product takes on one core) runs on one thread.
static int threads_wanted = 0;
static int threads_now = 0;
static const double small_gemm_mnk = 4.0 * 1024 * 1024;

#ifdef FSMTL_DNNL
// Whether convolutions go to oneDNN. Tests switch it off to check the BLAS path too.
static int dnnl_on = 1;
#endif

/** Sets OpenBLAS's threads for one product of this size: all wanted, or one for a small or skinny one. */
static void threads_for(int64_t m, int64_t n, int64_t k) {
  if (threads_wanted == 0) threads_wanted = threads_now = openblas_get_num_threads();
  const int small = (double)m * (double)n * (double)k < small_gemm_mnk || m < 16 || n < 16;
  const int want = small ? 1 : threads_wanted;
  if (want != threads_now) {
    openblas_set_num_threads(want);
    threads_now = want;
  }
}

float *grow_buffer(float **buf, size_t *cap, size_t floats) {
  if (floats > *cap) {
    free(*buf);
    *buf = (float *)aligned_alloc(64, ((floats * 4 + 63) / 64) * 64);
    *cap = *buf ? floats : 0;
  }
  return *buf;
}

static float *ensure_scratch(size_t floats) { return grow_buffer(&scratch, &scratch_floats, floats); }

// setHeap(buffer: ArrayBuffer | TypedArray): the memory every later offset refers to.
static napi_value set_heap(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) THROW(env, "setHeap(buffer) needs one argument");
  bool is_ab = false, is_ta = false;
  napi_is_arraybuffer(env, argv[0], &is_ab);
  napi_is_typedarray(env, argv[0], &is_ta);
  void *data = NULL;
  size_t len = 0;
  if (is_ab) {
    CHECK_NAPI(env, napi_get_arraybuffer_info(env, argv[0], &data, &len));
  } else if (is_ta) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    CHECK_NAPI(env, napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset));
    if (type != napi_uint8_array) THROW(env, "setHeap: a typed array heap must be a Uint8Array");
    len = length;
  } else {
    THROW(env, "setHeap: expected an ArrayBuffer or a Uint8Array");
  }
  if (((uintptr_t)data & 3u) != 0) THROW(env, "setHeap: the heap is not 4-byte aligned");
  heap = (uint8_t *)data;
  heap_bytes = len;
  return NULL;
}

// gemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta, batch, strideA, strideB, strideC)
// C_i = op(A_i)·op(B_i) + beta·C_i for i < batch, row-major, offsets and strides in floats (stride 0 = broadcast).
static napi_value gemm(napi_env env, napi_callback_info info) {
  napi_value argv[16];
  int64_t v[16];
  if (!get_args(env, info, 16, argv) || !get_ints(env, argv, 16, v)) THROW(env, "gemm: expected 16 numbers");
  const int ta = v[0] != 0, tb = v[1] != 0;
  const int64_t m = v[2], n = v[3], k = v[4], a = v[5], lda = v[6], b = v[7], ldb = v[8], c = v[9], ldc = v[10];
  const float beta = (float)v[11];
  const int64_t batch = v[12], sa = v[13], sb = v[14], sc = v[15];
  if (m < 0 || n < 0 || k < 0 || batch < 0 || sa < 0 || sb < 0 || sc < 0) THROW(env, "gemm: negative size");
  if (m == 0 || n == 0 || batch == 0) return NULL;
  const int64_t aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
  if (ldc < n || (k > 0 && (lda < aCols || ldb < bCols))) THROW(env, "gemm: leading dimension too small");
  const int64_t last = batch - 1;
  if (!in_heap(c + last * sc, (m - 1) * ldc + n)) THROW(env, "gemm: C outside the heap");
  if (k > 0 && (!in_heap(a + last * sa, (aRows - 1) * lda + aCols) || !in_heap(b + last * sb, (bRows - 1) * ldb + bCols)))
    THROW(env, "gemm: A or B outside the heap");
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX || lda > INT32_MAX || ldb > INT32_MAX || ldc > INT32_MAX)
    THROW(env, "gemm: dimension exceeds 32 bits");
  threads_for(m, n, k);
  for (int64_t i = 0; i < batch; i++) {
    float *ci = at(c + i * sc);
    if (k == 0) {
      for (int64_t r = 0; r < m; r++) {
        float *row = ci + r * ldc;
        if (beta == 0.0f) memset(row, 0, (size_t)n * 4);
        else for (int64_t j = 0; j < n; j++) row[j] *= beta;
      }
      continue;
    }
    cblas_sgemm(CBLAS_ROW_MAJOR, ta ? CBLAS_TRANS : CBLAS_NO_TRANS, tb ? CBLAS_TRANS : CBLAS_NO_TRANS, (int)m, (int)n,
                (int)k, 1.0f, at(a + i * sa), (int)lda, at(b + i * sb), (int)ldb, beta, ci, (int)ldc);
  }
  return NULL;
}

// Activation codes, as tfjs-backend-wasm's fused kernels number them (prelu, 3, is applied by the caller).
enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_LEAKYRELU = 4, ACT_SIGMOID = 5, ACT_ELU = 6 };

// biasAct(c, rows, n, bias, biasSize, act, alpha): c[r, j] = act(c[r, j] + bias[j]) (bias −1: none; biasSize 1 or n).
static napi_value bias_act(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int64_t v[6];
  double alpha;
  if (!get_args(env, info, 7, argv) || !get_ints(env, argv, 6, v) || napi_get_value_double(env, argv[6], &alpha) != napi_ok)
    THROW(env, "biasAct: expected 7 numbers");
  const int64_t c = v[0], rows = v[1], n = v[2], bias = v[3], bsize = v[4], act = v[5];
  if (rows < 0 || n < 0 || !in_heap(c, rows * n)) THROW(env, "biasAct: C outside the heap");
  if (bias >= 0 && ((bsize != 1 && bsize != n) || !in_heap(bias, bsize))) THROW(env, "biasAct: bad bias");
  if (act != ACT_LINEAR && act != ACT_RELU && act != ACT_RELU6 && act != ACT_LEAKYRELU && act != ACT_SIGMOID && act != ACT_ELU)
    THROW(env, "biasAct: unknown activation");
  const float al = (float)alpha;
  const float *bp = bias >= 0 ? at(bias) : NULL;
  float *cp = at(c);
  for (int64_t r = 0; r < rows; r++) {
    float *row = cp + r * n;
    if (bp) {
      if (bsize == 1) for (int64_t j = 0; j < n; j++) row[j] += bp[0];
      else for (int64_t j = 0; j < n; j++) row[j] += bp[j];
    }
    switch (act) {
      case ACT_RELU: for (int64_t j = 0; j < n; j++) row[j] = row[j] > 0.0f ? row[j] : 0.0f; break;
      case ACT_RELU6: for (int64_t j = 0; j < n; j++) row[j] = fminf(fmaxf(row[j], 0.0f), 6.0f); break;
      case ACT_LEAKYRELU: for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0.0f ? al * row[j] : row[j]; break;
      case ACT_SIGMOID: for (int64_t j = 0; j < n; j++) row[j] = 1.0f / (1.0f + expf(-row[j])); break;
      case ACT_ELU: for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0.0f ? expf(row[j]) - 1.0f : row[j]; break;
      default: break;
    }
  }
  return NULL;
}

// sumMiddle(x, out, outer, reduce, inner): out[o, i] = Σ_r x[o, r, i] (a sum over non-innermost axes,
// which tfjs-backend-wasm computes by transposing first).
static napi_value sum_middle(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int64_t v[5];
  if (!get_args(env, info, 5, argv) || !get_ints(env, argv, 5, v)) THROW(env, "sumMiddle: expected 5 numbers");
  const int64_t x = v[0], out = v[1], outer = v[2], red = v[3], inner = v[4];
  if (outer < 0 || red < 0 || inner < 0) THROW(env, "sumMiddle: negative size");
  if (!in_heap(x, outer * red * inner) || !in_heap(out, outer * inner)) THROW(env, "sumMiddle: tensor outside the heap");
  const float *xp = at(x);
  float *op = at(out);
  for (int64_t o = 0; o < outer; o++) {
    float *acc = op + o * inner;
    memset(acc, 0, (size_t)inner * 4);
    const float *src = xp + o * red * inner;
    for (int64_t r = 0; r < red; r++, src += inner) {
      for (int64_t i = 0; i < inner; i++) acc[i] += src[i];
    }
  }
  return NULL;
}

// exp(x, out, n): element-wise e^x, for the softmax of per-pixel cross-entropy (21 classes × every pixel);
// glibc's expf is several times faster than the wasm module's software exp.
static napi_value exp_f32(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int64_t v[3];
  if (!get_args(env, info, 3, argv) || !get_ints(env, argv, 3, v)) THROW(env, "exp: expected 3 numbers");
  if (v[2] < 0 || !in_heap(v[0], v[2]) || !in_heap(v[1], v[2])) THROW(env, "exp: tensor outside the heap");
  const float *x = at(v[0]);
  float *out = at(v[1]);
  for (int64_t i = 0; i < v[2]; i++) out[i] = expf(x[i]);
  return NULL;
}

// 2×2 windows, stride 2, no padding (every CNN's pool): windows do not overlap, so each one writes its four
// dx values directly (no zeroing pass), channels innermost so that the selects vectorise. Same tie rule as
// the general loop. Rows and columns past the last window (odd sizes) get 0.
VECTOR_CLONES
static void max_pool_grad_2x2(const float *restrict x, const float *restrict dy, float *restrict dx, int64_t n, int64_t h,
                              int64_t w, int64_t c, int64_t oh, int64_t ow) {
  const int64_t row = w * c;
  for (int64_t e = 0; e < n; e++) {
    const float *xb = x + e * h * row;
    float *gb = dx + e * h * row;
    for (int64_t oy = 0; oy < oh; oy++) {
      const float *x0 = xb + 2 * oy * row, *x1 = x0 + row;
      float *g0 = gb + 2 * oy * row, *g1 = g0 + row;
      const float *d = dy + ((e * oh + oy) * ow) * c;
      for (int64_t ox = 0; ox < ow; ox++, d += c) {
        const int64_t o = 2 * ox * c;
        for (int64_t ch = 0; ch < c; ch++) {
          const float v0 = x0[o + ch], v1 = x0[o + c + ch], v2 = x1[o + ch], v3 = x1[o + c + ch];
          float best = -INFINITY;
          int k = -1;
          if (v0 > best) { best = v0; k = 0; }
          if (v1 > best) { best = v1; k = 1; }
          if (v2 > best) { best = v2; k = 2; }
          if (v3 > best) k = 3;
          const float g = d[ch];
          g0[o + ch] = k == 0 ? g : 0.0f;
          g0[o + c + ch] = k == 1 ? g : 0.0f;
          g1[o + ch] = k == 2 ? g : 0.0f;
          g1[o + c + ch] = k == 3 ? g : 0.0f;
        }
      }
      if (2 * ow < w) {
        memset(g0 + 2 * ow * c, 0, (size_t)((w - 2 * ow) * c) * 4);
        memset(g1 + 2 * ow * c, 0, (size_t)((w - 2 * ow) * c) * 4);
      }
    }
    if (2 * oh < h) memset(gb + 2 * oh * row, 0, (size_t)((h - 2 * oh) * row) * 4);
  }
}

// maxPoolGrad(x, dy, dx, n, h, w, c, fh, fw, sh, sw, pt, pl, oh, ow): dx = 0, then each window's first
// maximum per channel (strict >, rows then columns: tfjs's cpu tie rule, which matters after a relu; NaN
// never wins) receives dy. Overlapping windows accumulate.
static napi_value max_pool_grad(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  int64_t v[15];
  if (!get_args(env, info, 15, argv) || !get_ints(env, argv, 15, v)) THROW(env, "maxPoolGrad: expected 15 numbers");
  const int64_t xo = v[0], dyo = v[1], dxo = v[2], n = v[3], h = v[4], w = v[5], c = v[6], fh = v[7], fw = v[8];
  const int64_t sh = v[9], sw = v[10], pt = v[11], pl = v[12], oh = v[13], ow = v[14];
  for (int i = 3; i < 15; i++) {
    if (v[i] < 0) THROW(env, "maxPoolGrad: negative size");
  }
  if (sh < 1 || sw < 1) THROW(env, "maxPoolGrad: strides must be positive");
  if (!in_heap(xo, n * h * w * c) || !in_heap(dxo, n * h * w * c) || !in_heap(dyo, n * oh * ow * c))
    THROW(env, "maxPoolGrad: tensor outside the heap");
  const float *x = at(xo), *dy = at(dyo);
  float *dx = at(dxo);
  if (fh == 2 && fw == 2 && sh == 2 && sw == 2 && pt == 0 && pl == 0 && 2 * oh <= h && 2 * ow <= w) {
    max_pool_grad_2x2(x, dy, dx, n, h, w, c, oh, ow);
    return NULL;
  }
  memset(dx, 0, (size_t)(n * h * w * c) * 4);
  const int64_t row = w * c;
  const float *d = dy;
  for (int64_t e = 0; e < n; e++) {
    const float *xb = x + e * h * row;
    float *gb = dx + e * h * row;
    for (int64_t oy = 0; oy < oh; oy++) {
      const int64_t y0 = oy * sh - pt, ylo = y0 < 0 ? 0 : y0, yhi = y0 + fh < h ? y0 + fh : h;
      for (int64_t ox = 0; ox < ow; ox++, d += c) {
        const int64_t x0 = ox * sw - pl, xlo = x0 < 0 ? 0 : x0, xhi = x0 + fw < w ? x0 + fw : w;
        for (int64_t ch = 0; ch < c; ch++) {
          float best = -INFINITY;
          int64_t where = -1;
          for (int64_t iy = ylo; iy < yhi; iy++) {
            const float *xr = xb + iy * row + ch;
            for (int64_t ix = xlo; ix < xhi; ix++) {
              const float val = xr[ix * c];
              if (val > best) {
                best = val;
                where = iy * row + ix * c + ch;
              }
            }
          }
          if (where >= 0) gb[where] += d[ch];
        }
      }
    }
  }
  return NULL;
}

// ---------------------------------------------------------------------------------------------------------
// Convolutions, NHWC input [n, h, w, cin], filter [kh, kw, cin, cout], output [n, oh, ow, cout].

typedef ConvGeom Geom;

static int read_geom(napi_env env, napi_value *argv, Geom *g) {
  int64_t v[15];
  if (!get_ints(env, argv, 15, v)) return 0;
  g->n = v[0]; g->h = v[1]; g->w = v[2]; g->cin = v[3]; g->kh = v[4]; g->kw = v[5]; g->sh = v[6]; g->sw = v[7];
  g->dh = v[8]; g->dw = v[9]; g->pt = v[10]; g->pl = v[11]; g->oh = v[12]; g->ow = v[13]; g->cout = v[14];
  for (int i = 0; i < 15; i++) {
    if (v[i] < 0) return 0;
  }
  if (g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1) return 0;
  // Every dimension must fit the 32-bit sizes BLAS takes.
  const int64_t k = g->kh * g->kw * g->cin;
  return k <= INT32_MAX && g->cout <= INT32_MAX && g->oh * g->ow <= INT32_MAX;
}

/** A 1×1, stride-1, unpadded convolution is a plain product over [n·h·w, cin]. */
static int is_pointwise(const Geom *g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->oh == g->h && g->ow == g->w;
}

// Preferred im2col slice: 1 MiB, so that the product reads the slice from L2 right after it was written.
#define SLICE_TARGET ((int64_t)1 << 18)

/** Examples per im2col slice: about SLICE_TARGET floats, never over scratch_limit. */
static int64_t slice_examples(const Geom *g) {
  const int64_t per = g->oh * g->ow * g->kh * g->kw * g->cin;
  if (per == 0) return g->n > 0 ? g->n : 1;
  int64_t nb = (SLICE_TARGET < scratch_limit ? SLICE_TARGET : scratch_limit) / per;
  if (nb < 1) nb = 1;
  return nb < g->n ? nb : g->n;
}

/** cols[(e, oy, ox)][(i·kw + j)·cin + c] = x[n0 + e, oy·sh + i·dh − pt, ox·sw + j·dw − pl, c] (0 in the padding). */
static void im2col(const float *x, float *cols, const Geom *g, int64_t n0, int64_t nb) {
  const int64_t cin = g->cin, row_stride = g->w * cin, span = g->kw * cin;
  float *q = cols;
  for (int64_t e = n0; e < n0 + nb; e++) {
    const float *xb = x + e * g->h * row_stride;
    for (int64_t oy = 0; oy < g->oh; oy++) {
      for (int64_t ox = 0; ox < g->ow; ox++) {
        for (int64_t i = 0; i < g->kh; i++, q += span) {
          const int64_t iy = oy * g->sh + i * g->dh - g->pt;
          if (iy < 0 || iy >= g->h) {
            memset(q, 0, (size_t)span * 4);
            continue;
          }
          const float *xr = xb + iy * row_stride;
          if (g->dw == 1) {
            // Taps j in [lo, hi) fall inside the row; the run is contiguous in NHWC.
            const int64_t ix0 = ox * g->sw - g->pl;
            int64_t lo = ix0 < 0 ? -ix0 : 0, hi = g->w - ix0 < g->kw ? g->w - ix0 : g->kw;
            if (lo > g->kw) lo = g->kw;
            if (hi < lo) hi = lo;
            if (lo > 0) memset(q, 0, (size_t)(lo * cin) * 4);
            const float *src = xr + (ix0 + lo) * cin;
            for (int64_t t = 0, cnt = (hi - lo) * cin; t < cnt; t++) q[lo * cin + t] = src[t];
            if (hi < g->kw) memset(q + hi * cin, 0, (size_t)((g->kw - hi) * cin) * 4);
          } else {
            for (int64_t j = 0; j < g->kw; j++) {
              const int64_t ix = ox * g->sw + j * g->dw - g->pl;
              if (ix < 0 || ix >= g->w) memset(q + j * cin, 0, (size_t)cin * 4);
              else memcpy(q + j * cin, xr + ix * cin, (size_t)cin * 4);
            }
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: dx[n0 + e, ...] += cols[...] for every tap inside the input (dx pre-zeroed). */
static void col2im(const float *cols, float *dx, const Geom *g, int64_t n0, int64_t nb) {
  const int64_t cin = g->cin, row_stride = g->w * cin, span = g->kw * cin;
  const float *q = cols;
  for (int64_t e = n0; e < n0 + nb; e++) {
    float *xb = dx + e * g->h * row_stride;
    for (int64_t oy = 0; oy < g->oh; oy++) {
      for (int64_t ox = 0; ox < g->ow; ox++) {
        for (int64_t i = 0; i < g->kh; i++, q += span) {
          const int64_t iy = oy * g->sh + i * g->dh - g->pt;
          if (iy < 0 || iy >= g->h) continue;
          float *xr = xb + iy * row_stride;
          for (int64_t j = 0; j < g->kw; j++) {
            const int64_t ix = ox * g->sw + j * g->dw - g->pl;
            if (ix < 0 || ix >= g->w) continue;
            float *d = xr + ix * cin;
            const float *s = q + j * cin;
            for (int64_t c = 0; c < cin; c++) d[c] += s[c];
          }
        }
      }
    }
  }
}

void sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                  int64_t ldb, float beta, float *c, int64_t ldc) {
  threads_for(m, n, k);
  cblas_sgemm(CBLAS_ROW_MAJOR, ta ? CBLAS_TRANS : CBLAS_NO_TRANS, tb ? CBLAS_TRANS : CBLAS_NO_TRANS, (int)m, (int)n, (int)k,
              1.0f, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

typedef enum { CONV_FORWARD, CONV_BACKPROP_INPUT, CONV_BACKPROP_FILTER } ConvKind;

// conv(kind, p0, p1, out, ...geometry): forward (x, w → y), backprop input (dy, w → dx), backprop filter (x, dy → dw).
static napi_value conv(napi_env env, napi_callback_info info) {
  napi_value argv[19];
  int64_t v[4];
  Geom g;
  if (!get_args(env, info, 19, argv) || !get_ints(env, argv, 4, v) || !read_geom(env, argv + 4, &g))
    THROW(env, "conv: expected 19 non-negative numbers");
  const ConvKind kind = (ConvKind)v[0];
  const int64_t K = g.kh * g.kw * g.cin;
  const int64_t P = g.oh * g.ow;
  const int64_t xSize = g.n * g.h * g.w * g.cin, ySize = g.n * P * g.cout, wSize = K * g.cout;
  int64_t sizes[3];
  if (kind == CONV_FORWARD) { sizes[0] = xSize; sizes[1] = wSize; sizes[2] = ySize; }
  else if (kind == CONV_BACKPROP_INPUT) { sizes[0] = ySize; sizes[1] = wSize; sizes[2] = xSize; }
  else if (kind == CONV_BACKPROP_FILTER) { sizes[0] = xSize; sizes[1] = ySize; sizes[2] = wSize; }
  else THROW(env, "conv: unknown kind");
  for (int i = 0; i < 3; i++) {
    if (!in_heap(v[i + 1], sizes[i])) THROW(env, "conv: tensor outside the heap");
  }
  const float *p0 = at(v[1]), *p1 = at(v[2]);
  float *out = at(v[3]);
  const int empty = sizes[2] == 0 || K == 0 || P == 0 || g.cout == 0 || g.n == 0;
#ifdef FSMTL_DNNL
  // oneDNN writes every output element, so the zeroing below is only for the BLAS path.
  if (!empty && dnnl_on && dnnl_conv((int)kind, &g, p0, p1, out)) return NULL;
#endif
  if (kind == CONV_BACKPROP_INPUT || kind == CONV_BACKPROP_FILTER) memset(out, 0, (size_t)sizes[2] * 4);
  if (empty) {
    if (kind == CONV_FORWARD) memset(out, 0, (size_t)sizes[2] * 4);
    return NULL;
  }
  if (is_pointwise(&g)) {
    const int64_t rows = g.n * P;
    if (kind == CONV_FORWARD) sgemm(0, 0, rows, g.cout, K, p0, K, p1, g.cout, 0.0f, out, g.cout);
    else if (kind == CONV_BACKPROP_INPUT) sgemm(0, 1, rows, K, g.cout, p0, g.cout, p1, g.cout, 0.0f, out, K);
    else sgemm(1, 0, K, g.cout, rows, p0, K, p1, g.cout, 0.0f, out, g.cout);
    return NULL;
  }
  const int64_t nb = slice_examples(&g);
  float *cols = ensure_scratch((size_t)(nb * P * K));
  if (!cols) THROW(env, "conv: out of memory for the im2col buffer");
  for (int64_t n0 = 0; n0 < g.n; n0 += nb) {
    const int64_t cnt = g.n - n0 < nb ? g.n - n0 : nb;
    const int64_t rows = cnt * P;
    if (kind == CONV_FORWARD) {
      im2col(p0, cols, &g, n0, cnt);
      sgemm(0, 0, rows, g.cout, K, cols, K, p1, g.cout, 0.0f, out + n0 * P * g.cout, g.cout);
    } else if (kind == CONV_BACKPROP_INPUT) {
      sgemm(0, 1, rows, K, g.cout, p0 + n0 * P * g.cout, g.cout, p1, g.cout, 0.0f, cols, K);
      col2im(cols, out, &g, n0, cnt);
    } else {
      im2col(p0, cols, &g, n0, cnt);
      sgemm(1, 0, K, g.cout, rows, cols, K, p1 + n0 * P * g.cout, g.cout, n0 == 0 ? 0.0f : 1.0f, out, g.cout);
    }
  }
  return NULL;
}

// The loop, compiled for AVX-512, AVX2 and plain x86-64 (the loader picks one for the CPU). Vector square
// roots and divisions round exactly like scalar ones, and -ffp-contract=off rules out fused multiply-adds,
// so every variant gives the composite ops' numbers bit for bit.
VECTOR_CLONES
static void adam_loop(const float *restrict g, const float *restrict m, const float *restrict vv, float *restrict mo,
                      float *restrict vo, float *restrict st, int64_t n, float b1, float b2, float c1, float c2,
                      float eps, float neg) {
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * c1;
    const float vi = vv[i] * b2 + (gi * gi) * c2;
    mo[i] = mi;
    vo[i] = vi;
    st[i] = (mi / (sqrtf(vi) + eps)) * neg;
  }
}

// adam(g, m, v, mOut, vOut, step, n, b1, b2, eps, stepSize): one Adam update in one pass, in the same
// float32 operation order as the composite ops in src/optim/adam.ts, so both give the same numbers:
//   m' = m·b1 + g·(1 − b1);  v' = v·b2 + g²·(1 − b2);  step = m' / (√v' + eps) · (−stepSize)
static napi_value adam(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  int64_t v[7];
  double d[4];
  if (!get_args(env, info, 11, argv) || !get_ints(env, argv, 7, v)) THROW(env, "adam: expected 11 numbers");
  for (int i = 0; i < 4; i++)
    if (napi_get_value_double(env, argv[7 + i], &d[i]) != napi_ok) THROW(env, "adam: expected 11 numbers");
  const int64_t n = v[6];
  if (n < 0) THROW(env, "adam: negative size");
  for (int i = 0; i < 6; i++)
    if (!in_heap(v[i], n)) THROW(env, "adam: tensor outside the heap");
  const float *g = at(v[0]), *m = at(v[1]), *vv = at(v[2]);
  float *mo = at(v[3]), *vo = at(v[4]), *st = at(v[5]);
  const float b1 = (float)d[0], b2 = (float)d[1], eps = (float)d[2], neg = (float)(-d[3]);
  const float c1 = (float)(1.0 - d[0]), c2 = (float)(1.0 - d[1]);
  adam_loop(g, m, vv, mo, vo, st, n, b1, b2, c1, c2, eps, neg);
  return NULL;
}

// ---------------------------------------------------------------------------------------------------------

static napi_value set_threads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t n;
  if (!get_args(env, info, 1, argv) || !get_ints(env, argv, 1, &n) || n < 1) THROW(env, "setThreads(n) needs n >= 1");
  openblas_set_num_threads((int)n);
  threads_wanted = threads_now = (int)n;
#ifdef FSMTL_DNNL
  dnnl_conv_set_threads((int)n);
#endif
  return NULL;
}

// setDnnl(on) returns the previous setting, and false always without oneDNN.
static napi_value set_dnnl(napi_env env, napi_callback_info info) {
  napi_value argv[1], ret;
  bool on;
  if (!get_args(env, info, 1, argv) || napi_get_value_bool(env, argv[0], &on) != napi_ok) THROW(env, "setDnnl(on) needs a boolean");
#ifdef FSMTL_DNNL
  napi_get_boolean(env, dnnl_on, &ret);
  dnnl_on = on;
#else
  (void)on;
  napi_get_boolean(env, false, &ret);
#endif
  return ret;
}

// setScratchLimit(floats): the im2col slice cap (tests use a small one to exercise slicing); returns the old one.
static napi_value set_scratch_limit(napi_env env, napi_callback_info info) {
  napi_value argv[1], ret;
  int64_t n;
  if (!get_args(env, info, 1, argv) || !get_ints(env, argv, 1, &n) || n < 1) THROW(env, "setScratchLimit(n) needs n >= 1");
  napi_create_double(env, (double)scratch_limit, &ret);
  scratch_limit = n;
  return ret;
}

static napi_value make_string(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s ? s : "", NAPI_AUTO_LENGTH, &v);
  return v;
}

// info(): { blas, config, core, threads, parallel }
static napi_value blas_info(napi_env env, napi_callback_info info) {
  napi_value obj, threads, parallel;
  CHECK_NAPI(env, napi_create_object(env, &obj));
  napi_set_named_property(env, obj, "blas", make_string(env, "OpenBLAS"));
  napi_set_named_property(env, obj, "config", make_string(env, openblas_get_config()));
  napi_set_named_property(env, obj, "core", make_string(env, openblas_get_corename()));
  napi_create_int32(env, threads_wanted ? threads_wanted : openblas_get_num_threads(), &threads);
  napi_set_named_property(env, obj, "threads", threads);
  const int p = openblas_get_parallel();
  napi_create_string_utf8(env, p == 0 ? "sequential" : p == 1 ? "pthreads" : "openmp", NAPI_AUTO_LENGTH, &parallel);
  napi_set_named_property(env, obj, "parallel", parallel);
#ifdef FSMTL_DNNL
  napi_set_named_property(env, obj, "dnn", make_string(env, dnnl_conv_version()));
#else
  napi_set_named_property(env, obj, "dnn", make_string(env, ""));
#endif
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
    {"setHeap", NULL, set_heap, NULL, NULL, NULL, napi_default, NULL},
    {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL},
    {"biasAct", NULL, bias_act, NULL, NULL, NULL, napi_default, NULL},
    {"maxPoolGrad", NULL, max_pool_grad, NULL, NULL, NULL, napi_default, NULL},
    {"sumMiddle", NULL, sum_middle, NULL, NULL, NULL, napi_default, NULL},
    {"exp", NULL, exp_f32, NULL, NULL, NULL, napi_default, NULL},
    {"adam", NULL, adam, NULL, NULL, NULL, napi_default, NULL},
    {"conv", NULL, conv, NULL, NULL, NULL, napi_default, NULL},
    {"denseFisher", NULL, dense_fisher, NULL, NULL, NULL, napi_default, NULL},
    {"sparseDense", NULL, sparse_dense, NULL, NULL, NULL, napi_default, NULL},
    {"sparseConvPool", NULL, sparse_conv_pool, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
    {"setDnnl", NULL, set_dnnl, NULL, NULL, NULL, napi_default, NULL},
    {"setScratchLimit", NULL, set_scratch_limit, NULL, NULL, NULL, napi_default, NULL},
    {"info", NULL, blas_info, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
