// Helpers shared by the operator library: launch geometry, qualifiers, the
// grid-stride kernel loop and the float/half dispatch used by the bindings.
#ifndef OPS_COMMON_H_
#define OPS_COMMON_H_

#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdexcept>

#define DEVICE_FUNCTION static inline __device__
#define HOST_DEVICE __host__ __device__
#define HOST_DEVICE_INLINE __host__ __device__ __forceinline__

// Grid-stride loop over [0, n).
#define CUDA_KERNEL_LOOP(i, n)                                   \
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
       i += blockDim.x * gridDim.x)

constexpr int kCudaNumThreads = 512;
constexpr int kMaxBlocks = 4096;

HOST_DEVICE_INLINE int get_blocks(const int n) {
  int blocks = (n + kCudaNumThreads - 1) / kCudaNumThreads;
  return blocks < kMaxBlocks ? blocks : kMaxBlocks;
}

enum class DType { kFloat32, kFloat16 };

// Runs the lambda with scalar_t bound to the element type of TYPE.
#define DISPATCH_FLOAT_AND_HALF(TYPE, NAME, ...)                  \
  [&] {                                                           \
    switch (TYPE) {                                               \
      case DType::kFloat32: {                                     \
        using scalar_t = float;                                   \
        return __VA_ARGS__();                                     \
      }                                                           \
      case DType::kFloat16: {                                     \
        using scalar_t = __half;                                  \
        return __VA_ARGS__();                                     \
      }                                                           \
      default:                                                    \
        throw std::runtime_error(NAME ": unsupported dtype");     \
    }                                                             \
  }()

#endif  // OPS_COMMON_H_
