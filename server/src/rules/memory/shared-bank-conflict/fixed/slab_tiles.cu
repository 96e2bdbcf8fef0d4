// Tiles of three dimensions (`slab[part][row][k]`): the outer subscripts pick the row. With
// blockDim (4, 16) a warp covers 8 rows of 4 threads; rows of 24 words put those 8 rows in 4
// banks (2-way), rows of 25 in 8 different ones (quiet). The fix pads the innermost dimension.
__global__ void slab_rows(const float* __restrict__ a, const float* __restrict__ w, float* out, int depth) {
  __shared__ float slab[4][16][25];
  __shared__ float wt[16][24];
  int col = threadIdx.x * 4;
  for (int part = 0; part < 4; ++part)
    for (int c = threadIdx.x; c < 16; c += 4) slab[part][threadIdx.y][c] = a[(part * 16 + threadIdx.y) * 16 + c];
  for (int c = threadIdx.x; c < 16; c += 4) wt[threadIdx.y][c] = w[threadIdx.y * 16 + c];
  __syncthreads();
  float acc[4] = {};
  for (int part = 0; part < 4; ++part)
    for (int k = 0; k < depth; ++k) acc[part] += slab[part][threadIdx.y][k] * wt[k][col];
//  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ precision/tensor-core-eligible
//                                               ^^^^^^^^^^^^^^^^^^^^^^^^^^ memory/shared-bank-conflict
  for (int part = 0; part < 4; ++part) out[(part * 16 + threadIdx.y) * 4 + threadIdx.x] = acc[part];
}

__global__ void slab_rows_padded(const float* __restrict__ a, float* out, int depth) {
  __shared__ float slab[4][16][25];
  int col = threadIdx.x * 4;
  for (int part = 0; part < 4; ++part)
    for (int c = 0; c < 4; ++c) slab[part][threadIdx.y][col + c] = a[(part * 16 + threadIdx.y) * 16 + col + c];
  __syncthreads();
  float acc = 0.f;
  for (int part = 0; part < 4; ++part)
    for (int k = 0; k < depth; ++k) acc += slab[part][threadIdx.y][k];
  out[blockIdx.x * 64 + threadIdx.y * 4 + threadIdx.x] = acc;
}

void run(const float* a, const float* w, float* out, int depth, int blocks) {
  slab_rows<<<blocks, dim3(4, 16)>>>(a, w, out, depth);
  slab_rows_padded<<<blocks, dim3(4, 16)>>>(a, out, depth);
}
