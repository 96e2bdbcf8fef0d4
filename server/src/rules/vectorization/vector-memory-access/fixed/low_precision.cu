// Elementwise kernels on 16-bit and 8-bit data, scalar accesses: a __half scale (2-byte loads
// and stores) and a uint8 -> float dequantization in a grid-stride loop. Both are unit-stride
// and memory-bound, so each kernel gets one vectorization/vector-memory-access finding.
#include <cstdint>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

__global__ void scale_half(const __half* __restrict__ x, __half* __restrict__ y, float s, int n) {
//              ^^^^^^^^^^ vectorization/vector-memory-access
  // 8 consecutive __half elements per thread, one 128-bit uint4 access per buffer; scalar code for the tail and unaligned pointers
  const int i8 = blockIdx.x * blockDim.x + threadIdx.x;  // this thread's elements: 8 * i8 to 8 * i8 + 7
  const bool aligned = ((reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y)) & 15) == 0;
  if (i8 < n / 8 && aligned) {
    alignas(16) __half x_v[8];
    alignas(16) __half y_v[8];
    *reinterpret_cast<uint4*>(x_v) = reinterpret_cast<const uint4*>(x)[i8];
    #pragma unroll
    for (int k = 0; k < 8; ++k) y_v[k] = __float2half(__half2float(x_v[k]) * s);
    reinterpret_cast<uint4*>(y)[i8] = *reinterpret_cast<const uint4*>(y_v);
  } else if (i8 <= n / 8) {
    for (int k = 0; k < 8; ++k) {
      const int i = 8 * i8 + k;
      if (i < n) y[i] = __float2half(__half2float(x[i]) * s);
    }
  }
//                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ vectorization/packed-half
}

__global__ void dequant_u8(const uint8_t* __restrict__ q, float* __restrict__ out,
//              ^^^^^^^^^^ vectorization/vector-memory-access
                           float scale, int zero_point, int n) {
  // 4 consecutive elements per thread per step, one vector (unsigned int for q, float4 for out) access per buffer; the scalar loop takes the tail (or all, for unaligned pointers)
  const bool aligned = (reinterpret_cast<uintptr_t>(out) & 15) == 0 && (reinterpret_cast<uintptr_t>(q) & 3) == 0;
  const int vec_end = aligned ? n / 4 * 4 : 0;
  for (int i4 = blockIdx.x * blockDim.x + threadIdx.x; i4 < vec_end / 4; i4 += blockDim.x * gridDim.x) {
    alignas(4) uint8_t q_v[4];
    alignas(16) float out_v[4];
    *reinterpret_cast<unsigned int*>(q_v) = reinterpret_cast<const unsigned int*>(q)[i4];
    #pragma unroll
    for (int k = 0; k < 4; ++k) out_v[k] = scale * static_cast<float>(static_cast<int>(q_v[k]) - zero_point);
    reinterpret_cast<float4*>(out)[i4] = *reinterpret_cast<const float4*>(out_v);
  }
  for (int i = vec_end + blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    out[i] = scale * static_cast<float>(static_cast<int>(q[i]) - zero_point);
  }
}

void run(const __half* d_x, __half* d_y, const uint8_t* d_q, float* d_deq, int n,
         cudaStream_t stream) {
  const int threads = 256;
  scale_half<<<((n + threads - 1) / threads + 7) / 8, threads, 0, stream>>>(d_x, d_y, 0.5f, n);
  dequant_u8<<<1024, threads, 0, stream>>>(d_q, d_deq, 0.02f, 128, n);
}
