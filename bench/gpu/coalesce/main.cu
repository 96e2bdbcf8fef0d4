// Naive SGEMM 4096^3 with threadIdx.x on rows, what the coalescing fix writes, the hand-written one with threadIdx.x on columns.
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
  const int M = 4096, N = 4096, K = 4096;
  float* A = bench::random_floats((size_t)M * K, 1);
  float* B = bench::random_floats((size_t)K * N, 2);
  float* C = bench::zeros<float>((size_t)M * N);
  cublasHandle_t h;
  if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) return 1;
  const float one = 1.0f, zero = 0.0f;
  double ceiling_ms = bench::median_ms([&] { cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &one, B, N, A, K, &zero, C, N); });
  const double flop = 2.0 * M * N * K;
  bench::Work w{"TFLOP/s", flop, 1e12, flop / (ceiling_ms * 1e-3) / 1e12};
  bench::compare_and_time("coalesce", {
      {"before", [&] { before_::launch(A, B, C, M, N, K); }},
      {"fix", [&] { after_::launch(A, B, C, M, N, K); }},
      {"hand", [&] { hand_::launch(A, B, C, M, N, K); }},
    }, [&] { CHECK(cudaMemset(C, 0, (size_t)M * N * sizeof(float))); }, [&] { return bench::to_host(C, (size_t)M * N); }, 1e-5, w);
  const int m = 1000, n = 777, k = 333;
  bench::compare_and_time("coalesce-edges", {
      {"before", [&] { before_::launch(A, B, C, m, n, k); }},
      {"fix", [&] { after_::launch(A, B, C, m, n, k); }},
    }, [&] { CHECK(cudaMemset(C, 0, (size_t)M * N * sizeof(float))); }, [&] { return bench::to_host(C, (size_t)m * n); }, 1e-5,
    bench::Work{"TFLOP/s", 2.0 * m * n * k, 1e12, w.ceiling});
  cublasDestroy(h);
  return 0;
}
