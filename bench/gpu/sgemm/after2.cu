// C = A * B, row-major, M x K times K x N, one output per thread
__global__ void __launch_bounds__(256) sgemm(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, int M, int N, int K) {
  // kernel-advisor: register blocking: 256 threads compute a 128 x 128 tile of C over 8-deep shared tiles of A and B; each thread accumulates 8 x 8 outputs in registers from float4 reads
  constexpr int BM = 128, BN = 128, BK = 8, TM = 8, TN = 8;
  __shared__ alignas(16) float As[BK][BM + 4];  // As[k][i] = A[(row0 + i) * K + k0 + k]: the A tile stored k-major
  __shared__ alignas(16) float Bs[BK][BN];  // Bs[k][j] = B[(k0 + k) * N + col0 + j]
  const int tid = threadIdx.x;
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  // this thread's outputs: rows tr + 0..3 and tr + BM / 2 + 0..3 of the tile, columns tc + 0..3 and tc + BN / 2 + 0..3
  const int tr = tid / (BN / TN) * (TM / 2), tc = tid % (BN / TN) * (TN / 2);
  // each thread loads 4 consecutive elements of each tile: one float4 when aligned and inside the matrix
  const int a_i = tid / (BK / 4), a_k = tid % (BK / 4) * 4;
  const int b_k = tid / (BN / 4), b_j = tid % (BN / 4) * 4;
  const bool a_vec = K % 4 == 0 && reinterpret_cast<size_t>(A) % 16 == 0;
  const bool b_vec = N % 4 == 0 && reinterpret_cast<size_t>(B) % 16 == 0;
  auto a_at = [&](int r, int kk) { return r < M && kk < K ? A[r * K + kk] : 0.0f; };
  auto b_at = [&](int kk, int c) { return kk < K && c < N ? B[kk * N + c] : 0.0f; };
  float acc[TM][TN] = {};
  for (int k0 = 0; k0 < K; k0 += BK) {
    const float4 va = a_vec && row0 + a_i < M && k0 + a_k + 3 < K ? *reinterpret_cast<const float4*>(&A[(row0 + a_i) * K + k0 + a_k])
        : make_float4(a_at(row0 + a_i, k0 + a_k), a_at(row0 + a_i, k0 + a_k + 1), a_at(row0 + a_i, k0 + a_k + 2), a_at(row0 + a_i, k0 + a_k + 3));
    As[a_k][a_i] = va.x; As[a_k + 1][a_i] = va.y; As[a_k + 2][a_i] = va.z; As[a_k + 3][a_i] = va.w;
    const float4 vb = b_vec && k0 + b_k < K && col0 + b_j + 3 < N ? *reinterpret_cast<const float4*>(&B[(k0 + b_k) * N + col0 + b_j])
        : make_float4(b_at(k0 + b_k, col0 + b_j), b_at(k0 + b_k, col0 + b_j + 1), b_at(k0 + b_k, col0 + b_j + 2), b_at(k0 + b_k, col0 + b_j + 3));
    *reinterpret_cast<float4*>(&Bs[b_k][b_j]) = vb;
    __syncthreads();
#pragma unroll
    for (int k = 0; k < BK; ++k) {
      const float4 a0 = *reinterpret_cast<const float4*>(&As[k][tr]), a1 = *reinterpret_cast<const float4*>(&As[k][tr + BM / 2]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[k][tc]), b1 = *reinterpret_cast<const float4*>(&Bs[k][tc + BN / 2]);
      const float ra[TM] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float rb[TN] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < TM; ++i) {
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] += ra[i] * rb[j];
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int row = row0 + tr + i % 4 + i / 4 * (BM / 2);
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const int col = col0 + tc + j % 4 + j / 4 * (BN / 2);
      if (row < M && col < N) C[row * N + col] = acc[i][j];
    }
  }
}

void launch(const float* A, const float* B, float* C, int M, int N, int K) {
  dim3 block(256);
  dim3 grid((N + 127) / 128, (M + 127) / 128);
  sgemm<<<grid, block>>>(A, B, C, M, N, K);
}
