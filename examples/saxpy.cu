// SAXPY, y = a*x + y, one element per thread with scalar float loads and stores.
#include <cstdio>
#include <vector>
#include <cuda_runtime.h>

__global__ void saxpy(int n, float a, const float* __restrict__ x, float* __restrict__ y) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}

int main() {
  const int n = 1 << 28;
  const size_t bytes = size_t(n) * sizeof(float);
  std::vector<float> h_x(n, 1.0f), h_y(n, 2.0f);
  float *d_x, *d_y;
  cudaMalloc(&d_x, bytes);
  cudaMalloc(&d_y, bytes);
  cudaMemcpy(d_x, h_x.data(), bytes, cudaMemcpyHostToDevice);
  cudaMemcpy(d_y, h_y.data(), bytes, cudaMemcpyHostToDevice);

  saxpy<<<(n + 255) / 256, 256>>>(n, 2.0f, d_x, d_y);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) {
    std::fprintf(stderr, "launch failed: %s\n", cudaGetErrorString(err));
    return 1;
  }

  cudaMemcpy(h_y.data(), d_y, bytes, cudaMemcpyDeviceToHost);
  std::printf("y[0] = %f (expect 4.0)\n", h_y[0]);
  cudaFree(d_x);
  cudaFree(d_y);
  return 0;
}
