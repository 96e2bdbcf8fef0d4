// Templated block reductions that take their dynamic shared memory through a struct's
// conversion operator, as the CUDA samples do: one partial sum per block, then a second pass.
#include <cstdio>
#include <cuda_runtime.h>

template <class T>
struct SharedMemory {
  __device__ inline operator T *() {
    extern __shared__ int __smem[];
    return (T *)__smem;
  }
  __device__ inline operator const T *() const {
    extern __shared__ int __smem[];
    return (T *)__smem;
  }
};

// Interleaved addressing: the active threads are 2 * s apart in shared memory.
template <class T>
__global__ void reduce_interleaved_tpl(const T *g_idata, T *g_odata, unsigned int n) {
  T *sdata = SharedMemory<T>();
  unsigned int tid = threadIdx.x;
  unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
  sdata[tid] = (i < n) ? g_idata[i] : 0;
  __syncthreads();
  for (unsigned int s = 1; s < blockDim.x; s *= 2) {
    int index = 2 * s * tid;
    if (index < blockDim.x) sdata[index] += sdata[index + s];
    __syncthreads();
  }
  if (tid == 0) g_odata[blockIdx.x] = sdata[0];
}

// Sequential addressing down to one warp, two elements added while loading, then the last
// warp finishes in registers with shuffles (no shared memory, no barrier).
template <class T, unsigned int blockSize>
__global__ void reduce_warp_finish_tpl(const T *g_idata, T *g_odata, unsigned int n) {
  T *sdata = SharedMemory<T>();
  unsigned int tid = threadIdx.x;
  unsigned int i = blockIdx.x * (blockSize * 2) + threadIdx.x;
  T sum = (i < n) ? g_idata[i] : 0;
  if (i + blockSize < n) sum += g_idata[i + blockSize];
  sdata[tid] = sum;
  __syncthreads();
#pragma unroll
  for (unsigned int s = blockSize / 2; s > 32; s >>= 1) {
    if (tid < s) sdata[tid] = sum = sum + sdata[tid + s];
    __syncthreads();
  }
  if (tid < 32) {
    if (blockSize >= 64) sum += sdata[tid + 32];
    for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffff, sum, offset);
  }
  if (tid == 0) g_odata[blockIdx.x] = sum;
}

float reduce_sum(const float *d_in, float *d_partial, unsigned int n, bool sequential) {
  const int threads = 256;
  const int smem = threads * sizeof(float);
  unsigned int blocks;
  if (sequential) {
    blocks = (n + threads * 2 - 1) / (threads * 2);
    reduce_warp_finish_tpl<float, threads><<<blocks, threads, smem>>>(d_in, d_partial, n);
  } else {
    blocks = (n + threads - 1) / threads;
    reduce_interleaved_tpl<float><<<blocks, threads, smem>>>(d_in, d_partial, n);
  }
  // the partials of the blocks, summed by one more block
  reduce_interleaved_tpl<float><<<1, threads, smem>>>(d_partial, d_partial + blocks, blocks);
  float total = 0.f;
  cudaMemcpy(&total, d_partial + blocks, sizeof(float), cudaMemcpyDeviceToHost);
  return total;
}
