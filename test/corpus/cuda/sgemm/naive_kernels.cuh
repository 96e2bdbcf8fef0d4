// Global-memory-only SGEMM kernels (steps 1-2 of the tuning series) and the
// host fallback used for small problems.
#pragma once
#include "sgemm.cuh"

inline void sgemm_cpu(int M, int N, int K, float alpha, const float *A, const float *B, float beta,
               float *C) {
  for (int m = 0; m < M; ++m) {
    for (int n = 0; n < N; ++n) {
      float acc = 0.0f;
      for (int k = 0; k < K; ++k) {
        acc += A[m * K + k] * B[k * N + n];
      }
      C[m * N + n] = alpha * acc + beta * C[m * N + n];
    }
  }
}

// Step 1: x -> row, y -> column. Lanes of a warp get consecutive rows, so A and
// C are walked with stride K / N across the warp.
__global__ void sgemm_naive(int M, int N, int K, float alpha, const float *A, const float *B,
                            float beta, float *C) {
  const unsigned int x = blockIdx.x * blockDim.x + threadIdx.x;
  const unsigned int y = blockIdx.y * blockDim.y + threadIdx.y;

  if (x < M && y < N) {
    float tmp = 0.0;
    for (int i = 0; i < K; ++i) {
      tmp += A[x * K + i] * B[i * N + y];
    }
    C[x * N + y] = alpha * tmp + beta * C[x * N + y];
  }
}

// Step 2: 1-D block of BLOCKSIZE*BLOCKSIZE threads; threadIdx.x % BLOCKSIZE picks
// the column so a warp reads a contiguous run of B and writes a run of C.
template <const unsigned int BLOCKSIZE>
__global__ void sgemm_global_mem_coalesce(int M, int N, int K, float alpha, const float *A,
                                          const float *B, float beta, float *C) {
  const int cRow = blockIdx.x * BLOCKSIZE + (threadIdx.x / BLOCKSIZE);
  const int cCol = blockIdx.y * BLOCKSIZE + (threadIdx.x % BLOCKSIZE);

  if (cRow < M && cCol < N) {
    float tmp = 0.0;
    for (int i = 0; i < K; ++i) {
      tmp += A[cRow * K + i] * B[i * N + cCol];
    }
    C[cRow * N + cCol] = alpha * tmp + beta * C[cRow * N + cCol];
  }
}

// Same 1-D launch, but the roles of / and % are swapped: the fast-varying part of
// threadIdx.x now selects the row.
template <const unsigned int BLOCKSIZE>
__global__ void sgemm_global_rowmajor_threads(int M, int N, int K, float alpha, const float *A,
                                              const float *B, float beta, float *C) {
  const int cRow = blockIdx.x * BLOCKSIZE + (threadIdx.x % BLOCKSIZE);
  const int cCol = blockIdx.y * BLOCKSIZE + (threadIdx.x / BLOCKSIZE);

  if (cRow < M && cCol < N) {
    float tmp = 0.0;
    for (int i = 0; i < K; ++i) {
      tmp += A[cRow * K + i] * B[i * N + cCol];
    }
    C[cRow * N + cCol] = alpha * tmp + beta * C[cRow * N + cCol];
  }
}
