// Half-precision GEMM on tensor cores through WMMA, the first two steps of the usual ladder:
// one warp per 16x16 tile of C with its fragments loaded straight from global memory, then a
// block of four warps sharing 32x32 tiles of A and B staged in shared memory.
#include <cuda_fp16.h>
#include <mma.h>
using namespace nvcuda;

constexpr int WM = 16, WN = 16, WK = 16;
constexpr int BLOCK_TILE = 32;
constexpr int SMEM_PAD = 8;

__global__ void hgemm_wmma_naive(const half* __restrict__ A, const half* __restrict__ B, float* __restrict__ C,
                                 int M, int N, int K) {
  const int tile_row = blockIdx.y * WM;
  const int tile_col = blockIdx.x * WN;
  if (tile_row >= M || tile_col >= N) return;
  wmma::fragment<wmma::accumulator, WM, WN, WK, float> acc;
  wmma::fill_fragment(acc, 0.0f);
  for (int k = 0; k < K; k += WK) {
    wmma::fragment<wmma::matrix_a, WM, WN, WK, half, wmma::row_major> a;
    wmma::fragment<wmma::matrix_b, WM, WN, WK, half, wmma::col_major> b;
    wmma::load_matrix_sync(a, A + tile_row * K + k, K);
    wmma::load_matrix_sync(b, B + tile_col * K + k, K);
    wmma::mma_sync(acc, a, b, acc);
  }
  wmma::store_matrix_sync(C + tile_row * N + tile_col, acc, N, wmma::mem_row_major);
}

__global__ void hgemm_wmma_smem(const half* __restrict__ A, const half* __restrict__ B, float* __restrict__ C,
                                int M, int N, int K) {
  __shared__ half As[BLOCK_TILE][WK + SMEM_PAD];
  __shared__ half Bs[BLOCK_TILE][WK + SMEM_PAD];
  const int warp = threadIdx.x / 32;
  const int warp_row = warp / 2, warp_col = warp % 2;
  const int row0 = blockIdx.y * BLOCK_TILE, col0 = blockIdx.x * BLOCK_TILE;
  wmma::fragment<wmma::accumulator, WM, WN, WK, float> acc;
  wmma::fill_fragment(acc, 0.0f);
  for (int k = 0; k < K; k += WK) {
    for (int e = threadIdx.x; e < BLOCK_TILE * WK; e += blockDim.x) {
      const int r = e / WK, c = e % WK;
      As[r][c] = A[(row0 + r) * K + k + c];
      Bs[r][c] = B[(col0 + r) * K + k + c];
    }
    __syncthreads();
    wmma::fragment<wmma::matrix_a, WM, WN, WK, half, wmma::row_major> a;
    wmma::fragment<wmma::matrix_b, WM, WN, WK, half, wmma::col_major> b;
    wmma::load_matrix_sync(a, &As[warp_row * WM][0], WK + SMEM_PAD);
    wmma::load_matrix_sync(b, &Bs[warp_col * WN][0], WK + SMEM_PAD);
    wmma::mma_sync(acc, a, b, acc);
    __syncthreads();
  }
  wmma::store_matrix_sync(C + (row0 + warp_row * WM) * N + col0 + warp_col * WN, acc, N, wmma::mem_row_major);
}

void hgemm(const half* A, const half* B, float* C, int M, int N, int K, bool staged, cudaStream_t stream) {
  if (staged) {
    hgemm_wmma_smem<<<dim3(N / BLOCK_TILE, M / BLOCK_TILE), 128, 0, stream>>>(A, B, C, M, N, K);
  } else {
    hgemm_wmma_naive<<<dim3((N + WN - 1) / WN, (M + WM - 1) / WM), 32, 0, stream>>>(A, B, C, M, N, K);
  }
}
