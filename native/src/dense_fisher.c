// The diagonal Fisher of a dense ReLU network in one call (src/sparse/fisher.ts explains the maths): the
// forward pass, the backward pass of Σ_i log p(c_i | x_i) and the per-example squared gradients
// (A∘A)ᵀ diag(w) (Δ∘Δ), with no tfjs op, tape or allocation between the products. The generic tfjs path
// takes ~30 ops and an autodiff tape for the same work; here the seven products run back to back.
//
// denseFisher(mode, n, dims, params, outs, x, y)
//   mode    0 'predicted' (c_i = argmax p), 1 'true' (c_i = y_i), 2 'exact' (every class c, weighted by p_ic)
//   dims    [D_0, ..., D_L, C]: input width, the L layer widths, the number of classes
//   params  offsets of [W_0, b_0, ..., W_{L-1}, b_{L-1}, W_head, b_head] (W_l is D_l × D_{l+1}, row-major)
//   outs    offsets of the 2L outputs (Fisher of W_l and b_l), overwritten with the mean over the n examples
//   x       offset of the n × D_0 inputs;  y  offset of n int32 labels (read by mode 1 only)
#include <math.h>
#include <string.h>

#include "common.h"

#define MAX_LAYERS 16

// Scratch of its own (the convolutions' im2col buffer is another), grown once by the largest estimate.
static float *arena = NULL;
static size_t arena_floats = 0;

VECTOR_CLONES
static void bias_relu(float *z, const float *b, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows; i++) {
    float *r = z + i * cols;
    for (int64_t j = 0; j < cols; j++) {
      const float v = r[j] + b[j];
      r[j] = v > 0.0f ? v : 0.0f;
    }
  }
}

VECTOR_CLONES
static void square(const float *a, float *out, int64_t count) {
  for (int64_t i = 0; i < count; i++) out[i] = a[i] * a[i];
}

/** d ∘= step(a): the ReLU's derivative, read from its output (a > 0 exactly where its input was). */
VECTOR_CLONES
static void relu_mask(float *d, const float *a, int64_t count) {
  for (int64_t i = 0; i < count; i++) d[i] = a[i] > 0.0f ? d[i] : 0.0f;
}

/** sq = w_i · d² row by row (w = NULL: weight 1), and bias += Σ_i of it. */
static void weighted_squares(const float *d, float *sq, const float *w, int64_t rows, int64_t cols, float *bias) {
  for (int64_t i = 0; i < rows; i++) {
    const float *r = d + i * cols;
    float *s = sq + i * cols;
    const float wi = w ? w[i] : 1.0f;
    for (int64_t j = 0; j < cols; j++) {
      s[j] = w ? (r[j] * r[j]) * wi : r[j] * r[j];
      bias[j] += s[j];
    }
  }
}

static int read_offsets(napi_env env, napi_value arr, int64_t *out, uint32_t max, uint32_t *count) {
  bool is_array = false;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array) return 0;
  if (napi_get_array_length(env, arr, count) != napi_ok || *count > max) return 0;
  for (uint32_t i = 0; i < *count; i++) {
    napi_value v;
    double d;
    if (napi_get_element(env, arr, i, &v) != napi_ok || napi_get_value_double(env, v, &d) != napi_ok) return 0;
    out[i] = (int64_t)d;
  }
  return 1;
}

napi_value dense_fisher(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int64_t head[2], io[2];
  int64_t dims[MAX_LAYERS + 2], params[2 * MAX_LAYERS + 2], outs[2 * MAX_LAYERS];
  uint32_t nd, np, no;
  if (!get_args(env, info, 7, argv) || !get_ints(env, argv, 2, head) || !get_ints(env, argv + 5, 2, io))
    THROW(env, "denseFisher: expected (mode, n, dims, params, outs, x, y)");
  if (!read_offsets(env, argv[2], dims, MAX_LAYERS + 2, &nd) || !read_offsets(env, argv[3], params, 2 * MAX_LAYERS + 2, &np) ||
      !read_offsets(env, argv[4], outs, 2 * MAX_LAYERS, &no))
    THROW(env, "denseFisher: dims, params and outs must be arrays of numbers (at most 16 layers)");
  const int mode = (int)head[0];
  const int64_t n = head[1];
  const int64_t L = (int64_t)nd - 2;
  if (mode < 0 || mode > 2) THROW(env, "denseFisher: mode must be 0, 1 or 2");
  if (L < 1 || np != 2 * L + 2 || no != 2 * L) THROW(env, "denseFisher: dims, params and outs disagree on the number of layers");
  if (n < 1) THROW(env, "denseFisher: no examples");
  for (uint32_t i = 0; i < nd; i++)
    if (dims[i] < 1) THROW(env, "denseFisher: a width is not positive");
  const int64_t C = dims[L + 1];
  // Every tensor must lie in the heap.
  int ok = in_heap(io[0], n * dims[0]) && (mode != 1 || in_heap(io[1], n));
  for (int64_t l = 0; l <= L && ok; l++) {
    const int64_t out = l < L ? dims[l + 1] : C;
    ok = in_heap(params[2 * l], dims[l] * out) && in_heap(params[2 * l + 1], out);
    if (ok && l < L) ok = in_heap(outs[2 * l], dims[l] * out) && in_heap(outs[2 * l + 1], out);
  }
  if (!ok) THROW(env, "denseFisher: a tensor lies outside the heap");

  // Scratch: activations A_1..A_L, their squares (and x's), deltas, squared deltas, logits, weights.
  int64_t widest = C, acts = 0;
  for (int64_t l = 0; l <= L; l++) {
    if (dims[l] > widest) widest = dims[l];
    if (l > 0) acts += n * dims[l];
  }
  const size_t total = (size_t)(2 * acts + n * dims[0] + 3 * n * widest + 2 * n * C + n);
  float *s = grow_buffer(&arena, &arena_floats, total);
  if (!s) THROW(env, "denseFisher: out of memory for scratch");
  const float *A[MAX_LAYERS + 1];
  float *A2[MAX_LAYERS];
  A[0] = at(io[0]);
  for (int64_t l = 1; l <= L; l++) {
    A[l] = s;
    s += n * dims[l];
  }
  for (int64_t l = 0; l < L; l++) {
    A2[l] = s;
    s += n * dims[l];
  }
  float *delta = s, *delta_next = s + n * widest, *sq = s + 2 * n * widest;
  float *lp = s + 3 * n * widest, *g = lp + n * C, *w = g + n * C;

  // Forward: A_{l+1} = relu(A_l W_l + b_l); log-probabilities of the head's logits.
  for (int64_t l = 0; l < L; l++) {
    float *z = (float *)A[l + 1];
    sgemm(0, 0, n, dims[l + 1], dims[l], A[l], dims[l], at(params[2 * l]), dims[l + 1], 0.0f, z, dims[l + 1]);
    bias_relu(z, at(params[2 * l + 1]), n, dims[l + 1]);
  }
  sgemm(0, 0, n, C, dims[L], A[L], dims[L], at(params[2 * L]), C, 0.0f, lp, C);
  const float *bh = at(params[2 * L + 1]);
  for (int64_t i = 0; i < n; i++) {
    float *r = lp + i * C;
    float mx = -INFINITY;
    for (int64_t c = 0; c < C; c++) {
      r[c] += bh[c];
      if (r[c] > mx) mx = r[c];
    }
    float sum = 0.0f;
    for (int64_t c = 0; c < C; c++) sum += expf(r[c] - mx);
    const float lse = logf(sum);
    for (int64_t c = 0; c < C; c++) r[c] = (r[c] - mx) - lse;
  }
  for (int64_t l = 0; l < L; l++) square(A[l], A2[l], n * dims[l]);
  for (int64_t l = 0; l < L; l++) {
    memset(at(outs[2 * l]), 0, (size_t)(dims[l] * dims[l + 1]) * 4);
    memset(at(outs[2 * l + 1]), 0, (size_t)dims[l + 1] * 4);
  }

  const int32_t *labels = mode == 1 ? (const int32_t *)at(io[1]) : NULL;
  const int64_t passes = mode == 2 ? C : 1;
  for (int64_t pass = 0; pass < passes; pass++) {
    // ∂ Σ_i log p(c_i | x_i) / ∂ logits = onehot(c_i) − p_i (a label outside [0, C) targets nothing, as tf.oneHot).
    for (int64_t i = 0; i < n; i++) {
      const float *r = lp + i * C;
      int64_t target = pass;
      if (mode == 0) {
        target = 0;
        for (int64_t c = 1; c < C; c++)
          if (r[c] > r[target]) target = c;
      } else if (mode == 1) {
        target = labels[i];
      }
      const int hit = target >= 0 && target < C;
      for (int64_t c = 0; c < C; c++) g[i * C + c] = (c == target ? 1.0f : 0.0f) - (hit ? expf(r[c]) : 0.0f);
      if (mode == 2) w[i] = expf(r[pass]);
    }
    // Backward, last layer first: Δ_{L-1} = (G W_headᵀ) ∘ step(A_L), Δ_{l-1} = (Δ_l W_lᵀ) ∘ step(A_l).
    sgemm(0, 1, n, dims[L], C, g, C, at(params[2 * L]), C, 0.0f, delta, dims[L]);
    relu_mask(delta, A[L], n * dims[L]);
    for (int64_t l = L - 1; l >= 0; l--) {
      if (l > 0) {
        sgemm(0, 1, n, dims[l], dims[l + 1], delta, dims[l + 1], at(params[2 * l]), dims[l + 1], 0.0f, delta_next, dims[l]);
        relu_mask(delta_next, A[l], n * dims[l]);
      }
      weighted_squares(delta, sq, mode == 2 ? w : NULL, n, dims[l + 1], at(outs[2 * l + 1]));
      sgemm(1, 0, dims[l], dims[l + 1], n, A2[l], dims[l], sq, dims[l + 1], 1.0f, at(outs[2 * l]), dims[l + 1]);
      float *t = delta;
      delta = delta_next;
      delta_next = t;
    }
  }
  // The mean over examples.
  for (int64_t l = 0; l < L; l++) {
    float *fw = at(outs[2 * l]), *fb = at(outs[2 * l + 1]);
    for (int64_t i = 0; i < dims[l] * dims[l + 1]; i++) fw[i] /= (float)n;
    for (int64_t j = 0; j < dims[l + 1]; j++) fb[j] /= (float)n;
  }
  return NULL;
}
