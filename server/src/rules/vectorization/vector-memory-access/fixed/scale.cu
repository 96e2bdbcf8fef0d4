// Memory-bound elementwise scale, one float per thread: x[i] and y[i] are unit-stride 32-bit
// accesses that could be 128-bit float4 accesses (4 elements per thread; 1.61x on an H200).
// vectorization/vector-memory-access fires once, on the kernel name.
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <cuda_runtime.h>

__global__ void scale(const float* __restrict__ x, float* __restrict__ y, float a, int n) {
//              ^^^^^ vectorization/vector-memory-access
  // 4 consecutive float elements per thread, one 128-bit float4 access per buffer; scalar code for the tail and unaligned pointers
  const int i4 = blockIdx.x * blockDim.x + threadIdx.x;  // this thread's elements: 4 * i4 to 4 * i4 + 3
  const bool aligned = ((reinterpret_cast<size_t>(x) | reinterpret_cast<size_t>(y)) & 15) == 0;
  if (i4 < n / 4 && aligned) {
    alignas(16) float x_v[4];
    alignas(16) float y_v[4];
    *reinterpret_cast<float4*>(x_v) = reinterpret_cast<const float4*>(x)[i4];
    #pragma unroll
    for (int k = 0; k < 4; ++k) y_v[k] = a * x_v[k];
    reinterpret_cast<float4*>(y)[i4] = *reinterpret_cast<const float4*>(y_v);
  } else if (i4 <= n / 4) {
    for (int k = 0; k < 4; ++k) {
      const int i = 4 * i4 + k;
      if (i < n) y[i] = a * x[i];
    }
  }
}

int main() {
  const int n = 1 << 24;
  const size_t bytes = size_t(n) * sizeof(float);
  std::vector<float> h_x(n, 1.0f), h_y(n);

  float *d_x = nullptr, *d_y = nullptr;
  if (cudaMalloc(&d_x, bytes) != cudaSuccess || cudaMalloc(&d_y, bytes) != cudaSuccess) {
    std::fprintf(stderr, "cudaMalloc failed\n");
    return EXIT_FAILURE;
  }
  cudaMemcpy(d_x, h_x.data(), bytes, cudaMemcpyHostToDevice);

  const int threads = 256;
  const int blocks = (n + threads - 1) / threads;
  scale<<<(blocks + 3) / 4, threads>>>(d_x, d_y, 2.0f, n);

  cudaMemcpy(h_y.data(), d_y, bytes, cudaMemcpyDeviceToHost);
  std::printf("y[0] = %f\n", h_y[0]);
  cudaFree(d_x);
  cudaFree(d_y);
  return 0;
}
