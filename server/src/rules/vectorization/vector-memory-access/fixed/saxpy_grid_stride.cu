// SAXPY with a grid-stride loop and an error-check macro: every trip loads x[i], y[i] and stores
// y[i], unit-stride 32-bit floats, nothing 128-bit. vectorization/vector-memory-access fires
// once on `saxpy` (the loop would step 4 floats per thread with float4 plus a scalar tail).
#include <cstdio>
#include <cstdlib>
#include <cuda_runtime.h>

#define CHECK_CUDA(expr)                                                          \
  do {                                                                            \
    cudaError_t status_ = (expr);                                                 \
    if (status_ != cudaSuccess) {                                                 \
      std::fprintf(stderr, "CUDA error %s at %s:%d\n", cudaGetErrorString(status_), \
                   __FILE__, __LINE__);                                           \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

__global__ void __launch_bounds__(256) saxpy(int n, float a, const float* __restrict__ x,
//                                     ^^^^^ vectorization/vector-memory-access
                                             float* __restrict__ y) {
  // 4 consecutive float elements per thread per step, one 128-bit float4 access per buffer; the scalar loop takes the tail (or all, for unaligned pointers)
  const bool aligned = ((reinterpret_cast<size_t>(x) | reinterpret_cast<size_t>(y)) & 15) == 0;
  const int vec_end = aligned ? n / 4 * 4 : 0;
  for (int i4 = blockIdx.x * blockDim.x + threadIdx.x; i4 < vec_end / 4; i4 += blockDim.x * gridDim.x) {
    alignas(16) float x_v[4];
    alignas(16) float y_v[4];
    *reinterpret_cast<float4*>(x_v) = reinterpret_cast<const float4*>(x)[i4];
    *reinterpret_cast<float4*>(y_v) = reinterpret_cast<const float4*>(y)[i4];
    #pragma unroll
    for (int k = 0; k < 4; ++k) y_v[k] = fmaf(a, x_v[k], y_v[k]);
    reinterpret_cast<float4*>(y)[i4] = *reinterpret_cast<const float4*>(y_v);
  }
  for (int i = vec_end + blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    y[i] = fmaf(a, x[i], y[i]);
  }
}

void saxpy_device(int n, float a, const float* h_x, float* h_y) {
  float *d_x, *d_y;
  const size_t bytes = size_t(n) * sizeof(float);
  CHECK_CUDA(cudaMalloc(&d_x, bytes));
  CHECK_CUDA(cudaMalloc(&d_y, bytes));
  CHECK_CUDA(cudaMemcpy(d_x, h_x, bytes, cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemcpy(d_y, h_y, bytes, cudaMemcpyHostToDevice));

  int sms = 0;
  CHECK_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  saxpy<<<32 * sms, 256>>>(n, a, d_x, d_y);
  CHECK_CUDA(cudaGetLastError());

  CHECK_CUDA(cudaMemcpy(h_y, d_y, bytes, cudaMemcpyDeviceToHost));
  CHECK_CUDA(cudaFree(d_x));
  CHECK_CUDA(cudaFree(d_y));
}
