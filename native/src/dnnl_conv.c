// Convolutions on oneDNN (the library PyTorch's CPU convolutions run on), used when the addon was built
// with it (FSMTL_DNNL): direct NHWC kernels instead of im2col + a skinny BLAS product, which for LeNet's
// few channels spends its time writing the 25× larger im2col matrix. Tensors are read and written in place;
// only the small filter is reordered into the layout the kernel wants. Primitives are made once per
// geometry and kept in a small cache.
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

void omp_set_num_threads(int n);

#define CACHE_SIZE 32

typedef struct {
  int used;
  uint64_t last_use;
  int kind;
  ConvGeom g;
  dnnl_primitive_t conv;
  dnnl_primitive_t reorder;  // filter: user layout → kernel layout (forward, backprop input) or back (backprop filter)
  dnnl_memory_t big0, big1;  // the NHWC tensors (handles set per call)
  dnnl_memory_t user_w, kernel_w;
  float *kernel_w_buf;       // NULL when the kernel takes the user's layout as is
} Entry;

static dnnl_engine_t engine = NULL;
static dnnl_stream_t stream = NULL;
static Entry cache[CACHE_SIZE];
static uint64_t uses = 0;
static int broken = 0;  // oneDNN failed to start: use the BLAS path

void dnnl_conv_set_threads(int n) { omp_set_num_threads(n); }

static void release(Entry *e) {
  if (e->conv) dnnl_primitive_destroy(e->conv);
  if (e->reorder) dnnl_primitive_destroy(e->reorder);
  if (e->big0) dnnl_memory_destroy(e->big0);
  if (e->big1) dnnl_memory_destroy(e->big1);
  if (e->user_w) dnnl_memory_destroy(e->user_w);
  if (e->kernel_w) dnnl_memory_destroy(e->kernel_w);
  free(e->kernel_w_buf);
  memset(e, 0, sizeof(*e));
}

/** Builds the primitives for one geometry; 0 when oneDNN has no kernel for it. */
static int build(Entry *e, int kind, const ConvGeom *g) {
  const int64_t pb = (g->oh - 1) * g->sh + (g->kh - 1) * g->dh + 1 - g->h - g->pt;
  const int64_t pr = (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1 - g->w - g->pl;
  if (pb < 0 || pr < 0) return 0;  // 'valid' with a remainder: left to the BLAS path
  dnnl_dims_t x_dims = {g->n, g->cin, g->h, g->w}, y_dims = {g->n, g->cout, g->oh, g->ow};
  dnnl_dims_t w_dims = {g->cout, g->cin, g->kh, g->kw};
  dnnl_dims_t strides = {g->sh, g->sw}, dil = {g->dh - 1, g->dw - 1}, pad_l = {g->pt, g->pl}, pad_r = {pb, pr};
  dnnl_memory_desc_t x_md, y_md, w_any, w_user;
  if (dnnl_memory_desc_init_by_tag(&x_md, 4, x_dims, dnnl_f32, dnnl_nhwc) ||
      dnnl_memory_desc_init_by_tag(&y_md, 4, y_dims, dnnl_f32, dnnl_nhwc) ||
      dnnl_memory_desc_init_by_tag(&w_any, 4, w_dims, dnnl_f32, dnnl_format_tag_any) ||
      dnnl_memory_desc_init_by_tag(&w_user, 4, w_dims, dnnl_f32, dnnl_hwio))
    return 0;
  dnnl_convolution_desc_t fwd_d, d;
  dnnl_primitive_desc_t fwd_pd = NULL, pd = NULL;
  int ok = 0;
  if (dnnl_dilated_convolution_forward_desc_init(&fwd_d, dnnl_forward_training, dnnl_convolution_direct, &x_md, &w_any, NULL,
                                                 &y_md, strides, dil, pad_l, pad_r) ||
      dnnl_primitive_desc_create(&fwd_pd, &fwd_d, NULL, engine, NULL))
    goto done;
  if (kind == 0) {
    pd = fwd_pd;
    fwd_pd = NULL;
  } else if (kind == 1) {
    if (dnnl_dilated_convolution_backward_data_desc_init(&d, dnnl_convolution_direct, &x_md, &w_any, &y_md, strides, dil, pad_l,
                                                         pad_r) ||
        dnnl_primitive_desc_create(&pd, &d, NULL, engine, fwd_pd))
      goto done;
  } else {
    if (dnnl_dilated_convolution_backward_weights_desc_init(&d, dnnl_convolution_direct, &x_md, &w_any, NULL, &y_md, strides, dil,
                                                            pad_l, pad_r) ||
        dnnl_primitive_desc_create(&pd, &d, NULL, engine, fwd_pd))
      goto done;
  }
  const dnnl_memory_desc_t *w_kernel = dnnl_primitive_desc_query_md(pd, kind == 2 ? dnnl_query_diff_weights_md : dnnl_query_weights_md, 0);
  if (!w_kernel || dnnl_primitive_create(&e->conv, pd)) goto done;
  if (dnnl_memory_create(&e->big0, kind == 1 ? &y_md : &x_md, engine, DNNL_MEMORY_NONE) ||
      dnnl_memory_create(&e->big1, kind == 0 ? &y_md : kind == 1 ? &x_md : &y_md, engine, DNNL_MEMORY_NONE) ||
      dnnl_memory_create(&e->user_w, &w_user, engine, DNNL_MEMORY_NONE))
    goto done;
  if (!dnnl_memory_desc_equal(w_kernel, &w_user)) {
    const size_t bytes = dnnl_memory_desc_get_size(w_kernel);
    e->kernel_w_buf = (float *)aligned_alloc(64, ((bytes + 63) / 64) * 64);
    if (!e->kernel_w_buf || dnnl_memory_create(&e->kernel_w, w_kernel, engine, e->kernel_w_buf)) goto done;
    dnnl_primitive_desc_t rpd = NULL;
    const dnnl_memory_desc_t *from = kind == 2 ? w_kernel : &w_user, *to = kind == 2 ? &w_user : w_kernel;
    if (dnnl_reorder_primitive_desc_create(&rpd, from, engine, to, engine, NULL)) goto done;
    const dnnl_status_t s = dnnl_primitive_create(&e->reorder, rpd);
    dnnl_primitive_desc_destroy(rpd);
    if (s) goto done;
  }
  ok = 1;
done:
  if (fwd_pd) dnnl_primitive_desc_destroy(fwd_pd);
  if (pd) dnnl_primitive_desc_destroy(pd);
  if (!ok) release(e);
  return ok;
}

static Entry *lookup(int kind, const ConvGeom *g) {
  Entry *victim = &cache[0];
  for (int i = 0; i < CACHE_SIZE; i++) {
    Entry *e = &cache[i];
    if (e->used && e->kind == kind && memcmp(&e->g, g, sizeof(*g)) == 0) {
      e->last_use = ++uses;
      return e;
    }
    if (!e->used || (victim->used && e->last_use < victim->last_use)) victim = e;
  }
  release(victim);
  if (!build(victim, kind, g)) return NULL;
  victim->used = 1;
  victim->kind = kind;
  victim->g = *g;
  victim->last_use = ++uses;
  return victim;
}

static int run(dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args) {
  return dnnl_primitive_execute(p, stream, nargs, args) == dnnl_success && dnnl_stream_wait(stream) == dnnl_success;
}

int dnnl_conv(int kind, const ConvGeom *g, const float *p0, const float *p1, float *out) {
  if (broken) return 0;
  if (!engine) {
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) || dnnl_stream_create(&stream, engine, dnnl_stream_default_flags)) {
      broken = 1;
      return 0;
    }
  }
  Entry *e = lookup(kind, g);
  if (!e) return 0;
  // Inputs and outputs per kind: forward (x, w → y), backprop input (dy, w → dx), backprop filter (x, dy → dw).
  dnnl_memory_set_data_handle(e->big0, (void *)p0);
  dnnl_memory_set_data_handle(e->big1, kind == 2 ? (void *)p1 : out);
  dnnl_memory_set_data_handle(e->user_w, kind == 2 ? out : (void *)p1);
  dnnl_memory_t w = e->kernel_w ? e->kernel_w : e->user_w;
  if (kind != 2 && e->reorder) {
    const dnnl_exec_arg_t r[] = {{DNNL_ARG_FROM, e->user_w}, {DNNL_ARG_TO, e->kernel_w}};
    if (!run(e->reorder, 2, r)) return 0;
  }
  int ok;
  if (kind == 0) {
    const dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, e->big0}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, e->big1}};
    ok = run(e->conv, 3, a);
  } else if (kind == 1) {
    const dnnl_exec_arg_t a[] = {{DNNL_ARG_DIFF_DST, e->big0}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, e->big1}};
    ok = run(e->conv, 3, a);
  } else {
    const dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, e->big0}, {DNNL_ARG_DIFF_DST, e->big1}, {DNNL_ARG_DIFF_WEIGHTS, w}};
    ok = run(e->conv, 3, a);
    if (ok && e->reorder) {
      const dnnl_exec_arg_t r[] = {{DNNL_ARG_FROM, e->kernel_w}, {DNNL_ARG_TO, e->user_w}};
      ok = run(e->reorder, 2, r);
    }
  }
  return ok;
}

const char *dnnl_conv_version(void) {
  static char text[32];
  const dnnl_version_t *v = dnnl_version();
  snprintf(text, sizeof(text), "oneDNN %d.%d.%d", v->major, v->minor, v->patch);
  return text;
}
