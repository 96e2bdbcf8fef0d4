// Elementwise kernels the vector-access fix rewrites in their less regular forms: a threshold
// whose output is written only where the input passes (and whose labels use the index as a
// value), launched twice, and a grid-stride fp16 -> fp32 conversion with size_t indices, where
// the 16-bit input moves 8 bytes per thread and the fp32 output 16.
#include <cstddef>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

__global__ void threshold_labels(const float* __restrict__ x, float* __restrict__ out,
//              ^^^^^^^^^^^^^^^^ vectorization/vector-memory-access
                                 int* __restrict__ labels, float t, int n) {
  // 4 consecutive elements per thread, one 128-bit float4 / int4 access per buffer; scalar code for the tail and unaligned pointers
  int i4 = blockIdx.x * blockDim.x + threadIdx.x;  // this thread's elements: 4 * i4 to 4 * i4 + 3
  const bool aligned = ((reinterpret_cast<size_t>(x) | reinterpret_cast<size_t>(labels)) & 15) == 0;
  if (i4 < n / 4 && aligned) {
    alignas(16) float x_v[4];
    alignas(16) int labels_v[4];
    *reinterpret_cast<float4*>(x_v) = reinterpret_cast<const float4*>(x)[i4];
    #pragma unroll
    for (int k = 0; k < 4; ++k) {
      const int i = 4 * i4 + k;
      const float v = x_v[k];
      if (v > t) {
        out[i] = v;  // elsewhere out keeps what it held
      }
      labels_v[k] = v > t ? i : -1;
    }
    reinterpret_cast<int4*>(labels)[i4] = *reinterpret_cast<const int4*>(labels_v);
  } else if (i4 <= n / 4) {
    for (int k = 0; k < 4; ++k) {
      int i = 4 * i4 + k;
      if (i < n) {
        const float v = __ldg(&x[i]);
        if (v > t) {
          out[i] = v;  // elsewhere out keeps what it held
        }
        labels[i] = v > t ? i : -1;
      }
    }
  }
}

__global__ void half_to_float(const __half* __restrict__ in, float* __restrict__ out, float scale,
//              ^^^^^^^^^^^^^ vectorization/vector-memory-access
                              size_t n) {
  // 4 consecutive elements per thread per step, one vector (uint2 for in, float4 for out) access per buffer; the scalar loop takes the tail (or all, for unaligned pointers)
  const bool aligned = (reinterpret_cast<size_t>(out) & 15) == 0 && (reinterpret_cast<size_t>(in) & 7) == 0;
  const size_t vec_end = aligned ? n / 4 * 4 : 0;
  for (size_t i4 = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i4 < vec_end / 4; i4 += (size_t)blockDim.x * gridDim.x) {
    alignas(8) __half in_v[4];
    alignas(16) float out_v[4];
    *reinterpret_cast<uint2*>(in_v) = reinterpret_cast<const uint2*>(in)[i4];
    #pragma unroll
    for (int k = 0; k < 4; ++k) out_v[k] = __half2float(in_v[k]) * scale;
    reinterpret_cast<float4*>(out)[i4] = *reinterpret_cast<const float4*>(out_v);
  }
  for (size_t i = vec_end + blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)blockDim.x * gridDim.x) {
    out[i] = __half2float(in[i]) * scale;
  }
}

void run(const float* d_x, float* d_out, int* d_labels, const __half* d_h, float* d_f, int n,
         int m, int sms, cudaStream_t stream) {
  threshold_labels<<<((n + 127) / 128 + 3) / 4, 128, 0, stream>>>(d_x, d_out, d_labels, 0.5f, n);
  // the second half of the buffers, with a tighter threshold
  threshold_labels<<<((m + 127) / 128 + 3) / 4, 128, 0, stream>>>(d_x + n, d_out + n, d_labels + n, 0.9f, m);
  half_to_float<<<4 * sms, 256, 0, stream>>>(d_h, d_f, 2.0f, size_t(n));
}
