// fp16 / bf16 kernels that compute one element per thread with scalar intrinsics or a
// per-element float round trip, over consecutive elements: each pairs into __half2 /
// __nv_bfloat162.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

// y = a * x + b in fp16, one __hfma per thread.
__global__ void haxpby(const __half* __restrict__ x, __half* __restrict__ y, __half a, __half b, int n) {
//              ^^^^^^ vectorization/vector-memory-access
  // Packed fp16: from x's first 16-byte boundary on, 8 elements per thread as 4 __half2 through 16-byte loads / stores; scalar loops take the elements before it, the tail and unaligned arrays.
  const int head = n >= 8 ? (int)((16 - (size_t)x % 16) % 16 / 2) : 0;
  const long long i = head + 8LL * (blockIdx.x * blockDim.x + threadIdx.x);
  if (i == head) for (int k = 0; k < head; ++k) y[i - head + k] = __hfma(a, x[i - head + k], b);
  if (i + 8 <= n && ((size_t)(x + i) | (size_t)(y + i)) % 16 == 0) {
    const uint4 x8 = *reinterpret_cast<const uint4*>(x + i);
    const __half2* x2 = reinterpret_cast<const __half2*>(&x8);
    uint4 y8;
    __half2* y2 = reinterpret_cast<__half2*>(&y8);
    const __half2 a2 = __half2half2(a);
    const __half2 b2 = __half2half2(b);
    #pragma unroll
    for (int k = 0; k < 4; ++k) y2[k] = __hfma2(a2, x2[k], b2);
    *reinterpret_cast<uint4*>(y + i) = y8;
  } else {
    for (int k = 0; k < 8 && i + k < n; ++k) y[i + k] = __hfma(a, x[i + k], b);
  }
//                  ^^^^^^^^^^^^^^^^^^ vectorization/packed-half
}

// Residual add in bf16, through float.
__global__ void residual_add_bf16(const __nv_bfloat16* __restrict__ x, const __nv_bfloat16* __restrict__ r,
//              ^^^^^^^^^^^^^^^^^ vectorization/vector-memory-access
                                  __nv_bfloat16* __restrict__ out, int n) {
  // Packed bf16: from x's first 16-byte boundary on, 8 elements per thread per step as 4 __nv_bfloat162 through 16-byte loads / stores; scalar loops take the elements before it, the tail and unaligned arrays.
  const int head = n >= 8 ? (int)((16 - (size_t)x % 16) % 16 / 2) : 0;
  for (long long i = head + 8LL * (blockIdx.x * blockDim.x + threadIdx.x); i < n; i += 8LL * blockDim.x * gridDim.x) {
    if (i == head) for (int k = 0; k < head; ++k) {
      out[i - head + k] = __float2bfloat16(__bfloat162float(x[i - head + k]) + __bfloat162float(r[i - head + k]));
      //           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ vectorization/packed-half
    }
    if (i + 8 <= n && ((size_t)(x + i) | (size_t)(r + i) | (size_t)(out + i)) % 16 == 0) {
      const uint4 x8 = *reinterpret_cast<const uint4*>(x + i);
      const __nv_bfloat162* x2 = reinterpret_cast<const __nv_bfloat162*>(&x8);
      const uint4 r8 = *reinterpret_cast<const uint4*>(r + i);
      const __nv_bfloat162* r2 = reinterpret_cast<const __nv_bfloat162*>(&r8);
      uint4 out8;
      __nv_bfloat162* out2 = reinterpret_cast<__nv_bfloat162*>(&out8);
      #pragma unroll
      for (int k = 0; k < 4; ++k) {
        const float2 xf = __bfloat1622float2(x2[k]);
        const float2 rf = __bfloat1622float2(r2[k]);
        out2[k] = __floats2bfloat162_rn(xf.x + rf.x, xf.y + rf.y);
      }
      *reinterpret_cast<uint4*>(out + i) = out8;
    } else {
      for (int k = 0; k < 8 && i + k < n; ++k) {
        out[i + k] = __float2bfloat16(__bfloat162float(x[i + k]) + __bfloat162float(r[i + k]));
        //           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ vectorization/packed-half
      }
    }
  }
}

// Per-row scale of a [rows, cols] fp16 matrix, one block per row.
__global__ void row_scale_half(const __half* __restrict__ x, const __half* __restrict__ scale,
//              ^^^^^^^^^^^^^^ vectorization/vector-memory-access
                               __half* __restrict__ y, int cols) {
  const __half s = scale[blockIdx.x];
  // Packed fp16: from x's first 16-byte boundary on, 8 elements per thread per step as 4 __half2 through 16-byte loads / stores; scalar loops take the elements before it, the tail and unaligned arrays.
  const int head = cols >= 8 ? (int)((16 - (size_t)(x + ((size_t)blockIdx.x * cols)) % 16) % 16 / 2) : 0;
  for (long long c = head + 8LL * threadIdx.x; c < cols; c += 8LL * blockDim.x) {
    const size_t i = (size_t)blockIdx.x * cols + c;
    if (c == head) for (int k = 0; k < head; ++k) {
      y[i - head + k] = __hmul(x[i - head + k], s);
      //         ^^^^^^^^^^^^^^^ vectorization/packed-half
    }
    if (c + 8 <= cols && ((size_t)(x + i) | (size_t)(y + i)) % 16 == 0) {
      const uint4 x8 = *reinterpret_cast<const uint4*>(x + i);
      const __half2* x2 = reinterpret_cast<const __half2*>(&x8);
      uint4 y8;
      __half2* y2 = reinterpret_cast<__half2*>(&y8);
      const __half2 s2 = __half2half2(s);
      #pragma unroll
      for (int k = 0; k < 4; ++k) y2[k] = __hmul2(x2[k], s2);
      *reinterpret_cast<uint4*>(y + i) = y8;
    } else {
      for (int k = 0; k < 8 && c + k < cols; ++k) {
        y[i + k] = __hmul(x[i + k], s);
        //         ^^^^^^^^^^^^^^^ vectorization/packed-half
      }
    }
  }
}

void launch_haxpby(const __half* x, __half* y, int n, cudaStream_t stream) {
  haxpby<<<((n + 255) / 256 + 7) / 8, 256, 0, stream>>>(x, y, __float2half(2.0f), __float2half(1.0f), n);
}

// A bf16 axpy that converts, computes and converts back per element.
__global__ void bf16_axpy(__nv_bfloat16* __restrict__ y, const __nv_bfloat16* __restrict__ x, float alpha, int n) {
//              ^^^^^^^^^ vectorization/vector-memory-access
  // Packed bf16: from y's first 16-byte boundary on, 8 elements per thread as 4 __nv_bfloat162 through 16-byte loads / stores; scalar loops take the elements before it, the tail and unaligned arrays.
  const int head = n >= 8 ? (int)((16 - (size_t)y % 16) % 16 / 2) : 0;
  const long long i = head + 8LL * (blockIdx.x * blockDim.x + threadIdx.x);
  if (i == head) for (int k = 0; k < head; ++k) y[i - head + k] = __float2bfloat16_rn(__bfloat162float(y[i - head + k]) + alpha * __bfloat162float(x[i - head + k]));
  if (i + 8 <= n && ((size_t)(y + i) | (size_t)(x + i)) % 16 == 0) {
    uint4 y8 = *reinterpret_cast<const uint4*>(y + i);
    __nv_bfloat162* y2 = reinterpret_cast<__nv_bfloat162*>(&y8);
    const uint4 x8 = *reinterpret_cast<const uint4*>(x + i);
    const __nv_bfloat162* x2 = reinterpret_cast<const __nv_bfloat162*>(&x8);
    #pragma unroll
    for (int k = 0; k < 4; ++k) {
      const float2 xf = __bfloat1622float2(x2[k]);
      const float2 yf = __bfloat1622float2(y2[k]);
      y2[k] = __floats2bfloat162_rn(yf.x + alpha * xf.x, yf.y + alpha * xf.y);
    }
    *reinterpret_cast<uint4*>(y + i) = y8;
  } else {
    for (int k = 0; k < 8 && i + k < n; ++k) y[i + k] = __float2bfloat16_rn(__bfloat162float(y[i + k]) + alpha * __bfloat162float(x[i + k]));
  }
//                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ vectorization/packed-half
}

// One __hmul per element on gradients that leave as fp32 (a loss-scaled fp16 grad to its fp32 master): a
// conversion pass bound by its memory, quiet here (its wide loads are vector-memory-access's). The same multiply
// with an fp16 result stored back pairs into __hmul2: reported.
__global__ void grads_to_master(const __half* __restrict__ g, float* __restrict__ master, __half inv_scale, long n) {
//              ^^^^^^^^^^^^^^^ vectorization/vector-memory-access
  long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) master[i] = __half2float(__hmul(g[i], inv_scale));
}

__global__ void unscale_half(const __half* __restrict__ g, __half* __restrict__ out, __half inv_scale, long n) {
//              ^^^^^^^^^^^^ vectorization/vector-memory-access
  // Packed fp16: from g's first 16-byte boundary on, 8 elements per thread as 4 __half2 through 16-byte loads / stores; scalar loops take the elements before it, the tail and unaligned arrays.
  const int head = n >= 8 ? (int)((16 - (size_t)g % 16) % 16 / 2) : 0;
  long i = head + 8LL * ((long)blockIdx.x * blockDim.x + threadIdx.x);
  if (i == head) for (int k = 0; k < head; ++k) out[i - head + k] = __hmul(g[i - head + k], inv_scale);
  if (i + 8 <= n && ((size_t)(g + i) | (size_t)(out + i)) % 16 == 0) {
    const uint4 g8 = *reinterpret_cast<const uint4*>(g + i);
    const __half2* g2 = reinterpret_cast<const __half2*>(&g8);
    uint4 out8;
    __half2* out2 = reinterpret_cast<__half2*>(&out8);
    const __half2 inv_scale2 = __half2half2(inv_scale);
    #pragma unroll
    for (int k = 0; k < 4; ++k) out2[k] = __hmul2(g2[k], inv_scale2);
    *reinterpret_cast<uint4*>(out + i) = out8;
  } else {
    for (int k = 0; k < 8 && i + k < n; ++k) out[i + k] = __hmul(g[i + k], inv_scale);
  }
//                    ^^^^^^^^^^^^^^^^^^^^^^^ vectorization/packed-half
}
