// Full-array sum reductions: the classic shared-memory tree variants and the
// shuffle-based kernels. Each block writes or atomically adds one partial.
#include "block_reduce.cuh"

// Interleaved addressing with a strided index: thread tid works on element
// 2*s*tid, so active threads hit the same banks as the stride grows.
__global__ void reduce_interleaved_strided(const float *g_idata, float *g_odata, int n) {
  extern __shared__ float sdata[];
  unsigned int tid = threadIdx.x;
  unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
  sdata[tid] = (i < n) ? g_idata[i] : 0.0f;
  __syncthreads();

  for (unsigned int s = 1; s < blockDim.x; s *= 2) {
    int index = 2 * s * tid;
    if (index < blockDim.x) {
      sdata[index] += sdata[index + s];
    }
    __syncthreads();
  }
  if (tid == 0) g_odata[blockIdx.x] = sdata[0];
}

// Sequential addressing: active threads read contiguous words.
__global__ void reduce_sequential(const float *g_idata, float *g_odata, int n) {
  extern __shared__ float sdata[];
  unsigned int tid = threadIdx.x;
  unsigned int i = blockIdx.x * (blockDim.x * 2) + threadIdx.x;
  float v = (i < n) ? g_idata[i] : 0.0f;
  if (i + blockDim.x < n) v += g_idata[i + blockDim.x];
  sdata[tid] = v;
  __syncthreads();

  for (unsigned int s = blockDim.x / 2; s > 32; s >>= 1) {
    if (tid < s) sdata[tid] += sdata[tid + s];
    __syncthreads();
  }
  if (tid < 32) {
    v = sdata[tid] + sdata[tid + 32];
    v = warp_reduce_sum_f32(v);
  }
  if (tid == 0) g_odata[blockIdx.x] = v;
}

// Per-thread partial sums in a [blockDim][32] scratch laid out row-per-thread;
// the column sweep reads word tid * 32 + k.
__global__ void reduce_rows_scratch(const float *g_idata, float *g_odata, int n) {
  __shared__ float scratch[256 * 32];
  const int tid = threadIdx.x;
  const int base = blockIdx.x * 256 * 32;
  for (int k = 0; k < 32; ++k) {
    int gi = base + k * 256 + tid;
    scratch[k * 256 + tid] = gi < n ? g_idata[gi] : 0.0f;
  }
  __syncthreads();
  float acc = 0.0f;
  for (int k = 0; k < 32; ++k) {
    acc += scratch[tid * 32 + k];
  }
  acc = block_reduce_sum_f32<256>(acc);
  if (tid == 0) g_odata[blockIdx.x] = acc;
}

// Grid-stride scalar accumulate + block reduce + one atomic per block.
template <const int NUM_THREADS = 256>
__global__ void block_all_reduce_sum_f32_kernel(const float *a, float *y, int N) {
  float sum = 0.0f;
  for (int idx = blockIdx.x * NUM_THREADS + threadIdx.x; idx < N; idx += gridDim.x * NUM_THREADS) {
    sum += a[idx];
  }
  sum = block_reduce_sum_f32<NUM_THREADS>(sum);
  if (threadIdx.x == 0) atomicAdd(y, sum);
}

// Same with 128-bit loads; N must be a multiple of 4.
template <const int NUM_THREADS = 256 / 4>
__global__ void block_all_reduce_sum_f32x4_kernel(float *a, float *y, int N) {
  int idx = (blockIdx.x * NUM_THREADS + threadIdx.x) * 4;
  float4 reg_a = (idx < N) ? FLOAT4(a[idx]) : make_float4(0.f, 0.f, 0.f, 0.f);
  float sum = reg_a.x + reg_a.y + reg_a.z + reg_a.w;
  sum = block_reduce_sum_f32<NUM_THREADS>(sum);
  if (threadIdx.x == 0) atomicAdd(y, sum);
}

// Two-level host driver: partials into a scratch buffer, then one block sums them.
void reduce_sum(const float *d_in, float *d_partial, float *d_out, int n, cudaStream_t s) {
  const int threads = 256;
  const int blocks = (n + threads * 2 - 1) / (threads * 2);
  reduce_sequential<<<blocks, threads, threads * sizeof(float), s>>>(d_in, d_partial, n);
  reduce_sequential<<<1, threads, threads * sizeof(float), s>>>(d_partial, d_out, blocks);
}

void reduce_sum_atomic(float *d_in, float *d_out, int n, bool vec4, cudaStream_t s) {
  cudaMemsetAsync(d_out, 0, sizeof(float), s);
  if (vec4) {
    block_all_reduce_sum_f32x4_kernel<64><<<(n / 4 + 63) / 64, 64, 0, s>>>(d_in, d_out, n);
  } else {
    block_all_reduce_sum_f32_kernel<256><<<240, 256, 0, s>>>(d_in, d_out, n);
  }
}
