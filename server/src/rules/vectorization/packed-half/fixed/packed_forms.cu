// fp16 / bf16 elementwise kernels in the other forms packed-half's fix rewrites: an early
// return, float math per element, locals, an in-place update, a per-row value, fp16 in
// and bf16 out, and grids the fix divides by 8 (one it cannot prove covered n).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

// GELU (tanh approximation) of fp16 data, computed in float.
__global__ void gelu_half(const __half* __restrict__ x, __half* __restrict__ y, int n) {
//              ^^^^^^^^^ vectorization/vector-memory-access
  // Packed fp16: from x's first 16-byte boundary on, 8 elements per thread as 4 __half2 through 16-byte loads / stores; scalar loops take the elements before it, the tail and unaligned arrays.
  const int head = n >= 8 ? (int)((16 - (size_t)x % 16) % 16 / 2) : 0;
  const long long i = head + 8LL * (blockIdx.x * blockDim.x + threadIdx.x);
  if (i >= n) return;
  if (i == head) for (int k = 0; k < head; ++k) {
    const float v = __half2float(x[i - head + k]);
    //                ^^^^^^^^^^^^^^^^^^ vectorization/packed-half
    y[i - head + k] = __float2half(0.5f * v * (1.0f + tanhf(0.7978845608f * (v + 0.044715f * v * v * v))));
  }
  if (i + 8 <= n && ((size_t)(x + i) | (size_t)(y + i)) % 16 == 0) {
    const uint4 x8 = *reinterpret_cast<const uint4*>(x + i);
    const __half2* x2 = reinterpret_cast<const __half2*>(&x8);
    uint4 y8;
    __half2* y2 = reinterpret_cast<__half2*>(&y8);
    #pragma unroll
    for (int k = 0; k < 4; ++k) {
      const float2 v = __half22float2(x2[k]);
      y2[k] = __floats2half2_rn(
          0.5f * v.x * (1.0f + tanhf(0.7978845608f * (v.x + 0.044715f * v.x * v.x * v.x))),
          0.5f * v.y * (1.0f + tanhf(0.7978845608f * (v.y + 0.044715f * v.y * v.y * v.y))));
    }
    *reinterpret_cast<uint4*>(y + i) = y8;
  } else {
    for (int k = 0; k < 8 && i + k < n; ++k) {
      const float v = __half2float(x[i + k]);
      //                ^^^^^^^^^^^^^^^^^^ vectorization/packed-half
      y[i + k] = __float2half(0.5f * v * (1.0f + tanhf(0.7978845608f * (v + 0.044715f * v * v * v))));
    }
  }
}

// y += a * x in place: a rounded product, then a rounded sum.
__global__ void haxpy_inplace(const __half* __restrict__ x, __half* __restrict__ y, __half a, int n) {
//              ^^^^^^^^^^^^^ vectorization/vector-memory-access
  // Packed fp16: from x's first 16-byte boundary on, 8 elements per thread as 4 __half2 through 16-byte loads / stores; scalar loops take the elements before it, the tail and unaligned arrays.
  const int head = n >= 8 ? (int)((16 - (size_t)x % 16) % 16 / 2) : 0;
  long long i = head + 8LL * (threadIdx.x + blockIdx.x * blockDim.x);
  if (i == head) for (int k = 0; k < head; ++k) {
    const __half ax = __hmul(a, x[i - head + k]);
    //                    ^^^^^^^^^^^^^^^ vectorization/packed-half
    y[i - head + k] += ax;
  }
  if (i + 8 <= n && ((size_t)(x + i) | (size_t)(y + i)) % 16 == 0) {
    const uint4 x8 = *reinterpret_cast<const uint4*>(x + i);
    const __half2* x2 = reinterpret_cast<const __half2*>(&x8);
    uint4 y8 = *reinterpret_cast<const uint4*>(y + i);
    __half2* y2 = reinterpret_cast<__half2*>(&y8);
    const __half2 a2 = __half2half2(a);
    #pragma unroll
    for (int k = 0; k < 4; ++k) {
      const __half2 ax = __hmul2(a2, x2[k]);
      y2[k] = __hadd2(y2[k], ax);
    }
    *reinterpret_cast<uint4*>(y + i) = y8;
  } else {
    for (int k = 0; k < 8 && i + k < n; ++k) {
      const __half ax = __hmul(a, x[i + k]);
      //                    ^^^^^^^^^^^^^^^ vectorization/packed-half
      y[i + k] += ax;
    }
  }
}

// Per-row bias and ReLU of a [rows, cols] bf16 matrix in place, one block per row.
__global__ void bias_relu_bf16(__nv_bfloat16* __restrict__ y, const __nv_bfloat16* __restrict__ bias, int cols) {
//              ^^^^^^^^^^^^^^ vectorization/vector-memory-access
  const __nv_bfloat16 zero = __float2bfloat16(0.0f);
  // Packed bf16: from y's first 16-byte boundary on, 8 elements per thread per step as 4 __nv_bfloat162 through 16-byte loads / stores; scalar loops take the elements before it, the tail and unaligned arrays.
  const int head = cols >= 8 ? (int)((16 - (size_t)(y + ((size_t)blockIdx.x * cols)) % 16) % 16 / 2) : 0;
  for (long long c = head + 8LL * threadIdx.x; c < cols; c += 8LL * blockDim.x) {
    const size_t i = (size_t)blockIdx.x * cols + c;
    if (c == head) for (int k = 0; k < head; ++k) {
      y[i - head + k] = __hmax(__hadd(y[i - head + k], bias[blockIdx.x]), zero);
      //         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ vectorization/packed-half
    }
    if (c + 8 <= cols && (size_t)(y + i) % 16 == 0) {
      uint4 y8 = *reinterpret_cast<const uint4*>(y + i);
      __nv_bfloat162* y2 = reinterpret_cast<__nv_bfloat162*>(&y8);
      const __nv_bfloat162 bias2 = __bfloat162bfloat162(bias[blockIdx.x]);
      const __nv_bfloat162 zero2 = __bfloat162bfloat162(zero);
      #pragma unroll
      for (int k = 0; k < 4; ++k) y2[k] = __hmax2(__hadd2(y2[k], bias2), zero2);
      *reinterpret_cast<uint4*>(y + i) = y8;
    } else {
      for (int k = 0; k < 8 && c + k < cols; ++k) {
        y[i + k] = __hmax(__hadd(y[i + k], bias[blockIdx.x]), zero);
        //         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ vectorization/packed-half
      }
    }
  }
}

// fp16 activations to scaled bf16, grid-stride.
__global__ void half_to_bf16_scaled(const __half* __restrict__ x, __nv_bfloat16* __restrict__ y, float s, size_t n) {
//              ^^^^^^^^^^^^^^^^^^^ vectorization/vector-memory-access
  // Packed fp16 / bf16: from x's first 16-byte boundary on, 8 elements per thread per step as 4 __half2 / __nv_bfloat162 through 16-byte loads / stores; scalar loops take the elements before it, the tail and unaligned arrays.
  const int head = n >= 8 ? (int)((16 - (size_t)x % 16) % 16 / 2) : 0;
  for (size_t i = head + 8LL * (blockIdx.x * (size_t)blockDim.x + threadIdx.x); i < n; i += 8LL * (size_t)blockDim.x * gridDim.x) {
    if (i == head) for (int k = 0; k < head; ++k) y[i - head + k] = __float2bfloat16(__half2float(x[i - head + k]) * s);
    if (i + 8 <= n && ((size_t)(x + i) | (size_t)(y + i)) % 16 == 0) {
      const uint4 x8 = *reinterpret_cast<const uint4*>(x + i);
      const __half2* x2 = reinterpret_cast<const __half2*>(&x8);
      uint4 y8;
      __nv_bfloat162* y2 = reinterpret_cast<__nv_bfloat162*>(&y8);
      #pragma unroll
      for (int k = 0; k < 4; ++k) {
        const float2 xf = __half22float2(x2[k]);
        y2[k] = __floats2bfloat162_rn(xf.x * s, xf.y * s);
      }
      *reinterpret_cast<uint4*>(y + i) = y8;
    } else {
      for (int k = 0; k < 8 && i + k < n; ++k) y[i + k] = __float2bfloat16(__half2float(x[i + k]) * s);
    }
  }
//         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ vectorization/packed-half
}

// Scale by s, on the grid the caller picks.
__global__ void scale_half(const __half* __restrict__ x, __half* __restrict__ y, __half s, int n) {
//              ^^^^^^^^^^ vectorization/vector-memory-access
  // Packed fp16: from x's first 16-byte boundary on, 8 elements per thread as 4 __half2 through 16-byte loads / stores; scalar loops take the elements before it, the tail and unaligned arrays.
  const int head = n >= 8 ? (int)((16 - (size_t)x % 16) % 16 / 2) : 0;
  const long long i = head + 8LL * (blockIdx.x * blockDim.x + threadIdx.x);
  if (i == head) for (int k = 0; k < head; ++k) y[i - head + k] = __hmul(x[i - head + k], s);
  if (i + 8 <= n && ((size_t)(x + i) | (size_t)(y + i)) % 16 == 0) {
    const uint4 x8 = *reinterpret_cast<const uint4*>(x + i);
    const __half2* x2 = reinterpret_cast<const __half2*>(&x8);
    uint4 y8;
    __half2* y2 = reinterpret_cast<__half2*>(&y8);
    const __half2 s2 = __half2half2(s);
    #pragma unroll
    for (int k = 0; k < 4; ++k) y2[k] = __hmul2(x2[k], s2);
    *reinterpret_cast<uint4*>(y + i) = y8;
  } else {
    for (int k = 0; k < 8 && i + k < n; ++k) y[i + k] = __hmul(x[i + k], s);
  }
//                  ^^^^^^^^^^^^^^^ vectorization/packed-half
}

void gelu(const __half* x, __half* y, int n, cudaStream_t stream) {
  gelu_half<<<((n + 511) / 512 + 7) / 8, 512, 0, stream>>>(x, y, n);
}

void axpy(const __half* x, __half* y, __half a, int n, cudaStream_t stream) {
  const int threads = 256;
  const int blocks = (n + threads - 1) / threads;
  haxpy_inplace<<<(blocks + 7) / 8, threads, 0, stream>>>(x, y, a, n);
}

void scale(const __half* x, __half* y, __half s, int n, int blocks) {
  scale_half<<<(blocks + 7) / 8, 128>>>(x, y, s, n);
}
