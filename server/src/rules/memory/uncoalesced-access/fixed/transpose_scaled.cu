// out = alpha * in^T where in is rows x cols (row-major), with the thread's x on the ROWS of
// `in`: the read in[x * cols + y] is strided, the write out[y * rows + x] coalesced. The
// rewrite stages 32x32 tiles through a padded shared tile so both are coalesced, for any
// rows and cols.
#include <cstddef>
#include <cuda_runtime.h>

__global__ void transpose_scale(const double* __restrict__ in, double* __restrict__ out, int rows, int cols, double alpha) {
  // transposed through a padded 32x33 shared tile (32x8 threads, 4 rows each): global reads and writes both coalesced
  __shared__ double tile[32][33];
  int x = blockIdx.x * 32 + threadIdx.x;
  int y = blockIdx.y * 32 + threadIdx.y;
  for (int j = 0; j < 32; j += 8)
    if (x < cols && y + j < rows) tile[threadIdx.y + j][threadIdx.x] = in[(size_t)(y + j) * cols + x];
  __syncthreads();
  x = blockIdx.y * 32 + threadIdx.x;
  y = blockIdx.x * 32 + threadIdx.y;
  for (int j = 0; j < 32; j += 8)
    if (x < rows && y + j < cols) out[(size_t)(y + j) * rows + x] = alpha * tile[threadIdx.x][threadIdx.y + j];
}

void transpose_scaled(const double* in, double* out, int rows, int cols, double alpha, cudaStream_t stream) {
  transpose_scale<<<dim3((cols + 31) / 32, (rows + 31) / 32), dim3(32, 8), 0, stream>>>(in, out, rows, cols, alpha);
}
