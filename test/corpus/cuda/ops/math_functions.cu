// BLAS-1 style primitives on device buffers (axpy, scale, strided copy, sign).
#include "common.h"

template <typename Dtype>
__global__ void axpy_kernel(const int n, const Dtype alpha, const Dtype *x, Dtype *y) {
  CUDA_KERNEL_LOOP(index, n) { y[index] += alpha * x[index]; }
}

template <typename Dtype>
__global__ void scale_kernel(const int n, const Dtype alpha, const Dtype *x, Dtype *y) {
  CUDA_KERNEL_LOOP(index, n) { y[index] = alpha * x[index]; }
}

template <typename Dtype>
__global__ void add_scalar_kernel(const int n, const Dtype alpha, Dtype *y) {
  CUDA_KERNEL_LOOP(index, n) { y[index] += alpha; }
}

// y[i*incy] = x[i*incx]
template <typename Dtype>
__global__ void strided_copy_kernel(const int n, const Dtype *x, const int incx, Dtype *y,
                                    const int incy) {
  CUDA_KERNEL_LOOP(index, n) { y[index * incy] = x[index * incx]; }
}

DEVICE_FUNCTION float sign_of(float v) { return (0.0f < v) - (v < 0.0f); }

__global__ void sign_kernel(const int n, const float *x, float *y) {
  CUDA_KERNEL_LOOP(index, n) { y[index] = sign_of(x[index]); }
}

// float4 grid-stride axpy; n4 = n / 4, the caller handles the remainder.
__global__ void axpy_vec4_kernel(const int n4, const float alpha, const float4 *__restrict__ x,
                                 float4 *__restrict__ y) {
  CUDA_KERNEL_LOOP(i, n4) {
    float4 a = x[i];
    float4 b = y[i];
    b.x += alpha * a.x;
    b.y += alpha * a.y;
    b.z += alpha * a.z;
    b.w += alpha * a.w;
    y[i] = b;
  }
}

void gpu_axpy(const int n, const float alpha, const float *x, float *y, cudaStream_t stream) {
  if (n % 4 == 0) {
    axpy_vec4_kernel<<<get_blocks(n / 4), kCudaNumThreads, 0, stream>>>(
        n / 4, alpha, reinterpret_cast<const float4 *>(x), reinterpret_cast<float4 *>(y));
  } else {
    axpy_kernel<float><<<get_blocks(n), kCudaNumThreads, 0, stream>>>(n, alpha, x, y);
  }
}

// y = alpha * x + beta, as two library calls chained through y.
void gpu_scale_shift(const int n, const float alpha, const float beta, const float *x, float *y,
                     cudaStream_t stream) {
  scale_kernel<float><<<get_blocks(n), kCudaNumThreads, 0, stream>>>(n, alpha, x, y);
  add_scalar_kernel<float><<<get_blocks(n), kCudaNumThreads, 0, stream>>>(n, beta, y);
}

void gpu_copy_strided(const int n, const float *x, int incx, float *y, int incy,
                      cudaStream_t stream) {
  strided_copy_kernel<float><<<get_blocks(n), kCudaNumThreads, 0, stream>>>(n, x, incx, y, incy);
}
