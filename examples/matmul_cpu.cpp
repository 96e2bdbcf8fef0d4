// Naive single-precision matrix multiply, C = A * B, all n x n, row-major.
// Kernel Advisor: tiling/cpu-loop-nest reports the i loop (B is re-read for every i).
#include <cstddef>

void matmul(std::size_t n, const float* A, const float* B, float* C) {
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      float sum = 0.0f;
      for (std::size_t k = 0; k < n; ++k) {
        sum += A[i * n + k] * B[k * n + j];
      }
      C[i * n + j] = sum;
    }
  }
}
