// A naive matmul written with accessor macros (as in LAPACK-style code): the macros are
// expanded, so `A_(row, k)` is the re-read of A across threadIdx.x.
#define A_(i, j) A[(i) * lda + (j)]
#define B_(i, j) B[(i) * ldb + (j)]
#define C_(i, j) C[(i) * ldc + (j)]

__global__ void sgemm_macros(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc) {
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
