// Two grid-stride passes over a scratch buffer: `square_diff` writes (x - mu)^2 into d_sq, then
// `scale_shift` reads it back over the same elements with the same launch shape. d_sq is this
// function's own scratch (allocated, used by the two launches only, freed): fused, each value
// stays in a register and d_sq is never written.
#include <cuda_runtime.h>

__global__ void square_diff(const float* __restrict__ x, float* __restrict__ sq, float mu, int n) {
//              ^^^^^^^^^^^ vectorization/vector-memory-access
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    const float d = x[i] - mu;
    sq[i] = d * d;
  }
}

__global__ void scale_shift(const float* __restrict__ sq, float* __restrict__ out, float gamma,
//              ^^^^^^^^^^^ vectorization/vector-memory-access
                            float beta, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    out[i] = gamma * sq[i] + beta;
}

// square_diff and scale_shift in one pass: element i stays in registers between them (d_sq is no longer written)
__global__ void square_diff_scale_shift_fused(const float* d_x, float* d_out, float mu,
                                              float gamma, float beta, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    // square_diff
    const float d = d_x[i] - mu;
    const float sq = d * d;
    // scale_shift
    d_out[i] = gamma * sq + beta;
  }
}

cudaError_t squared_deviation(const float* d_x, float* d_out, float mu, float gamma, float beta,
                              int n, cudaStream_t stream) {
  float* d_sq = nullptr;
  cudaError_t err = cudaMallocAsync(&d_sq, sizeof(float) * n, stream);
  if (err != cudaSuccess) return err;
  int sms = 0;
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  square_diff_scale_shift_fused<<<4 * sms, 256, 0, stream>>>(d_x, d_out, mu, gamma, beta, n);
//^^^^^^^^^^^ fusion/elementwise-chain
  return cudaFreeAsync(d_sq, stream);
}
