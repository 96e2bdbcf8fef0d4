// cublasSgemm 4096^3: default fp32 math, with the TF32 fix applied, and hand-set TF32 math (one handle each: the mode sticks to a handle).
#include <cublas_v2.h>
#include "../common.cuh"
namespace before_ {
#include "before.cu"
}
namespace after_ {
#include "after.cu"
}
namespace hand_ {
#include "hand.cu"
}

int main() {
  const int S = 4096;
  float* A = bench::random_floats((size_t)S * S, 1);
  float* B = bench::random_floats((size_t)S * S, 2);
  float* C = bench::zeros<float>((size_t)S * S);
  cublasHandle_t h[3];
  for (auto& x : h) if (cublasCreate(&x) != CUBLAS_STATUS_SUCCESS) return 1;
  const double flop = 2.0 * S * S * S;
  double fp32_ms = bench::median_ms([&] { before_::launch(h[0], A, B, C, S, S, S); });
  // the ceiling is cuBLAS fp32 (the before variant itself): the TF32 rows show their speedup over it
  bench::Work w{"TFLOP/s", flop, 1e12, flop / (fp32_ms * 1e-3) / 1e12};
  // TF32 rounds inputs to a 10-bit mantissa: errors near 1e-2 of an output of size 1 are expected over K = 4096
  bench::compare_and_time("tf32", {
      {"before", [&] { before_::launch(h[0], A, B, C, S, S, S); }},
      {"fix", [&] { after_::launch(h[1], A, B, C, S, S, S); }},
      {"hand", [&] { hand_::launch(h[2], A, B, C, S, S, S); }},
    }, [&] { CHECK(cudaMemset(C, 0, (size_t)S * S * sizeof(float))); }, [&] { return bench::to_host(C, (size_t)S * S); }, 5e-2, w);
  for (auto& x : h) cublasDestroy(x);
  return 0;
}
