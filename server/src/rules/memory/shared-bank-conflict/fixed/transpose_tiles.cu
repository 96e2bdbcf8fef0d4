// The classic tiled transpose: the tile is written row-wise and read column-wise.
// [32][32] gives a 32-way conflict on the column read (reported, with the padding fix).
#define TILE_DIM 32
#define BLOCK_ROWS 8

__global__ void transpose_tile(float* __restrict__ odata, const float* __restrict__ idata, int width, int height) {
  __shared__ float tile[TILE_DIM][TILE_DIM + 1];
  int x = blockIdx.x * TILE_DIM + threadIdx.x;
  int y = blockIdx.y * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS)
    tile[threadIdx.y + j][threadIdx.x] = idata[(y + j) * width + x];
  __syncthreads();
  x = blockIdx.y * TILE_DIM + threadIdx.x;
  y = blockIdx.x * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS)
    odata[(y + j) * height + x] = tile[threadIdx.x][threadIdx.y + j];
//                                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ memory/shared-bank-conflict
}
