// matmul_opt.cpp - single-precision GEMM variants for the CPU backend.
//
// All matrices are row-major: A is M x K, B is K x N, C is M x N.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

namespace cpu_backend {

template <typename T>
void gemm_naive(const T* A, const T* B, T* C, int M, int N, int K) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      T acc = T(0);
      for (int k = 0; k < K; ++k) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}

// Loop-interchanged: B and C are streamed along rows, inner loop vectorized.
void gemm_ikj(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C,
              int M, int N, int K) {
  std::memset(C, 0, sizeof(float) * static_cast<size_t>(M) * N);
  for (int i = 0; i < M; ++i)
    for (int k = 0; k < K; ++k) {
      const float a = A[i * K + k];
#pragma omp simd
      for (int j = 0; j < N; ++j) C[i * N + j] += a * B[k * N + j];
    }
}

namespace {
constexpr int MC = 128;  // rows of A per L2 block
constexpr int KC = 256;  // depth per L1 panel
constexpr int NC = 2048; // columns of B per L3 block
constexpr int MR = 4;
constexpr int NR = 16;

// Copy a KC x NC panel of B into NR-wide column strips, zero-padded.
void pack_b(const float* B, float* packed, int N, int k0, int kc, int j0, int nc) {
  for (int jr = 0; jr < nc; jr += NR)
    for (int k = 0; k < kc; ++k)
      for (int j = 0; j < NR; ++j)
        *packed++ = (jr + j < nc) ? B[static_cast<size_t>(k0 + k) * N + j0 + jr + j] : 0.0f;
}

// MR x NR register tile: C[MR][NR] += A[MR][kc] * Bp[kc][NR].
inline void micro_kernel(const float* __restrict__ A, int lda, const float* __restrict__ Bp,
                         float* __restrict__ C, int ldc, int kc, int mr, int nr) {
  float acc[MR][NR] = {};
  for (int k = 0; k < kc; ++k) {
    const float* b = Bp + k * NR;
    for (int r = 0; r < MR; ++r) {
      const float a = r < mr ? A[r * lda + k] : 0.0f;
#pragma omp simd
      for (int j = 0; j < NR; ++j) acc[r][j] += a * b[j];
    }
  }
  for (int r = 0; r < mr; ++r)
    for (int j = 0; j < nr; ++j) C[r * ldc + j] += acc[r][j];
}
}  // namespace

// Three-level blocked GEMM with a packed B panel and a 4x16 register tile.
void gemm_blocked(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C,
                  int M, int N, int K) {
  std::vector<float> bpack(static_cast<size_t>(KC) * (NC + NR));
  std::memset(C, 0, sizeof(float) * static_cast<size_t>(M) * N);
  for (int j0 = 0; j0 < N; j0 += NC) {
    const int nc = std::min(NC, N - j0);
    for (int k0 = 0; k0 < K; k0 += KC) {
      const int kc = std::min(KC, K - k0);
      pack_b(B, bpack.data(), N, k0, kc, j0, nc);
      for (int i0 = 0; i0 < M; i0 += MC) {
        const int mc = std::min(MC, M - i0);
        for (int jr = 0; jr < nc; jr += NR)
          for (int ir = 0; ir < mc; ir += MR)
            micro_kernel(A + static_cast<size_t>(i0 + ir) * K + k0, K,
                         bpack.data() + static_cast<size_t>(jr) * kc,
                         C + static_cast<size_t>(i0 + ir) * N + j0 + jr, N, kc,
                         std::min(MR, mc - ir), std::min(NR, nc - jr));
      }
    }
  }
}

// y = A x for a batch of right-hand sides stored column by column in X (N x R).
void gemv_batched_colmajor(const float* A, const float* X, float* Y, int M, int N, int R) {
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < M; ++i) {
      float acc = 0.0f;
      for (int j = 0; j < N; ++j) acc += A[i * N + j] * X[j * R + r];
      Y[i * R + r] = acc;
    }
}

template void gemm_naive<float>(const float*, const float*, float*, int, int, int);
template void gemm_naive<double>(const double*, const double*, double*, int, int, int);

}  // namespace cpu_backend
