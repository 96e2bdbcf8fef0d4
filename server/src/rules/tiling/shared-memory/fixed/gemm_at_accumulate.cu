// C += A^T B with A stored K x M (a weight-gradient GEMM), one output per thread, the store
// guarded (the k loop runs for every thread). Every thread along x reads the same
// At[p * lda + i] and every thread along y the same B[p * ldb + j], from global memory in the p
// loop: tiling/shared-memory. The launch configuration is written inline.
#include <cuda_runtime.h>

__global__ void gemm_tn_acc(const float* At, const float* B, float* C, int m, int n, int k_dim,
                            int lda, int ldb, int ldc) {
  // kernel-advisor: shared-memory tiling: each 32 x 32 block stages 32 x 32 tiles of At and B in __shared__ memory (zero outside the matrices), reusing each loaded element 32 times
  constexpr int TILE = 32;
  __shared__ float As[TILE][TILE + 1];
  __shared__ float Bs[TILE][TILE];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int i = blockIdx.y * TILE + ty;
  const int j = blockIdx.x * TILE + tx;
  float partial = 0.0f;
  for (int t = 0; t < k_dim; t += TILE) {
    As[tx][ty] = (blockIdx.y * TILE + tx < m && t + ty < k_dim) ? At[(t + ty) * lda + blockIdx.y * TILE + tx] : 0.0f;
    Bs[ty][tx] = (t + ty < k_dim && j < n) ? B[(t + ty) * ldb + j] : 0.0f;
    __syncthreads();
    for (int k = 0; k < TILE; ++k) partial += As[ty][k] * Bs[k][tx];
    __syncthreads();
  }
  if (i < m && j < n) C[i * ldc + j] += partial;
}

void gemm_tn_acc_launch(const float* At, const float* B, float* C, int m, int n, int k,
                        cudaStream_t s) {
  gemm_tn_acc<<<dim3((n + 31) / 32, (m + 31) / 32), dim3(32, 32), 0, s>>>(At, B, C, m, n, k, m, n, n);
}
