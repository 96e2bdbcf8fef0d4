// A small activation pipeline written as three separate elementwise kernels:
// y = relu(scale * x + bias), then y is clipped to [-limit, limit].
#include <cstdio>
#include <vector>
#include <cuda_runtime.h>

__global__ void scale(const float* __restrict__ x, float* __restrict__ t, float a, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) t[i] = a * x[i];
}

__global__ void bias_relu(const float* __restrict__ t, float* __restrict__ u, float b, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) u[i] = fmaxf(t[i] + b, 0.f);
}

__global__ void clip(const float* __restrict__ u, float* __restrict__ y, float limit, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = fminf(u[i], limit);
}

int main() {
  const int n = 1 << 26;
  const size_t bytes = size_t(n) * sizeof(float);
  std::vector<float> h(n, -1.5f);
  float *d_x, *d_t, *d_u, *d_y;
  cudaMalloc(&d_x, bytes);
  cudaMalloc(&d_t, bytes);
  cudaMalloc(&d_u, bytes);
  cudaMalloc(&d_y, bytes);
  cudaMemcpy(d_x, h.data(), bytes, cudaMemcpyHostToDevice);

  const int threads = 256, blocks = (n + threads - 1) / threads;
  scale<<<blocks, threads>>>(d_x, d_t, -2.0f, n);
  bias_relu<<<blocks, threads>>>(d_t, d_u, 0.5f, n);
  clip<<<blocks, threads>>>(d_u, d_y, 3.0f, n);

  cudaMemcpy(h.data(), d_y, bytes, cudaMemcpyDeviceToHost);
  std::printf("y[0] = %f (expect 3.0)\n", h[0]);
  cudaFree(d_x);
  cudaFree(d_t);
  cudaFree(d_u);
  cudaFree(d_y);
  return 0;
}
