// The sparse inference path's kernels (the C twins of src/predictor/kernels.ts, which documents the
// layout): a dense layer and a conv + ReLU + 2×2 max-pool layer that compute only with kept weights,
// stored compressed by output (ptr, idx, val). Arguments are typed arrays, not heap offsets: these run
// outside TensorFlow.js. Sizes are checked against the arrays on every call; the structure itself
// (idx < inputs, ptr increasing) is validated once, when src/predictor/sparse-net.ts builds it.
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

// Examples a dense layer computes together: their inputs are transposed to [inputs][TB], so that each
// kept weight is one broadcast times TB contiguous floats (vectorised), read once for TB examples. A
// single example is a gathered dot product per unit instead.
#define TB 16
// Conv output pixels computed together along a row.
#define TW 16

// Eight floats, as one AVX register (two SSE registers in the default clone): GCC's vector extension,
// because the auto-vectoriser leaves these loops scalar.
typedef float v8 __attribute__((vector_size(32)));

static inline __attribute__((always_inline)) v8 load8(const float *p) {
  v8 v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline __attribute__((always_inline)) void store8(float *p, v8 v) { memcpy(p, &v, sizeof v); }

static float *xt_buf = NULL;
static size_t xt_cap = 0;
static float *row_buf = NULL;
static size_t row_cap = 0;

typedef struct {
  void *data;
  size_t length;
  napi_typedarray_type type;
} Arr;

static int get_arr(napi_env env, napi_value v, Arr *a) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_value ab;
  size_t offset;
  return napi_get_typedarray_info(env, v, &a->type, &a->length, &a->data, &ab, &offset) == napi_ok;
}

#define DEFINE_DENSE(NAME, IDX)                                                                                    \
  VECTOR_CLONES static void NAME(const float *x, int64_t n, int64_t inputs, const int32_t *ptr, const IDX *idx,   \
                                 const float *val, const float *bias, int relu, float *y, int64_t units, float *xt) { \
    int64_t b = 0;                                                                                                 \
    /* Tiles of TB examples (of two or more in all); a last partial tile is padded with zeros.  */               \
    for (; n > 1 && b < n; b += TB) {                                                                              \
      const float *xb = x + b * inputs;                                                                            \
      const int bt = n - b < TB ? (int)(n - b) : TB;                                                               \
      for (int64_t i = 0; i < inputs; i++)                                                                         \
        for (int t = 0; t < TB; t++) xt[i * TB + t] = t < bt ? xb[t * inputs + i] : 0;                            \
      for (int64_t j = 0; j < units; j++) {                                                                        \
        v8 a0 = (v8){0} + bias[j], a1 = a0;                                                                        \
        for (int32_t e = ptr[j]; e < ptr[j + 1]; e++) {                                                            \
          const v8 w = (v8){0} + val[e];                                                                           \
          const float *r = xt + (int64_t)idx[e] * TB;                                                              \
          a0 += w * load8(r);                                                                                      \
          a1 += w * load8(r + 8);                                                                                  \
        }                                                                                                          \
        float acc[TB];                                                                                             \
        store8(acc, a0);                                                                                           \
        store8(acc + 8, a1);                                                                                       \
        for (int t = 0; t < bt; t++) y[(b + t) * units + j] = relu && acc[t] < 0 ? 0 : acc[t];                     \
      }                                                                                                            \
    }                                                                                                              \
    for (; b < n; b++) {                                                                                           \
      const float *xb = x + b * inputs;                                                                            \
      for (int64_t j = 0; j < units; j++) {                                                                        \
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0;                                                                      \
        int32_t e = ptr[j];                                                                                        \
        const int32_t end = ptr[j + 1];                                                                            \
        for (; e + 4 <= end; e += 4) {                                                                             \
          a0 += val[e] * xb[idx[e]];                                                                               \
          a1 += val[e + 1] * xb[idx[e + 1]];                                                                       \
          a2 += val[e + 2] * xb[idx[e + 2]];                                                                       \
          a3 += val[e + 3] * xb[idx[e + 3]];                                                                       \
        }                                                                                                          \
        for (; e < end; e++) a0 += val[e] * xb[idx[e]];                                                            \
        const float a = bias[j] + ((a0 + a1) + (a2 + a3));                                                         \
        y[b * units + j] = relu && a < 0 ? 0 : a;                                                                  \
      }                                                                                                            \
    }                                                                                                              \
  }

DEFINE_DENSE(dense_u16, uint16_t)
DEFINE_DENSE(dense_u32, uint32_t)

#define DEFINE_CONV(NAME, IDX)                                                                                     \
  VECTOR_CLONES static void NAME(const float *x, int64_t n, int64_t cin, int64_t hp, int64_t wp, int64_t k,         \
                                 const int32_t *ptr, const IDX *idx, const float *val, const float *bias,          \
                                 int64_t filters, float *dst, int64_t q, float *rows) {                            \
    const int64_t ph = (hp - k + 1) / 2, pw = (wp - k + 1) / 2, w2 = 2 * pw;                                       \
    const int64_t dh = ph + 2 * q, dw = pw + 2 * q;                                                                \
    for (int64_t b = 0; b < n; b++) {                                                                              \
      const float *xb = x + b * cin * hp * wp;                                                                     \
      float *db = dst + b * filters * dh * dw;                                                                     \
      for (int64_t f = 0; f < filters; f++) {                                                                      \
        const int32_t e0 = ptr[f], e1 = ptr[f + 1];                                                                \
        const float bf = bias[f];                                                                                  \
        for (int64_t py = 0; py < ph; py++) {                                                                      \
          for (int r = 0; r < 2; r++) {                                                                            \
            const float *base = xb + (2 * py + r) * wp;                                                            \
            float *ro = rows + r * w2;                                                                             \
            int64_t ox = 0;                                                                                        \
            while (w2 >= TW && ox < w2) {                                                                          \
              const int64_t o0 = ox < w2 - TW ? ox : w2 - TW;                                                      \
              v8 a0 = (v8){0} + bf, a1 = a0;                                                                       \
              for (int32_t e = e0; e < e1; e++) {                                                                  \
                const v8 w = (v8){0} + val[e];                                                                     \
                const float *s = base + idx[e] + o0;                                                               \
                a0 += w * load8(s);                                                                                \
                a1 += w * load8(s + 8);                                                                            \
              }                                                                                                    \
              store8(ro + o0, a0);                                                                                 \
              store8(ro + o0 + 8, a1);                                                                             \
              ox = o0 + TW;                                                                                        \
            }                                                                                                      \
            while (w2 >= 8 && ox < w2) {                                                                           \
              const int64_t o0 = ox < w2 - 8 ? ox : w2 - 8;                                                        \
              v8 a0 = (v8){0} + bf;                                                                                \
              for (int32_t e = e0; e < e1; e++) a0 += ((v8){0} + val[e]) * load8(base + idx[e] + o0);              \
              store8(ro + o0, a0);                                                                                 \
              ox = o0 + 8;                                                                                         \
            }                                                                                                      \
            for (; ox < w2; ox++) {                                                                                \
              float a = bf;                                                                                        \
              for (int32_t e = e0; e < e1; e++) a += val[e] * base[idx[e] + ox];                                   \
              ro[ox] = a;                                                                                          \
            }                                                                                                      \
          }                                                                                                        \
          float *d = db + f * dh * dw + (py + q) * dw + q;                                                         \
          for (int64_t px = 0; px < pw; px++) {                                                                    \
            float m = rows[2 * px];                                                                                \
            if (rows[2 * px + 1] > m) m = rows[2 * px + 1];                                                        \
            if (rows[w2 + 2 * px] > m) m = rows[w2 + 2 * px];                                                      \
            if (rows[w2 + 2 * px + 1] > m) m = rows[w2 + 2 * px + 1];                                              \
            d[px] = m > 0 ? m : 0;                                                                                 \
          }                                                                                                        \
        }                                                                                                          \
      }                                                                                                            \
    }                                                                                                              \
  }

DEFINE_CONV(conv_u16, uint16_t)
DEFINE_CONV(conv_u32, uint32_t)

/** Checks the row pointers: ptr has rows + 1 entries, from 0, increasing, ending at the entry count. */
static int check_ptr(const Arr *ptr, int64_t rows, const Arr *idx, const Arr *val) {
  if (ptr->type != napi_int32_array || (int64_t)ptr->length != rows + 1) return 0;
  if (val->type != napi_float32_array || idx->length != val->length) return 0;
  if (idx->type != napi_uint16_array && idx->type != napi_uint32_array) return 0;
  const int32_t *p = (const int32_t *)ptr->data;
  return p[0] == 0 && p[rows] == (int64_t)val->length;
}

// sparseDense(x, n, inputs, ptr, idx, val, bias, relu, y)
napi_value sparse_dense(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!get_args(env, info, 9, argv)) THROW(env, "sparseDense: expected 9 arguments");
  Arr x, ptr, idx, val, bias, y;
  int64_t v[2];
  double relu;
  if (!get_arr(env, argv[0], &x) || !get_ints(env, argv + 1, 2, v) || !get_arr(env, argv[3], &ptr) || !get_arr(env, argv[4], &idx) ||
      !get_arr(env, argv[5], &val) || !get_arr(env, argv[6], &bias) || napi_get_value_double(env, argv[7], &relu) != napi_ok ||
      !get_arr(env, argv[8], &y))
    THROW(env, "sparseDense: bad argument types");
  const int64_t n = v[0], inputs = v[1], units = (int64_t)ptr.length - 1;
  if (n < 0 || inputs < 1 || units < 1) THROW(env, "sparseDense: bad sizes");
  if (x.type != napi_float32_array || (int64_t)x.length < n * inputs) THROW(env, "sparseDense: x is too short");
  if (y.type != napi_float32_array || (int64_t)y.length < n * units) THROW(env, "sparseDense: y is too short");
  if (bias.type != napi_float32_array || (int64_t)bias.length != units) THROW(env, "sparseDense: bias length");
  if (!check_ptr(&ptr, units, &idx, &val)) THROW(env, "sparseDense: bad ptr/idx/val");
  float *xt = n > 1 ? grow_buffer(&xt_buf, &xt_cap, (size_t)(inputs * TB)) : NULL;
  if (n > 1 && !xt) THROW(env, "sparseDense: out of memory");
  if (idx.type == napi_uint16_array)
    dense_u16(x.data, n, inputs, ptr.data, idx.data, val.data, bias.data, relu != 0, y.data, units, xt);
  else
    dense_u32(x.data, n, inputs, ptr.data, idx.data, val.data, bias.data, relu != 0, y.data, units, xt);
  return NULL;
}

// sparseConvPool(x, n, cin, hp, wp, k, ptr, idx, val, bias, filters, dst, dstPad)
napi_value sparse_conv_pool(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  if (!get_args(env, info, 13, argv)) THROW(env, "sparseConvPool: expected 13 arguments");
  Arr x, ptr, idx, val, bias, dst;
  int64_t g[5], fq[1], q[1];
  if (!get_arr(env, argv[0], &x) || !get_ints(env, argv + 1, 5, g) || !get_arr(env, argv[6], &ptr) || !get_arr(env, argv[7], &idx) ||
      !get_arr(env, argv[8], &val) || !get_arr(env, argv[9], &bias) || !get_ints(env, argv + 10, 1, fq) || !get_arr(env, argv[11], &dst) ||
      !get_ints(env, argv + 12, 1, q))
    THROW(env, "sparseConvPool: bad argument types");
  const int64_t n = g[0], cin = g[1], hp = g[2], wp = g[3], k = g[4], filters = fq[0], pad = q[0];
  if (n < 0 || cin < 1 || k < 1 || hp < k || wp < k || filters < 1 || pad < 0) THROW(env, "sparseConvPool: bad sizes");
  const int64_t ph = (hp - k + 1) / 2, pw = (wp - k + 1) / 2;
  if (x.type != napi_float32_array || (int64_t)x.length < n * cin * hp * wp) THROW(env, "sparseConvPool: x is too short");
  if (dst.type != napi_float32_array || (int64_t)dst.length < n * filters * (ph + 2 * pad) * (pw + 2 * pad)) THROW(env, "sparseConvPool: dst is too short");
  if (bias.type != napi_float32_array || (int64_t)bias.length != filters) THROW(env, "sparseConvPool: bias length");
  if ((int64_t)ptr.length != filters + 1 || !check_ptr(&ptr, filters, &idx, &val)) THROW(env, "sparseConvPool: bad ptr/idx/val");
  float *rows = grow_buffer(&row_buf, &row_cap, (size_t)(4 * pw + 16));
  if (!rows) THROW(env, "sparseConvPool: out of memory");
  if (idx.type == napi_uint16_array)
    conv_u16(x.data, n, cin, hp, wp, k, ptr.data, idx.data, val.data, bias.data, filters, dst.data, pad, rows);
  else
    conv_u32(x.data, n, cin, hp, wp, k, ptr.data, idx.data, val.data, bias.data, filters, dst.data, pad, rows);
  return NULL;
}
