// 1-D shared tiles indexed row * W + col. The float transpose reads its tile column-wise,
// tile[tx * TILE + ty], a 32-way conflict; the half tile is read down a column too (16-way).
// The fix pads the row stride by one 4-byte word (TILE + 1 floats, 32 + 2 halves) in every
// index and in the declared size.
#include <cuda_fp16.h>

#define TILE 32

__global__ void transpose_flat(const float* __restrict__ in, float* __restrict__ out, int n) {
  // tile: rows padded from TILE to TILE + 1 elements, so a warp's column accesses fall in different banks
  __shared__ float tile[TILE * (TILE + 1)];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int bx = blockIdx.x * TILE, by = blockIdx.y * TILE;
  tile[ty * (TILE + 1) + tx] = in[(by + ty) * n + bx + tx];
  __syncthreads();
  out[(bx + ty) * n + by + tx] = tile[tx * (TILE + 1) + ty];
//                               ^^^^^^^^^^^^^^^^^^^^ memory/shared-bank-conflict
}

__global__ void row_sums_half(const __half* __restrict__ x, float* __restrict__ sums) {
  // buf: rows padded from 32 to 34 elements, so a warp's column accesses fall in different banks
  __shared__ __half buf[32 * 34];
  for (int k = 0; k < 32; ++k) buf[k * 34 + threadIdx.x] = x[blockIdx.x * 1024 + k * 32 + threadIdx.x];
  __syncthreads();
  float s = 0.0f;
  for (int k = 0; k < 32; ++k) s += __half2float(buf[threadIdx.x * 34 + k]);
//                                               ^^^^^^^^^^^^^^^^^^^^^^^^^ memory/shared-bank-conflict
  sums[blockIdx.x * 32 + threadIdx.x] = s;
}

void transpose_square(const float* in, float* out, int n, cudaStream_t stream) {
  transpose_flat<<<dim3(n / TILE, n / TILE), dim3(TILE, TILE), 0, stream>>>(in, out, n);
}

void row_sums(const __half* x, float* sums, int blocks) {
  row_sums_half<<<blocks, 32>>>(x, sums);
}
