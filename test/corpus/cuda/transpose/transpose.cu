// Matrix transpose kernels: out (cols x rows) = in (rows x cols)^T.
// Launch: block (TILE_DIM, BLOCK_ROWS), grid (cols / TILE_DIM, rows / TILE_DIM).
#include <cuda_runtime.h>

#define TILE_DIM 32
#define BLOCK_ROWS 8

// Plain copy with the same access shape: the bandwidth ceiling.
__global__ void copy_tiled(float *odata, const float *idata, int rows, int cols) {
  int x = blockIdx.x * TILE_DIM + threadIdx.x;
  int y = blockIdx.y * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS) {
    if (x < cols && y + j < rows) odata[(y + j) * cols + x] = idata[(y + j) * cols + x];
  }
}

// Reads are coalesced, writes stride by `rows` across the warp.
__global__ void transpose_naive(float *odata, const float *idata, int rows, int cols) {
  int x = blockIdx.x * TILE_DIM + threadIdx.x;
  int y = blockIdx.y * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS) {
    if (x < cols && y + j < rows) odata[x * rows + (y + j)] = idata[(y + j) * cols + x];
  }
}

// One thread per output element, 1-D launch: consecutive threads write
// consecutive outputs but read a column of the input.
__global__ void transpose_gather_1d(float *out, const float *in, int rows, int cols) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < rows * cols) {
    int r = idx % rows;   // output column == input row
    int c = idx / rows;   // output row == input column
    out[idx] = in[r * cols + c];
  }
}

// Staged through a 32x32 shared tile: both global sides coalesced, but the
// tile is read down a column, 32 lanes hitting the same bank.
__global__ void transpose_smem(float *odata, const float *idata, int rows, int cols) {
  __shared__ float tile[TILE_DIM][TILE_DIM];

  int x = blockIdx.x * TILE_DIM + threadIdx.x;
  int y = blockIdx.y * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS) {
    if (x < cols && y + j < rows) tile[threadIdx.y + j][threadIdx.x] = idata[(y + j) * cols + x];
  }
  __syncthreads();

  x = blockIdx.y * TILE_DIM + threadIdx.x;  // transpose block offset
  y = blockIdx.x * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS) {
    if (x < rows && y + j < cols) odata[(y + j) * rows + x] = tile[threadIdx.x][threadIdx.y + j];
  }
}

// Same with one column of padding: column reads now spread over all banks.
__global__ void transpose_smem_padded(float *odata, const float *idata, int rows, int cols) {
  __shared__ float tile[TILE_DIM][TILE_DIM + 1];

  int x = blockIdx.x * TILE_DIM + threadIdx.x;
  int y = blockIdx.y * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS) {
    if (x < cols && y + j < rows) tile[threadIdx.y + j][threadIdx.x] = idata[(y + j) * cols + x];
  }
  __syncthreads();

  x = blockIdx.y * TILE_DIM + threadIdx.x;
  y = blockIdx.x * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS) {
    if (x < rows && y + j < cols) odata[(y + j) * rows + x] = tile[threadIdx.x][threadIdx.y + j];
  }
}

// XOR swizzle instead of padding: element (r, c) lives at column c ^ r.
__global__ void transpose_smem_swizzle(float *odata, const float *idata, int rows, int cols) {
  __shared__ float tile[TILE_DIM][TILE_DIM];

  int x = blockIdx.x * TILE_DIM + threadIdx.x;
  int y = blockIdx.y * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS) {
    int r = threadIdx.y + j;
    if (x < cols && y + j < rows) tile[r][threadIdx.x ^ r] = idata[(y + j) * cols + x];
  }
  __syncthreads();

  x = blockIdx.y * TILE_DIM + threadIdx.x;
  y = blockIdx.x * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS) {
    int c = threadIdx.y + j;
    if (x < rows && y + j < cols) odata[(y + j) * rows + x] = tile[threadIdx.x][c ^ threadIdx.x];
  }
}

void transpose(float *out, const float *in, int rows, int cols, int variant, cudaStream_t s) {
  dim3 block(TILE_DIM, BLOCK_ROWS);
  dim3 grid((cols + TILE_DIM - 1) / TILE_DIM, (rows + TILE_DIM - 1) / TILE_DIM);
  switch (variant) {
    case 0: transpose_naive<<<grid, block, 0, s>>>(out, in, rows, cols); break;
    case 1: transpose_smem<<<grid, block, 0, s>>>(out, in, rows, cols); break;
    case 2: transpose_smem_padded<<<grid, block, 0, s>>>(out, in, rows, cols); break;
    default: transpose_smem_swizzle<<<grid, block, 0, s>>>(out, in, rows, cols); break;
  }
}

void transpose_1d(float *out, const float *in, int rows, int cols, cudaStream_t s) {
  const int threads = 256;
  transpose_gather_1d<<<(rows * cols + threads - 1) / threads, threads, 0, s>>>(out, in, rows, cols);
}
