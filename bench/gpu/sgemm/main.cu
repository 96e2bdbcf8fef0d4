// C = A*B, 4096^3 fp32 row-major: the naive kernel, what the tiling fix writes from it, what the
// register-blocking fix writes from that, the hand-written tiled and register-blocked kernels, and
// cuBLAS fp32 (the ceiling, and a check of the before kernel).
#include <cublas_v2.h>
#include "../common.cuh"
namespace before_ {
#include "before.cu"
}
namespace after_ {
#include "after.cu"
}
namespace after2_ {
#include "after2.cu"
}
namespace hand_tiled_ {
#include "hand_tiled.cu"
}
namespace hand_rb_ {
#include "hand_regblock.cu"
}

int main(int argc, char** argv) {
  const int S = argc > 1 ? std::atoi(argv[1]) : 4096, M = S, N = S, K = S;
  float* A = bench::random_floats((size_t)M * K, 1);
  float* B = bench::random_floats((size_t)K * N, 2);
  float* C = bench::zeros<float>((size_t)M * N);
  cublasHandle_t h;
  if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) return 1;
  const float one = 1.0f, zero = 0.0f;
  // row-major C = A*B is column-major C^T = B^T * A^T
  auto cublas = [&] { cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &one, B, N, A, K, &zero, C, N); };
  double ceiling_ms = bench::median_ms(cublas);
  const double flop = 2.0 * M * N * K;
  bench::Work w{"TFLOP/s", flop, 1e12, flop / (ceiling_ms * 1e-3) / 1e12};
  bench::compare_and_time("sgemm", {
      {"before", [&] { before_::launch(A, B, C, M, N, K); }},
      {"cublas", cublas},
      {"fix-tiled", [&] { after_::launch(A, B, C, M, N, K); }},
      {"hand-tiled", [&] { hand_tiled_::launch(A, B, C, M, N, K); }},
      {"fix-regblock", [&] { after2_::launch(A, B, C, M, N, K); }},
      {"hand-regblock", [&] { hand_rb_::launch(A, B, C, M, N, K); }},
    }, [&] { CHECK(cudaMemset(C, 0, (size_t)M * N * sizeof(float))); }, [&] { return bench::to_host(C, (size_t)M * N); }, 1e-3, w);
  // sizes that are no multiple of any tile: the fixes' kernels stay right (the hand-written ones assume multiples)
  const int m = 1000, n = 777, k = 333;
  bench::compare_and_time("sgemm-edges", {
      {"before", [&] { before_::launch(A, B, C, m, n, k); }},
      {"fix-tiled", [&] { after_::launch(A, B, C, m, n, k); }},
      {"fix-regblock", [&] { after2_::launch(A, B, C, m, n, k); }},
    }, [&] { CHECK(cudaMemset(C, 0, (size_t)M * N * sizeof(float))); }, [&] { return bench::to_host(C, (size_t)m * n); }, 1e-3,
    bench::Work{"TFLOP/s", 2.0 * m * n * k, 1e12, w.ceiling});
  cublasDestroy(h);
  return 0;
}
