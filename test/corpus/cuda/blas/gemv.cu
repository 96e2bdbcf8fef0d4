// Single-precision GEMV kernels, y = A x, A row-major (M x K).
#include "level1.cuh"

#define WARP_SIZE 32
#define FLOAT4(value) (reinterpret_cast<float4 *>(&(value))[0])

// Dot product of n contiguous floats; called per thread.
__device__ __forceinline__ float dot_contig(const float *a, const float *b, int n) {
  float s = 0.0f;
  for (int k = 0; k < n; ++k) s += a[k] * b[k];
  return s;
}

// Thread per row: lane i walks row i, so the warp touches 32 different rows
// per step. x[k] is the same for every lane.
__global__ void sgemv_thread_per_row(const float *A, const float *x, float *y, int M, int K) {
  int row = blockIdx.x * blockDim.x + threadIdx.x;
  if (row < M) {
    y[row] = dot_contig(A + (size_t)row * K, x, K);
  }
}

// Warp per row, K a multiple of 32: lanes stride the row together.
__global__ void sgemv_k32_f32_kernel(const float *A, const float *x, float *y, int M, int K) {
  int tx = threadIdx.x;
  int ty = threadIdx.y;
  int lane = tx % WARP_SIZE;
  int m = blockDim.y * blockIdx.x + ty;
  if (m < M) {
    float sum = 0.0f;
    int NUM_WARPS = (K + WARP_SIZE - 1) / WARP_SIZE;
#pragma unroll
    for (int w = 0; w < NUM_WARPS; ++w) {
      int k = w * WARP_SIZE + lane;
      sum += A[m * K + k] * x[k];
    }
    for (int mask = 16; mask >= 1; mask >>= 1) sum += __shfl_xor_sync(0xffffffff, sum, mask);
    if (lane == 0) y[m] = sum;
  }
}

// Warp per row with float4 loads, K a multiple of 128.
__global__ void sgemv_k128_f32x4_kernel(float *A, float *x, float *y, int M, int K) {
  int lane = threadIdx.x % WARP_SIZE;
  int m = blockDim.y * blockIdx.x + threadIdx.y;
  if (m < M) {
    float sum = 0.0f;
    int NUM_WARPS = (((K + WARP_SIZE - 1) / WARP_SIZE) + 4 - 1) / 4;
    for (int w = 0; w < NUM_WARPS; ++w) {
      int k = (w * WARP_SIZE + lane) * 4;
      float4 reg_x = FLOAT4(x[k]);
      float4 reg_a = FLOAT4(A[m * K + k]);
      sum += reg_a.x * reg_x.x + reg_a.y * reg_x.y + reg_a.z * reg_x.z + reg_a.w * reg_x.w;
    }
    for (int mask = 16; mask >= 1; mask >>= 1) sum += __shfl_xor_sync(0xffffffff, sum, mask);
    if (lane == 0) y[m] = sum;
  }
}

// y = A^T x with A row-major (K x M): thread per output column; the warp reads
// a contiguous stretch of each row, x[k] is broadcast.
__global__ void sgemv_t_col_per_thread(const float *A, const float *x, float *y, int K, int M) {
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (col < M) {
    float s = 0.0f;
    for (int k = 0; k < K; ++k) s += A[(size_t)k * M + col] * x[k];
    y[col] = s;
  }
}

// Host fallback for small M (avoids a launch).
void sgemv_cpu(const float *A, const float *x, float *y, int M, int K) {
  for (int m = 0; m < M; ++m) {
    float s = 0.0f;
    for (int k = 0; k < K; ++k) s += A[m * K + k] * x[k];
    y[m] = s;
  }
}

void sgemv(const float *A, const float *x, float *y, int M, int K, cudaStream_t s) {
  if (K % 128 == 0) {
    dim3 block(32, 4);
    sgemv_k128_f32x4_kernel<<<(M + 3) / 4, block, 0, s>>>(const_cast<float *>(A),
                                                          const_cast<float *>(x), y, M, K);
  } else if (K % 32 == 0) {
    dim3 block(32, 4);
    sgemv_k32_f32_kernel<<<(M + 3) / 4, block, 0, s>>>(A, x, y, M, K);
  } else {
    sgemv_thread_per_row<<<(M + 255) / 256, 256, 0, s>>>(A, x, y, M, K);
  }
}
