// Naive SGEMM, C = A * B (A is M x K, B is K x N, row-major), one output per thread, with
// threadIdx.x on the ROWS of C: a warp reads A and writes C K resp. N floats apart.
__global__ void sgemm_rows(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, int M, int N, int K) {
  // x and y swapped so that consecutive threads (threadIdx.x) walk the contiguous index
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (row < M && col < N) {
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) acc += A[row * K + k] * B[k * N + col];
    C[row * N + col] = acc;
  }
}

void launch(const float* A, const float* B, float* C, int M, int N, int K) {
  dim3 block(32, 32);
  dim3 grid((N + 31) / 32, (M + 31) / 32);
  sgemm_rows<<<grid, block>>>(A, B, C, M, N, K);
}
