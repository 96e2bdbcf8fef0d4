// Common utilities for the GPT-2 training kernels: precision selection,
// 128-bit packed loads/stores, error checking and warp reductions.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cstdio>
#include <cstdlib>

#define WARP_SIZE 32U
#define CEIL_DIV(M, N) (((M) + (N)-1) / (N))

// ----------------------------------------------------------------------------
// Precision: bf16 by default for activations/params, fp32 when disabled.
#if defined(ENABLE_BF16)
typedef __nv_bfloat16 floatX;
#define PRECISION_MODE "bf16"
#elif defined(ENABLE_FP16)
typedef half floatX;
#define PRECISION_MODE "fp16"
#else
typedef float floatX;
#define PRECISION_MODE "fp32"
#endif

// ----------------------------------------------------------------------------
// error checking

inline void cuda_check(cudaError_t error, const char *file, int line) {
  if (error != cudaSuccess) {
    printf("[CUDA ERROR] at file %s:%d:\n%s\n", file, line, cudaGetErrorString(error));
    exit(EXIT_FAILURE);
  }
}
#define cudaCheck(err) (cuda_check(err, __FILE__, __LINE__))

// ----------------------------------------------------------------------------
// Packed128: a bundle of scalars occupying exactly 16 bytes, so loads and
// stores through it compile to LDG.128 / STG.128.
template <class ElementType>
struct alignas(16) Packed128 {
  Packed128() = default;
  __device__ explicit Packed128(int4 bits) {
    static_assert(sizeof(bits) == sizeof(payload), "Size mismatch.");
    memcpy(&payload, &bits, sizeof(bits));
  }

  __device__ static Packed128 constant(ElementType value) {
    Packed128 result;
    for (int k = 0; k < size; ++k) {
      result.payload[k] = value;
    }
    return result;
  }

  __device__ ElementType &operator[](int index) { return payload[index]; }

  __device__ int4 get_bits() const {
    int4 bits;
    memcpy(&bits, &payload, sizeof(bits));
    return bits;
  }

  static constexpr const size_t size = sizeof(int4) / sizeof(ElementType);
  ElementType payload[size];
};

typedef Packed128<float> f128;
typedef Packed128<floatX> x128;

// load a Packed128 from an aligned memory address
template <class ElementType>
__device__ Packed128<ElementType> load128(const ElementType *address) {
  return Packed128<ElementType>{*reinterpret_cast<const int4 *>(address)};
}

// load with the streaming ("evict first") cache hint: data read once
template <class ElementType>
__device__ Packed128<ElementType> load128cs(const ElementType *address) {
  return Packed128<ElementType>{__ldcs(reinterpret_cast<const int4 *>(address))};
}

template <class ElementType>
__device__ void store128(ElementType *target, Packed128<ElementType> value) {
  *reinterpret_cast<int4 *>(target) = value.get_bits();
}

template <class ElementType>
__device__ void store128cs(ElementType *target, Packed128<ElementType> value) {
  __stcs(reinterpret_cast<int4 *>(target), value.get_bits());
}

// ----------------------------------------------------------------------------
// reductions

__device__ inline float warpReduceSum(float val) {
  for (int offset = 16; offset > 0; offset /= 2) {
    val += __shfl_xor_sync(0xFFFFFFFF, val, offset);
  }
  return val;
}

__device__ inline float warpReduceMax(float val) {
  for (int offset = 16; offset > 0; offset /= 2) {
    val = fmaxf(val, __shfl_xor_sync(0xFFFFFFFF, val, offset));
  }
  return val;
}
