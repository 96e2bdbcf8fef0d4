// Row softmax over a (N, C) row-major matrix, in the variants we benchmark.
#include <cfloat>
#include "block_reduce.cuh"

// One thread per row: three sweeps over the row (max, sum, write).
__global__ void softmax_thread_per_row(float *out, const float *inp, int N, int C) {
  int row = blockIdx.x * blockDim.x + threadIdx.x;
  if (row >= N) return;
  const float *x = inp + row * C;
  float *y = out + row * C;

  float maxval = -FLT_MAX;
  for (int j = 0; j < C; j++) maxval = fmaxf(maxval, x[j]);
  float sum = 0.0f;
  for (int j = 0; j < C; j++) sum += expf(x[j] - maxval);
  const float inv = 1.0f / sum;
  for (int j = 0; j < C; j++) y[j] = expf(x[j] - maxval) * inv;
}

// One block per row; block-wide max then sum, row re-read from L1/L2.
template <const int NUM_THREADS = 256>
__global__ void softmax_block_per_row(float *out, const float *inp, int N, int C) {
  const int row = blockIdx.x;
  const float *x = inp + (size_t)row * C;
  float *y = out + (size_t)row * C;

  float maxval = -FLT_MAX;
  for (int j = threadIdx.x; j < C; j += NUM_THREADS) maxval = fmaxf(maxval, x[j]);
  maxval = block_reduce_max_f32<NUM_THREADS>(maxval);

  float sum = 0.0f;
  for (int j = threadIdx.x; j < C; j += NUM_THREADS) sum += __expf(x[j] - maxval);
  sum = block_reduce_sum_f32<NUM_THREADS>(sum);

  const float inv = 1.0f / sum;
  for (int j = threadIdx.x; j < C; j += NUM_THREADS) y[j] = __expf(x[j] - maxval) * inv;
}

// One warp per row with the online (running max + rescaled sum) formulation:
// a single pass computes both statistics.
__global__ void softmax_online_warp(float *out, const float *inp, int N, int C) {
  const int lane = threadIdx.x & 31;
  const int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  if (row >= N) return;
  const float *x = inp + (size_t)row * C;

  float m = -FLT_MAX, d = 0.0f;
  for (int j = lane; j < C; j += 32) {
    float v = x[j];
    float m_new = fmaxf(m, v);
    d = d * __expf(m - m_new) + __expf(v - m_new);
    m = m_new;
  }
  // merge (m, d) pairs across the warp
  for (int off = 16; off > 0; off >>= 1) {
    float m_o = __shfl_xor_sync(0xffffffff, m, off);
    float d_o = __shfl_xor_sync(0xffffffff, d, off);
    float m_new = fmaxf(m, m_o);
    d = d * __expf(m - m_new) + d_o * __expf(m_o - m_new);
    m = m_new;
  }
  const float inv = 1.0f / d;
  float *y = out + (size_t)row * C;
  for (int j = lane; j < C; j += 32) y[j] = __expf(x[j] - m) * inv;
}

// Online softmax, warp per row, float4 accesses. C % 128 == 0.
__global__ void softmax_online_warp_f32x4(float *out, float *inp, int N, int C) {
  const int lane = threadIdx.x & 31;
  const int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  if (row >= N) return;
  float *x = inp + (size_t)row * C;
  float *y = out + (size_t)row * C;

  float m = -FLT_MAX, d = 0.0f;
  for (int j = lane * 4; j < C; j += 32 * 4) {
    float4 v = FLOAT4(x[j]);
    float m_new = fmaxf(fmaxf(fmaxf(m, v.x), fmaxf(v.y, v.z)), v.w);
    d = d * __expf(m - m_new) + __expf(v.x - m_new) + __expf(v.y - m_new) +
        __expf(v.z - m_new) + __expf(v.w - m_new);
    m = m_new;
  }
  for (int off = 16; off > 0; off >>= 1) {
    float m_o = __shfl_xor_sync(0xffffffff, m, off);
    float d_o = __shfl_xor_sync(0xffffffff, d, off);
    float m_new = fmaxf(m, m_o);
    d = d * __expf(m - m_new) + d_o * __expf(m_o - m_new);
    m = m_new;
  }
  const float inv = 1.0f / d;
  for (int j = lane * 4; j < C; j += 32 * 4) {
    float4 v = FLOAT4(x[j]);
    float4 r;
    r.x = __expf(v.x - m) * inv;
    r.y = __expf(v.y - m) * inv;
    r.z = __expf(v.z - m) * inv;
    r.w = __expf(v.w - m) * inv;
    FLOAT4(y[j]) = r;
  }
}

// --- three-kernel softmax used by the old inference path -------------------

__global__ void row_max_kernel(float *row_max, const float *inp, int N, int C) {
  const int row = blockIdx.x;
  float m = -FLT_MAX;
  for (int j = threadIdx.x; j < C; j += blockDim.x) m = fmaxf(m, inp[(size_t)row * C + j]);
  m = block_reduce_max_f32<256>(m);
  if (threadIdx.x == 0) row_max[row] = m;
}

__global__ void row_sum_exp_kernel(float *row_sum, const float *row_max, const float *inp, int N,
                                   int C) {
  const int row = blockIdx.x;
  const float m = row_max[row];
  float s = 0.0f;
  for (int j = threadIdx.x; j < C; j += blockDim.x) s += __expf(inp[(size_t)row * C + j] - m);
  s = block_reduce_sum_f32<256>(s);
  if (threadIdx.x == 0) row_sum[row] = s;
}

__global__ void softmax_normalize_kernel(float *out, const float *inp, const float *row_max,
                                         const float *row_sum, int N, int C) {
  size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < (size_t)N * C) {
    int row = idx / C;
    out[idx] = __expf(inp[idx] - row_max[row]) / row_sum[row];
  }
}

void softmax_3kernels(float *out, const float *inp, float *row_max, float *row_sum, int N, int C,
                      cudaStream_t s) {
  row_max_kernel<<<N, 256, 0, s>>>(row_max, inp, N, C);
  row_sum_exp_kernel<<<N, 256, 0, s>>>(row_sum, row_max, inp, N, C);
  const size_t total = (size_t)N * C;
  softmax_normalize_kernel<<<(total + 255) / 256, 256, 0, s>>>(out, inp, row_max, row_sum, N, C);
}

void softmax_forward(float *out, float *inp, int N, int C, cudaStream_t s) {
  const int warps_per_block = 8;
  const int grid = (N + warps_per_block - 1) / warps_per_block;
  if (C % 128 == 0) {
    softmax_online_warp_f32x4<<<grid, warps_per_block * 32, 0, s>>>(out, inp, N, C);
  } else {
    softmax_online_warp<<<grid, warps_per_block * 32, 0, s>>>(out, inp, N, C);
  }
}
