{
  # courier_blas: N-API addon with CBLAS-backed matmul / conv kernels for tfjs's CPU backend.
  # Built by tools/build-native.js (npm postinstall, `npm run build:native`); needs g++ and
  # libopenblas-dev. No -march=native: OpenBLAS picks its own SIMD kernels at run time, and a
  # binary built here must not die with SIGILL on an older CPU.
  # Optional oneDNN (Debian libdnnl-dev): probe-dnnl.js prints 1 when a test program compiles and
  # links with -ldnnl; convolutions then run on oneDNN (COURIER_DNNL=0 at build time turns it off).
  "variables": {
    "with_dnnl%": "<!(node probe-dnnl.js)"
  },
  "targets": [
    {
      "target_name": "courier_blas",
      "sources": ["csrc/courier_blas.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "/usr/include/openblas"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-ffp-contract=off"],
      "libraries": ["-lopenblas"],
      "conditions": [
        ["with_dnnl==1", {
          "defines": ["COURIER_WITH_DNNL"],
          "cflags_cc": ["-fopenmp"],
          "libraries": ["-ldnnl", "-fopenmp"]
        }]
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CFLAGS": ["-std=c++17", "-O3", "-ffp-contract=off"]
      }
    }
  ]
}
