// RMSNorm / LayerNorm kernels for the decoder. fp32 reference paths and the
// fp16 path used at inference time.
#include <cuda_fp16.h>
#include "block_reduce.cuh"

#define HALF2(value) (reinterpret_cast<half2 *>(&(value))[0])
#define LDST128BITS(value) (reinterpret_cast<float4 *>(&(value))[0])

// y[row, :] = x[row, :] * rsqrt(mean(x^2) + eps) * g[:]; one block per row.
template <const int NUM_THREADS = 256>
__global__ void __launch_bounds__(NUM_THREADS)
    rms_norm_f32_kernel(const float *x, const float *g, float *y, int N, int K, float eps) {
  const int row = blockIdx.x;
  const float *xr = x + (size_t)row * K;
  float ss = 0.0f;
  for (int k = threadIdx.x; k < K; k += NUM_THREADS) {
    float v = xr[k];
    ss += v * v;
  }
  ss = block_reduce_sum_f32<NUM_THREADS>(ss);
  const float scale = rsqrtf(ss / K + eps);
  float *yr = y + (size_t)row * K;
  for (int k = threadIdx.x; k < K; k += NUM_THREADS) {
    yr[k] = xr[k] * scale * g[k];
  }
}

// fp16 scalar: one half per thread per step, arithmetic in half.
template <const int NUM_THREADS = 256>
__global__ void rms_norm_f16_kernel(const half *x, const half *g, half *y, int N, int K,
                                    float eps) {
  const int row = blockIdx.x;
  float ss = 0.0f;
  for (int k = threadIdx.x; k < K; k += NUM_THREADS) {
    half v = x[(size_t)row * K + k];
    ss += __half2float(__hmul(v, v));
  }
  ss = block_reduce_sum_f32<NUM_THREADS>(ss);
  const half scale = __float2half(rsqrtf(ss / K + eps));
  for (int k = threadIdx.x; k < K; k += NUM_THREADS) {
    size_t i = (size_t)row * K + k;
    y[i] = __hmul(__hmul(x[i], scale), g[k]);
  }
}

// fp16 with 8 halves (128 bits) per thread per step; K % (8 * NUM_THREADS) == 0.
template <const int NUM_THREADS = 128>
__global__ void rms_norm_f16x8_pack_kernel(half *x, half *g, half *y, int N, int K, float eps) {
  const int row = blockIdx.x;
  half *xr = x + (size_t)row * K;
  half *yr = y + (size_t)row * K;
  float ss = 0.0f;
  for (int k = threadIdx.x * 8; k < K; k += NUM_THREADS * 8) {
    half pack[8];
    LDST128BITS(pack[0]) = LDST128BITS(xr[k]);
#pragma unroll
    for (int i = 0; i < 8; i += 2) {
      float2 f = __half22float2(HALF2(pack[i]));
      ss += f.x * f.x + f.y * f.y;
    }
  }
  ss = block_reduce_sum_f32<NUM_THREADS>(ss);
  const half2 scale2 = __float2half2_rn(rsqrtf(ss / K + eps));
  for (int k = threadIdx.x * 8; k < K; k += NUM_THREADS * 8) {
    half px[8], pg[8], py[8];
    LDST128BITS(px[0]) = LDST128BITS(xr[k]);
    LDST128BITS(pg[0]) = LDST128BITS(g[k]);
#pragma unroll
    for (int i = 0; i < 8; i += 2) {
      HALF2(py[i]) = __hmul2(__hmul2(HALF2(px[i]), scale2), HALF2(pg[i]));
    }
    LDST128BITS(yr[k]) = LDST128BITS(py[0]);
  }
}

// Two-kernel LayerNorm: per-row statistics first, then a separate normalize pass.
__global__ void ln_stats_kernel(const float *x, float *mean, float *rstd, int N, int K) {
  const int row = blockIdx.x;
  float s = 0.0f, s2 = 0.0f;
  for (int k = threadIdx.x; k < K; k += blockDim.x) {
    float v = x[(size_t)row * K + k];
    s += v;
    s2 += v * v;
  }
  s = block_reduce_sum_f32<256>(s);
  s2 = block_reduce_sum_f32<256>(s2);
  if (threadIdx.x == 0) {
    float m = s / K;
    mean[row] = m;
    rstd[row] = rsqrtf(s2 / K - m * m + 1e-5f);
  }
}

__global__ void ln_apply_kernel(const float *x, const float *mean, const float *rstd,
                                const float *w, const float *b, float *y, int N, int K) {
  size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)N * K) return;
  int row = idx / K, k = idx % K;
  y[idx] = (x[idx] - mean[row]) * rstd[row] * w[k] + b[k];
}

void layer_norm_two_kernel(const float *x, const float *w, const float *b, float *y, float *mean,
                           float *rstd, int N, int K, cudaStream_t s) {
  ln_stats_kernel<<<N, 256, 0, s>>>(x, mean, rstd, N, K);
  const size_t total = (size_t)N * K;
  ln_apply_kernel<<<(total + 255) / 256, 256, 0, s>>>(x, mean, rstd, w, b, y, N, K);
}

void rms_norm(const float *x, const float *g, float *y, int N, int K, cudaStream_t s) {
  rms_norm_f32_kernel<256><<<N, 256, 0, s>>>(x, g, y, N, K, 1e-6f);
}
