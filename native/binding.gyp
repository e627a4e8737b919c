# Builds ligo_native.node (npm run build:native). Plain N-API, oneDNN (libdnnl) for sgemm, OpenMP for the
# other kernels. Portable -O3 (no -march=native, no -ffast-math: exp/erf accuracy matters);
# -fno-math-errno and -fno-trapping-math change no results; they let sqrt and branch-free selects
# vectorise. Hot loops are multiversioned for AVX2 / AVX-512 at run time (LIGO_SIMD in
# src/common.h). C++ exceptions carry kernel errors to the bindings.
{
  "targets": [
    {
      "target_name": "ligo_native",
      "sources": [
        "src/addon.cc",
        "src/kernels_elementwise.cc",
        "src/kernels_layout.cc",
        "src/kernels_matmul.cc",
        "src/kernels_nn.cc",
        "src/pages.cc",
        "src/peak.cc"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-O2", "-O0"],
      "cflags": ["-O3", "-fopenmp", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wextra"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl"]
    }
  ]
}
