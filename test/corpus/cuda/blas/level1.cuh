// Level-1 kernels with BLAS-style increments. incx/incy are runtime values;
// the common case from the Fortran-order callers is a column walk (inc = lda).
#pragma once
#include <cuda_runtime.h>

__global__ void saxpy_inc_kernel(int n, float alpha, const float *x, int incx, float *y,
                                 int incy) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i * incy] += alpha * x[i * incx];
}

// Unit-stride fast path selected by the launcher when incx == incy == 1.
__global__ void saxpy_unit_kernel(int n, float alpha, const float *__restrict__ x,
                                  float *__restrict__ y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] += alpha * x[i];
}

__global__ void sscal_unit_f32x4_kernel(int n4, float alpha, float4 *x) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n4) {
    float4 v = x[i];
    v.x *= alpha; v.y *= alpha; v.z *= alpha; v.w *= alpha;
    x[i] = v;
  }
}

inline void saxpy(int n, float alpha, const float *x, int incx, float *y, int incy,
                  cudaStream_t s) {
  const int threads = 256, blocks = (n + threads - 1) / threads;
  if (incx == 1 && incy == 1) {
    saxpy_unit_kernel<<<blocks, threads, 0, s>>>(n, alpha, x, y);
  } else {
    saxpy_inc_kernel<<<blocks, threads, 0, s>>>(n, alpha, x, incx, y, incy);
  }
}
