// Naive matmul with __launch_bounds__, #pragma unroll, leading dimensions and a row pointer:
// a_row[k] (= A[row * lda + k]) is the same address for every thread of a block row, re-read
// from global memory in the k-loop: tiling/shared-memory fires on a_row[k].
#include <cuda_runtime.h>

constexpr int BX = 32;
constexpr int BY = 8;

__global__ void matmul_naive(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C,
                             int M, int N, int K, int lda, int ldb, int ldc) {
  // kernel-advisor: shared-memory tiling: each 32 x 32 block stages 32 x 32 tiles of A and B in __shared__ memory (zero outside the matrices), reusing each loaded element 32 times
  constexpr int TILE = 32;
  __shared__ float As[TILE][TILE];
  __shared__ float Bs[TILE][TILE];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row = blockIdx.y * TILE + ty;
  const int col = blockIdx.x * TILE + tx;
  float acc = 0.0f;
  for (int t = 0; t < K; t += TILE) {
    As[ty][tx] = (row < M && t + tx < K) ? A[row * lda + t + tx] : 0.0f;
    Bs[ty][tx] = (t + ty < K && col < N) ? B[(t + ty) * ldb + col] : 0.0f;
    __syncthreads();
    for (int k = 0; k < TILE; ++k) acc += As[ty][k] * Bs[k][tx];
    __syncthreads();
  }
  if (row < M && col < N) C[row * ldc + col] = acc;
}

void matmul(const float* dA, const float* dB, float* dC, int M, int N, int K,
            cudaStream_t stream) {
  const dim3 block(32, 32);
  const dim3 grid((N + 31) / 32, (M + 31) / 32);
  matmul_naive<<<grid, block, 0, stream>>>(dA, dB, dC, M, N, K, K, N, N);
}
