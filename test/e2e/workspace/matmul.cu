// Naive matrix multiply: every thread walks a whole row of A and a whole column of B
// in global memory. Kernel Advisor should suggest shared-memory tiling.
#include <cuda_runtime.h>

__global__ void matmul_naive(const float* A, const float* B, float* C, int N) {
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (row < N && col < N) {
    float sum = 0.0f;
    for (int k = 0; k < N; ++k) {
      sum += A[row * N + k] * B[k * N + col];
    }
    C[row * N + col] = sum;
  }
}

void launch_matmul(const float* dA, const float* dB, float* dC, int N) {
  dim3 block(16, 16);
  dim3 grid((N + block.x - 1) / block.x, (N + block.y - 1) / block.y);
  matmul_naive<<<grid, block>>>(dA, dB, dC, N);
}
