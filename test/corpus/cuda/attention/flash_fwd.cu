// Tiled attention forward with online softmax (FlashAttention-1 recurrence), fp32.
// Q, K, V, O: (B*H, N, D) contiguous. grid (ceil(N / BR), B*H), block BR threads:
// thread tx owns query row tx of the block's tile and keeps its output row,
// running max and running sum in registers. D is a compile-time head size.
#include <cfloat>
#include <cmath>
#include <cuda_runtime.h>

// v1: each thread stages its own row of Q / K / V, row-major with stride D.
template <int D>
__global__ void attn_fwd_tile_rowcopy(const float *Q, const float *K, const float *V, float *O,
                                      int N, float scale) {
  constexpr int BR = 32, BC = 32;
  extern __shared__ float sram[];
  float *Qi = sram;            // BR x D
  float *Kj = Qi + BR * D;     // BC x D
  float *Vj = Kj + BC * D;     // BC x D

  const int tx = threadIdx.x;
  const size_t head = (size_t)blockIdx.y * N * D;
  const int q_row = blockIdx.x * BR + tx;

  for (int x = 0; x < D; x++) {
    Qi[tx * D + x] = q_row < N ? Q[head + (size_t)q_row * D + x] : 0.0f;
  }

  float acc[D];
  for (int x = 0; x < D; x++) acc[x] = 0.0f;
  float run_max = -FLT_MAX, run_sum = 0.0f;

  for (int kv0 = 0; kv0 < N; kv0 += BC) {
    __syncthreads();
    const int kv_row = kv0 + tx;
    for (int x = 0; x < D; x++) {
      Kj[tx * D + x] = kv_row < N ? K[head + (size_t)kv_row * D + x] : 0.0f;
      Vj[tx * D + x] = kv_row < N ? V[head + (size_t)kv_row * D + x] : 0.0f;
    }
    __syncthreads();

    float s[BC];
    float tile_max = -FLT_MAX;
    for (int c = 0; c < BC; c++) {
      float dot = 0.0f;
      for (int x = 0; x < D; x++) dot += Qi[tx * D + x] * Kj[c * D + x];
      s[c] = (kv0 + c < N) ? dot * scale : -FLT_MAX;
      tile_max = fmaxf(tile_max, s[c]);
    }
    const float new_max = fmaxf(run_max, tile_max);
    const float correction = __expf(run_max - new_max);
    run_sum *= correction;
    for (int x = 0; x < D; x++) acc[x] *= correction;
    for (int c = 0; c < BC; c++) {
      const float p = __expf(s[c] - new_max);
      run_sum += p;
      for (int x = 0; x < D; x++) acc[x] += p * Vj[c * D + x];
    }
    run_max = new_max;
  }

  if (q_row < N) {
    for (int x = 0; x < D; x++) O[head + (size_t)q_row * D + x] = acc[x] / run_sum;
  }
}

// v2: tiles copied cooperatively (consecutive threads take consecutive floats)
// into rows padded to D + 1 words, so the per-row walks spread over all banks.
template <int D>
__global__ void attn_fwd_tile_padded(const float *Q, const float *K, const float *V, float *O,
                                     int N, float scale) {
  constexpr int BR = 32, BC = 32, LD = D + 1;
  __shared__ float Qs[BR * LD];
  __shared__ float Ks[BC * LD];
  __shared__ float Vs[BC * LD];

  const int tx = threadIdx.x;
  const size_t head = (size_t)blockIdx.y * N * D;
  const int q0 = blockIdx.x * BR;

  for (int e = tx; e < BR * D; e += blockDim.x) {
    const int r = e / D, x = e % D;
    Qs[r * LD + x] = (q0 + r < N) ? Q[head + (size_t)q0 * D + e] : 0.0f;
  }

  float acc[D];
  for (int x = 0; x < D; x++) acc[x] = 0.0f;
  float run_max = -FLT_MAX, run_sum = 0.0f;

  for (int kv0 = 0; kv0 < N; kv0 += BC) {
    __syncthreads();
    for (int e = tx; e < BC * D; e += blockDim.x) {
      const int r = e / D, x = e % D;
      const bool ok = kv0 + r < N;
      Ks[r * LD + x] = ok ? K[head + (size_t)kv0 * D + e] : 0.0f;
      Vs[r * LD + x] = ok ? V[head + (size_t)kv0 * D + e] : 0.0f;
    }
    __syncthreads();

    float s[BC];
    float tile_max = -FLT_MAX;
    for (int c = 0; c < BC; c++) {
      float dot = 0.0f;
      for (int x = 0; x < D; x++) dot += Qs[tx * LD + x] * Ks[c * LD + x];
      s[c] = (kv0 + c < N) ? dot * scale : -FLT_MAX;
      tile_max = fmaxf(tile_max, s[c]);
    }
    const float new_max = fmaxf(run_max, tile_max);
    const float correction = __expf(run_max - new_max);
    run_sum *= correction;
    for (int x = 0; x < D; x++) acc[x] *= correction;
    for (int c = 0; c < BC; c++) {
      const float p = __expf(s[c] - new_max);
      run_sum += p;
      for (int x = 0; x < D; x++) acc[x] += p * Vs[c * LD + x];
    }
    run_max = new_max;
  }

  // stage the output tile through Qs so the global store is row-contiguous
  __syncthreads();
  for (int x = 0; x < D; x++) Qs[tx * LD + x] = acc[x] / run_sum;
  __syncthreads();
  for (int e = tx; e < BR * D; e += blockDim.x) {
    const int r = e / D, x = e % D;
    if (q0 + r < N) O[head + (size_t)q0 * D + e] = Qs[r * LD + x];
  }
}

void attn_forward(const float *Q, const float *K, const float *V, float *O, int BH, int N, int D,
                  bool padded, cudaStream_t stream) {
  const float scale = 1.0f / sqrtf((float)D);
  dim3 grid((N + 31) / 32, BH);
  if (D != 64) return;  // only the 64-wide head is instantiated here
  if (padded) {
    attn_fwd_tile_padded<64><<<grid, 32, 0, stream>>>(Q, K, V, O, N, scale);
  } else {
    const size_t smem = 3 * 32 * 64 * sizeof(float);
    attn_fwd_tile_rowcopy<64><<<grid, 32, smem, stream>>>(Q, K, V, O, N, scale);
  }
}
