/*
LayerNorm forward: out = (x - mean) * rstd * weight + bias, per row of C channels.
Three variants kept for benchmarking: thread-per-row, warp-per-row, and the
128-bit warp-per-row kernel used in training.
*/
#include <assert.h>
#include "common.h"

// Mean of one row; the caller decides which row each thread walks.
__device__ float row_mean(const float *x, int C) {
  float m = 0.0f;
  for (int i = 0; i < C; i++) {
    m += x[i];
  }
  return m / C;
}

// Thread-per-row reference kernel (fp32). Each thread walks its own row.
__global__ void layernorm_forward_kernel1(float *out, float *mean, float *rstd, const float *inp,
                                          const float *weight, const float *bias, int N, int C) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  const float eps = 1e-5f;

  if (idx < N) {
    const float *x = inp + idx * C;
    float m = row_mean(x, C);
    float v = 0.0f;
    for (int i = 0; i < C; i++) {
      float xshift = x[i] - m;
      v += xshift * xshift;
    }
    v = v / C;
    float s = 1.0f / sqrtf(v + eps);
    float *out_idx = out + idx * C;
    for (int i = 0; i < C; i++) {
      float n = (s * (x[i] - m));
      out_idx[i] = n * weight[i] + bias[i];
    }
    mean[idx] = m;
    rstd[idx] = s;
  }
}

// Warp-per-row: lanes stride over the channels, shuffles reduce.
__global__ void layernorm_forward_kernel3(float *__restrict__ out, float *__restrict__ mean,
                                          float *__restrict__ rstd, const float *__restrict__ inp,
                                          const float *__restrict__ weight,
                                          const float *__restrict__ bias, int N, int C) {
  int lane = threadIdx.x & 31;
  int warp = threadIdx.x >> 5;
  int warps_per_block = blockDim.x >> 5;
  int idx = blockIdx.x * warps_per_block + warp;
  if (idx >= N) {
    return;
  }
  const float *x = inp + idx * C;

  float sum = 0.0f;
  for (int i = lane; i < C; i += WARP_SIZE) {
    sum += x[i];
  }
  float m = warpReduceSum(sum) / C;
  if (lane == 0 && mean != nullptr) {
    __stcs(mean + idx, m);
  }

  sum = 0.0f;
  for (int i = lane; i < C; i += WARP_SIZE) {
    float diff = x[i] - m;
    sum += diff * diff;
  }
  float s = rsqrtf(warpReduceSum(sum) / C + 1e-5f);
  if (lane == 0 && rstd != nullptr) {
    __stcs(rstd + idx, s);
  }

  float *o = out + idx * C;
  for (int c = lane; c < C; c += WARP_SIZE) {
    float n = s * (__ldcs(x + c) - m);
    __stcs(o + c, n * weight[c] + bias[c]);
  }
}

// Warp-per-row over floatX with 128-bit accesses; weight/bias staged in shared
// memory once per block. Requires C % (32 * x128::size) == 0.
__global__ void __launch_bounds__(512, 2)
    layernorm_forward_kernel6(floatX *__restrict__ out, float *__restrict__ mean,
                              float *__restrict__ rstd, const floatX *__restrict__ inp,
                              const floatX *__restrict__ weight, const floatX *__restrict__ bias,
                              int N, int C) {
  assert(blockDim.x == WARP_SIZE);
  extern __shared__ char params[];
  x128 *s_weight = reinterpret_cast<x128 *>(params);
  x128 *s_bias = reinterpret_cast<x128 *>(params) + (C / x128::size);
  x128 *s_in = reinterpret_cast<x128 *>(params) + ((2 + threadIdx.y) * C / x128::size);

  int sidx = (threadIdx.x + WARP_SIZE * threadIdx.y) * x128::size;
  for (int i = sidx; i < C; i += blockDim.y * WARP_SIZE * x128::size) {
    s_weight[i / x128::size] = load128(weight + i);
    s_bias[i / x128::size] = load128(bias + i);
  }
  __syncthreads();

  int idx = blockIdx.x * blockDim.y + threadIdx.y;
  if (idx >= N) {
    return;
  }
  inp += idx * C;
  out += idx * C;

  const float eps = 1e-5f;
  float sum = 0.0f;
  for (int c = threadIdx.x * x128::size; c < C; c += WARP_SIZE * x128::size) {
    x128 in_data = load128cs(inp + c);
    for (int k = 0; k < x128::size; ++k) {
      sum += (float)in_data[k];
    }
    s_in[c / x128::size] = in_data;
  }
  sum = warpReduceSum(sum);
  float m = sum / C;
  float v = 0.f;
  for (int c = threadIdx.x * x128::size; c < C; c += WARP_SIZE * x128::size) {
    x128 in_data = s_in[c / x128::size];
    for (int k = 0; k < x128::size; ++k) {
      v += ((float)in_data[k] - m) * ((float)in_data[k] - m);
    }
  }
  v = warpReduceSum(v) / C;
  float s = rsqrtf(v + eps);

  for (int c = threadIdx.x * x128::size; c < C; c += WARP_SIZE * x128::size) {
    x128 in_data = s_in[c / x128::size];
    x128 w = s_weight[c / x128::size];
    x128 b = s_bias[c / x128::size];
    x128 out_data;
    for (int k = 0; k < x128::size; ++k) {
      float n = s * ((float)in_data[k] - m);
      out_data[k] = (floatX)(n * (float)w[k] + (float)b[k]);
    }
    store128cs(out + c, out_data);
  }
  if (threadIdx.x == 0 && mean != nullptr) {
    __stcs(mean + idx, m);
  }
  if (threadIdx.x == 0 && rstd != nullptr) {
    __stcs(rstd + idx, s);
  }
}

void layernorm_forward(floatX *out, float *mean, float *rstd, floatX *inp, const floatX *weight,
                       const floatX *bias, int B, int T, int C, cudaStream_t stream) {
  const int block_size = 256;
  int block_y = block_size / WARP_SIZE;
  const int N = B * T;
  const int grid_size = CEIL_DIV(N, block_y);
  size_t smem = (2 + block_y) * C * sizeof(floatX);
  cudaCheck(cudaFuncSetAttribute(layernorm_forward_kernel6,
                                 cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
  layernorm_forward_kernel6<<<grid_size, dim3(WARP_SIZE, block_y), smem, stream>>>(
      out, mean, rstd, inp, weight, bias, N, C);
  cudaCheck(cudaGetLastError());
}
