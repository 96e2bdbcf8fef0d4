// The optimized counterpart of matmul_naive.cu: shared-memory tiles (BM x BK of A, BK x BN
// of B) reused from on-chip memory, and register blocking (each thread computes TM x TN
// outputs). Assumes M, N, K are multiples of 64.
#include <cstdio>
#include <cuda_runtime.h>

template <int BM, int BN, int BK, int TM, int TN>
__global__ void __launch_bounds__((BM / TM) * (BN / TN))
sgemm_tiled(int M, int N, int K, const float* __restrict__ A, const float* __restrict__ B,
            float* __restrict__ C) {
  constexpr int NT = (BM / TM) * (BN / TN);
  __shared__ float As[BK][BM];
  __shared__ float Bs[BK][BN];
  const int tid = threadIdx.x;
  const int t_row = tid / (BN / TN);
  const int t_col = tid % (BN / TN);
  const float* A_blk = A + blockIdx.y * BM * K;
  const float* B_blk = B + blockIdx.x * BN;

  float acc[TM][TN] = {};
  for (int k0 = 0; k0 < K; k0 += BK) {
    for (int e = tid; e < BM * BK; e += NT) As[e % BK][e / BK] = A_blk[(e / BK) * K + k0 + e % BK];
    for (int e = tid; e < BK * BN; e += NT) Bs[e / BN][e % BN] = B_blk[(k0 + e / BN) * N + e % BN];
    __syncthreads();
#pragma unroll
    for (int k = 0; k < BK; ++k) {
      float a_frag[TM], b_frag[TN];
#pragma unroll
      for (int i = 0; i < TM; ++i) a_frag[i] = As[k][t_row * TM + i];
#pragma unroll
      for (int j = 0; j < TN; ++j) b_frag[j] = Bs[k][t_col * TN + j];
#pragma unroll
      for (int i = 0; i < TM; ++i) {
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a_frag[i], b_frag[j], acc[i][j]);
      }
    }
    __syncthreads();
  }
  float* C_blk = C + (blockIdx.y * BM + t_row * TM) * N + blockIdx.x * BN + t_col * TN;
#pragma unroll
  for (int i = 0; i < TM; ++i) {
#pragma unroll
    for (int j = 0; j < TN; ++j) C_blk[i * N + j] = acc[i][j];
  }
}

int main() {
  const int n = 4096;
  const size_t bytes = size_t(n) * n * sizeof(float);
  float *d_a, *d_b, *d_c;
  cudaMalloc(&d_a, bytes);
  cudaMalloc(&d_b, bytes);
  cudaMalloc(&d_c, bytes);
  cudaMemset(d_a, 0, bytes);
  cudaMemset(d_b, 0, bytes);

  constexpr int BM = 64, BN = 64, BK = 8, TM = 4, TN = 4;
  dim3 grid(n / BN, n / BM);
  sgemm_tiled<BM, BN, BK, TM, TN><<<grid, (BM / TM) * (BN / TN)>>>(n, n, n, d_a, d_b, d_c);
  cudaError_t err = cudaDeviceSynchronize();
  std::printf("sgemm_tiled: %s\n", cudaGetErrorString(err));
  cudaFree(d_a);
  cudaFree(d_b);
  cudaFree(d_c);
  return 0;
}
