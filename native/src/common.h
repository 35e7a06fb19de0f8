// What fsmtl_native.c shares with the other kernel files: heap access, argument reading, BLAS products.
#ifndef FSMTL_COMMON_H
#define FSMTL_COMMON_H
#include <node_api.h>
#include <stdint.h>

#define THROW(env, msg)                             \
  do {                                              \
    napi_throw_error((env), "EFSMTLNATIVE", (msg)); \
    return NULL;                                    \
  } while (0)

// Element-wise loops get one compiled copy per instruction set on x86-64 (GCC function multiversioning).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/** Reads `want` arguments into argv; 0 if fewer were given. */
int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv);
/** Reads argv[0..count) as integers; 0 if one is not a number. */
int get_ints(napi_env env, napi_value *argv, size_t count, int64_t *out);
/** Whether floats [off, off + count) lie inside the registered heap. */
int in_heap(int64_t off, int64_t count);
/** The heap address of float offset `off`. */
float *at(int64_t off);
/** A 64-byte aligned scratch buffer that only grows (*buf, *cap floats): no allocation in steady state. */
float *grow_buffer(float **buf, size_t *cap, size_t floats);
/** Row-major C = op(A)·op(B) + beta·C on OpenBLAS, with as many threads as the size pays for. */
void sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
           float beta, float *c, int64_t ldc);

napi_value dense_fisher(napi_env env, napi_callback_info info);
/** The sparse inference path's kernels (sparse_infer.c). */
napi_value sparse_dense(napi_env env, napi_callback_info info);
napi_value sparse_conv_pool(napi_env env, napi_callback_info info);

/** A convolution's geometry: NHWC input [n, h, w, cin], filter [kh, kw, cin, cout], output [n, oh, ow, cout]. */
typedef struct {
  int64_t n, h, w, cin, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, cout;
} ConvGeom;

#ifdef FSMTL_DNNL
/** Runs a convolution on oneDNN (kind 0 forward, 1 backprop input, 2 backprop filter); 0 if it cannot. */
int dnnl_conv(int kind, const ConvGeom *g, const float *p0, const float *p1, float *out);
void dnnl_conv_set_threads(int n);
const char *dnnl_conv_version(void);
#endif

#endif
