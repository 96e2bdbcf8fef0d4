// Quiet: a tiled SGEMM reads As[ty][k] (same element across threadIdx.x: a broadcast)
// and Bs[k][tx] (consecutive words). A 16-bit [32][32] tile read column-wise puts lanes 16
// words apart (16-way; padded by two halves); a 16-wide int tile read column-wise is 16-way.
#include <cuda_fp16.h>
#define TILE 32

__global__ void sgemm_tiled(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, int N) {
  __shared__ float As[TILE][TILE];
  __shared__ float Bs[TILE][TILE];
  int tx = threadIdx.x, ty = threadIdx.y;
  int row = blockIdx.y * TILE + ty, col = blockIdx.x * TILE + tx;
  float acc = 0.f;
  for (int t = 0; t < N / TILE; ++t) {
    As[ty][tx] = A[row * N + t * TILE + tx];
    Bs[ty][tx] = B[(t * TILE + ty) * N + col];
    __syncthreads();
#pragma unroll
    for (int k = 0; k < TILE; ++k) acc += As[ty][k] * Bs[k][tx];
//  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ precision/tensor-core-eligible
    __syncthreads();
  }
  C[row * N + col] = acc;
//^^^^^^^^^^^^^^^^ tiling/register-blocking
}

__global__ void half_columns(const __half* __restrict__ in, __half* __restrict__ out) {
  __shared__ __half t[32][34];
  t[threadIdx.y][threadIdx.x] = in[threadIdx.y * 32 + threadIdx.x];
  __syncthreads();
  out[threadIdx.y * 32 + threadIdx.x] = t[threadIdx.x][threadIdx.y];
//                                      ^^^^^^^^^^^^^^^^^^^^^^^^^^^ memory/shared-bank-conflict
}

__global__ void narrow_columns(const int* __restrict__ in, int* __restrict__ out) {
  __shared__ int t[16][17];
  t[threadIdx.y][threadIdx.x] = in[threadIdx.y * 16 + threadIdx.x];
  __syncthreads();
  out[threadIdx.y * 16 + threadIdx.x] = t[threadIdx.x][threadIdx.y];
//                                      ^^^^^^^^^^^^^^^^^^^^^^^^^^^ memory/shared-bank-conflict
}
