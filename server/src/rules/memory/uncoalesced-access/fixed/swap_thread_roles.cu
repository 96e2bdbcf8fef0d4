// 2-D kernels that put threadIdx.x on the ROW of a row-major matrix: consecutive threads
// write `cols` (resp. `ld`) floats apart. Swapping x and y in the kernel (and the launch's
// grid, and its block when it is not square) makes threadIdx.x walk the contiguous column.
#include <cuda_runtime.h>

#define BLOCK 16

// m = a b^T, one element per thread
__global__ void outer_product(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ m, int rows, int cols) {
  // x and y swapped so that consecutive threads (threadIdx.x) walk the contiguous index
  const int row = blockIdx.y * blockDim.y + threadIdx.y;
  const int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (row < rows && col < cols) m[row * cols + col] = a[row] * b[col];
//                              ^^^^^^^^^^^^^^^^^^^ memory/uncoalesced-access
}

// m[r][c] *= s[r] over a rows x cols view with leading dimension ld
__global__ void scale_rows(float* m, const float* __restrict__ s, int rows, int cols, int ld) {
  // x and y swapped so that consecutive threads (threadIdx.x) walk the contiguous index
  int r = threadIdx.y + blockIdx.y * blockDim.y;
  int c = threadIdx.x + blockIdx.x * blockDim.x;
  if (r >= rows || c >= cols) return;
  m[r * ld + c] *= s[r];
//^^^^^^^^^^^^^ memory/uncoalesced-access
}

void outer(const float* a, const float* b, float* m, int rows, int cols, cudaStream_t stream) {
  dim3 block(BLOCK, BLOCK);
  dim3 grid((cols + BLOCK - 1) / BLOCK, (rows + BLOCK - 1) / BLOCK);
  outer_product<<<grid, block, 0, stream>>>(a, b, m, rows, cols);
}

void scale(float* m, const float* s, int rows, int cols, int ld) {
  dim3 block(8, 32);
  dim3 grid((cols + block.y - 1) / block.y, (rows + block.x - 1) / block.x);
  scale_rows<<<grid, dim3(block.y, block.x, block.z)>>>(m, s, rows, cols, ld);
}
