// Shared helpers for the elementwise / activation kernels.
// Vector-cast macros: reinterpret one element reference as a wider vector type.
// The caller is responsible for 16-byte (float4) or 4-byte (half2) alignment.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cstdio>
#include <cstdlib>

#define WARP_SIZE 32
#define INT4(value) (reinterpret_cast<int4 *>(&(value))[0])
#define FLOAT4(value) (reinterpret_cast<float4 *>(&(value))[0])
#define HALF2(value) (reinterpret_cast<half2 *>(&(value))[0])
#define BFLOAT2(value) (reinterpret_cast<__nv_bfloat162 *>(&(value))[0])
#define LDST128BITS(value) (reinterpret_cast<float4 *>(&(value))[0])

#define CHECK_CUDA(call)                                                       \
  do {                                                                         \
    cudaError_t err_ = (call);                                                 \
    if (err_ != cudaSuccess) {                                                 \
      fprintf(stderr, "CUDA error %s at %s:%d\n", cudaGetErrorString(err_),    \
              __FILE__, __LINE__);                                             \
      exit(EXIT_FAILURE);                                                      \
    }                                                                          \
  } while (0)

// Numerically safe logistic; clamps the exponent to keep expf finite.
__device__ __forceinline__ float sigmoid_f32(float x) {
  x = fminf(fmaxf(x, -88.0f), 88.0f);
  return 1.0f / (1.0f + __expf(-x));
}

// tanh-approximated GELU used by both scalar and vector kernels.
__device__ __forceinline__ float gelu_tanh_f32(float x) {
  const float kAlpha = 0.7978845608f;  // sqrt(2/pi)
  float cube = 0.044715f * x * x * x;
  return 0.5f * x * (1.0f + tanhf(kAlpha * (x + cube)));
}

static inline int div_up(int a, int b) { return (a + b - 1) / b; }
