// What the tiling/shared-memory fix writes for a naive C = alpha * A * B^T + beta * C (B stored
// N x K): the B tile is loaded along its rows and stored transposed into a padded tile. Still one
// output per thread: tiling/register-blocking, whose fix stages B k-major for float4 reads.
#include <cuda_runtime.h>

__global__ void __launch_bounds__(256) sgemm_nt(int M, int N, int K, float alpha, const float* __restrict__ A, int lda,
                                                const float* __restrict__ Bt, int ldb, float beta, float* __restrict__ C, int ldc) {
  // kernel-advisor: register blocking: 256 threads compute a 128 x 128 tile of C over 8-deep shared tiles of A and Bt; each thread accumulates 8 x 8 outputs in registers from float4 reads
  constexpr int BM = 128, BN = 128, BK = 8, TM = 8, TN = 8;
  __shared__ alignas(16) float As[BK][BM + 4];  // As[k][i] = A[(row0 + i) * lda + k0 + k]: the A tile stored k-major
  __shared__ alignas(16) float Bs[BK][BN + 4];  // Bs[k][j] = Bt[(col0 + j) * ldb + k0 + k]
  const int tid = threadIdx.x;
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  // this thread's outputs: rows tr + 0..3 and tr + BM / 2 + 0..3 of the tile, columns tc + 0..3 and tc + BN / 2 + 0..3
  const int tr = tid / (BN / TN) * (TM / 2), tc = tid % (BN / TN) * (TN / 2);
  // each thread loads 4 consecutive elements of each tile: one float4 when aligned and inside the matrix
  const int a_i = tid / (BK / 4), a_k = tid % (BK / 4) * 4;
  const int b_j = tid / (BK / 4), b_k = tid % (BK / 4) * 4;
  const bool a_vec = lda % 4 == 0 && reinterpret_cast<size_t>(A) % 16 == 0;
  const bool b_vec = ldb % 4 == 0 && reinterpret_cast<size_t>(Bt) % 16 == 0;
  auto a_at = [&](int r, int kk) { return r < M && kk < K ? A[r * lda + kk] : 0.0f; };
  auto b_at = [&](int kk, int c) { return kk < K && c < N ? Bt[c * ldb + kk] : 0.0f; };
  float sum[TM][TN] = {};
  for (int k0 = 0; k0 < K; k0 += BK) {
    const float4 va = a_vec && row0 + a_i < M && k0 + a_k + 3 < K ? *reinterpret_cast<const float4*>(&A[(row0 + a_i) * lda + k0 + a_k])
        : make_float4(a_at(row0 + a_i, k0 + a_k), a_at(row0 + a_i, k0 + a_k + 1), a_at(row0 + a_i, k0 + a_k + 2), a_at(row0 + a_i, k0 + a_k + 3));
    As[a_k][a_i] = va.x; As[a_k + 1][a_i] = va.y; As[a_k + 2][a_i] = va.z; As[a_k + 3][a_i] = va.w;
    const float4 vb = b_vec && col0 + b_j < N && k0 + b_k + 3 < K ? *reinterpret_cast<const float4*>(&Bt[(col0 + b_j) * ldb + k0 + b_k])
        : make_float4(b_at(k0 + b_k, col0 + b_j), b_at(k0 + b_k + 1, col0 + b_j), b_at(k0 + b_k + 2, col0 + b_j), b_at(k0 + b_k + 3, col0 + b_j));
    Bs[b_k][b_j] = vb.x; Bs[b_k + 1][b_j] = vb.y; Bs[b_k + 2][b_j] = vb.z; Bs[b_k + 3][b_j] = vb.w;
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
        for (int j = 0; j < TN; ++j) sum[i][j] += ra[i] * rb[j];
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
      if (row < M && col < N) C[row * ldc + col] = alpha * sum[i][j] + beta * C[row * ldc + col];
    }
  }
}

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

void gemm_nt(int M, int N, int K, float alpha, const float* A, const float* Bt, float beta, float* C,
             cudaStream_t stream) {
  dim3 threads(256);
  dim3 blocks(ceil_div(N, 128), ceil_div(M, 128));
  sgemm_nt<<<blocks, threads, 0, stream>>>(M, N, K, alpha, A, K, Bt, K, beta, C, N);
}
