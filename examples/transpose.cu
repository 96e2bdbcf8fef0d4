// Matrix transpose two ways: the naive kernel (coalesced reads, strided writes) and the
// shared-memory tiled kernel with a padded tile. Run with `tiled` as argument for the latter.
#include <cstdio>
#include <cstring>
#include <cuda_runtime.h>

#define TILE_DIM 32
#define BLOCK_ROWS 8

__global__ void transpose_naive(const float* __restrict__ in, float* __restrict__ out,
                                int rows, int cols) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < cols && y < rows) out[x * rows + y] = in[y * cols + x];
}

__global__ void transpose_tiled(const float* __restrict__ in, float* __restrict__ out,
                                int rows, int cols) {
  __shared__ float tile[TILE_DIM][TILE_DIM + 1];
  int x = blockIdx.x * TILE_DIM + threadIdx.x;
  int y = blockIdx.y * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS)
    if (x < cols && y + j < rows) tile[threadIdx.y + j][threadIdx.x] = in[(y + j) * cols + x];
  __syncthreads();
  x = blockIdx.y * TILE_DIM + threadIdx.x;
  y = blockIdx.x * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS)
    if (x < rows && y + j < cols) out[(y + j) * rows + x] = tile[threadIdx.x][threadIdx.y + j];
}

int main(int argc, char** argv) {
  const bool tiled = argc > 1 && std::strcmp(argv[1], "tiled") == 0;
  const int rows = 16384, cols = 16384;
  const size_t bytes = size_t(rows) * cols * sizeof(float);
  float *d_in, *d_out;
  cudaMalloc(&d_in, bytes);
  cudaMalloc(&d_out, bytes);
  cudaMemset(d_in, 0, bytes);

  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  dim3 grid(cols / TILE_DIM, rows / TILE_DIM);
  cudaEventRecord(start);
  if (tiled) {
    transpose_tiled<<<grid, dim3(TILE_DIM, BLOCK_ROWS)>>>(d_in, d_out, rows, cols);
  } else {
    transpose_naive<<<dim3(cols / 32, rows / 8), dim3(32, 8)>>>(d_in, d_out, rows, cols);
  }
  cudaEventRecord(stop);
  cudaEventSynchronize(stop);
  float ms = 0.f;
  cudaEventElapsedTime(&ms, start, stop);
  std::printf("%s transpose: %.3f ms, %.0f GB/s\n", tiled ? "tiled" : "naive", ms,
              2.0 * bytes / ms / 1e6);
  cudaFree(d_in);
  cudaFree(d_out);
  return 0;
}
