{
  # fsmtl's optional native kernels (Node-API, C). Built by `npm run build:native` (scripts/native.mjs);
  # needs a C compiler and OpenBLAS (Debian: libopenblas-dev). With oneDNN (Debian: libdnnl-dev) found,
  # scripts/native.mjs passes --with_dnnl=1 and convolutions run on it.
  "variables": { "with_dnnl%": 0 },
  "targets": [
    {
      "target_name": "fsmtl_native",
      "sources": ["src/fsmtl_native.c", "src/dense_fisher.c", "src/sparse_infer.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fno-strict-aliasing", "-ffp-contract=off", "-fno-math-errno", "-Wno-psabi"],
      "defines": ["NAPI_VERSION=8"],
      "libraries": ["-lopenblas"],
      "conditions": [
        ["with_dnnl==1", {
          "sources": ["src/dnnl_conv.c"],
          "defines": ["FSMTL_DNNL"],
          "libraries": ["-ldnnl", "-lgomp"]
        }]
      ]
    }
  ]
}
