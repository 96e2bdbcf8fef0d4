// SGEMM with alpha/beta and B stored transposed (N x K, like nn.Linear's weight):
// C = alpha * A * B^T + beta * C, one thread per output, early return outside C. In the k loop
// A[row * lda + k] is re-read by every thread along x and Bt[col * ldb + k] by every thread along
// y, straight from global memory: tiling/shared-memory (its fix stages Bt transposed).
#include <cuda_runtime.h>

__global__ void sgemm_nt(int M, int N, int K, float alpha, const float* __restrict__ A, int lda,
                         const float* __restrict__ Bt, int ldb, float beta, float* __restrict__ C, int ldc) {
  // kernel-advisor: shared-memory tiling: each 32 x 32 block stages 32 x 32 tiles of A and Bt in __shared__ memory (zero outside the matrices), reusing each loaded element 32 times
  constexpr int TILE = 32;
  __shared__ float As[TILE][TILE];
  __shared__ float Bs[TILE][TILE + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row = blockIdx.y * TILE + ty;
  const int col = blockIdx.x * TILE + tx;
  float sum = 0.0f;
  for (int t = 0; t < K; t += TILE) {
    As[ty][tx] = (row < M && t + tx < K) ? A[row * lda + t + tx] : 0.0f;
    Bs[tx][ty] = (t + tx < K && blockIdx.x * TILE + ty < N) ? Bt[(blockIdx.x * TILE + ty) * ldb + t + tx] : 0.0f;
    __syncthreads();
    for (int k = 0; k < TILE; ++k) sum += As[ty][k] * Bs[k][tx];
    __syncthreads();
  }
  if (row < M && col < N) C[row * ldc + col] = alpha * sum + beta * C[row * ldc + col];
}

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

void gemm_nt(int M, int N, int K, float alpha, const float* A, const float* Bt, float beta, float* C,
             cudaStream_t stream) {
  dim3 threads(32, 32);
  dim3 blocks(ceil_div(N, 32), ceil_div(M, 32));
  sgemm_nt<<<blocks, threads, 0, stream>>>(M, N, K, alpha, A, K, Bt, K, beta, C, N);
}
