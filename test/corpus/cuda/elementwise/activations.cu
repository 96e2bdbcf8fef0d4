// GELU / SiLU / scale kernels. The vectorized variants assume the buffers come
// from cudaMalloc (256-byte aligned) and handle the ragged end with a scalar tail.
#include "common.cuh"

struct alignas(16) Vec4f {
  float v[4];
};

__global__ void gelu_f32_kernel(const float *__restrict__ x, float *__restrict__ y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    y[i] = gelu_tanh_f32(x[i]);
  }
}

// Grid-stride loop over float4 chunks, then a scalar tail for n % 4.
__global__ void gelu_f32_vec_kernel(const float *__restrict__ x, float *__restrict__ y, int n) {
  const int nthreads = blockDim.x * gridDim.x;
  int i = 4 * (blockIdx.x * blockDim.x + threadIdx.x);
  for (; i + 3 < n; i += 4 * nthreads) {
    float4 in = *(const float4 *)(x + i);
    float4 out;
    out.x = gelu_tanh_f32(in.x);
    out.y = gelu_tanh_f32(in.y);
    out.z = gelu_tanh_f32(in.z);
    out.w = gelu_tanh_f32(in.w);
    *(float4 *)(y + i) = out;
  }
  // tail: at most 3 elements, handled by the first threads of the grid
  int tail = (n / 4) * 4 + blockIdx.x * blockDim.x + threadIdx.x;
  for (; tail < n; tail += nthreads) {
    y[tail] = gelu_tanh_f32(x[tail]);
  }
}

// SiLU through the read-only path with 128-bit loads.
__global__ void silu_f32x4_ldg_kernel(const float *__restrict__ x, float *__restrict__ y, int n4) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n4) {
    float4 in = __ldg(reinterpret_cast<const float4 *>(x) + i);
    float4 out;
    out.x = in.x * sigmoid_f32(in.x);
    out.y = in.y * sigmoid_f32(in.y);
    out.z = in.z * sigmoid_f32(in.z);
    out.w = in.w * sigmoid_f32(in.w);
    reinterpret_cast<float4 *>(y)[i] = out;
  }
}

// Scaled copy using an aligned 16-byte struct as the transfer unit.
__global__ void scale_vec4_struct_kernel(const Vec4f *__restrict__ in, Vec4f *__restrict__ out,
                                         float alpha, int n4) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n4) {
    Vec4f r = in[i];
#pragma unroll
    for (int k = 0; k < 4; ++k) r.v[k] *= alpha;
    out[i] = r;
  }
}

// SiLU on bf16 with scalar conversions: one 2-byte load and store per thread.
__global__ void silu_bf16_kernel(const __nv_bfloat16 *x, __nv_bfloat16 *y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    __nv_bfloat16 v = x[i];
    __nv_bfloat16 s = __float2bfloat16(sigmoid_f32(__bfloat162float(v)));
    y[i] = __hmul(v, s);
  }
}

// Same op two elements at a time.
__global__ void silu_bf16x2_kernel(const __nv_bfloat16 *x, __nv_bfloat16 *y, int n) {
  int i = 2 * (blockIdx.x * blockDim.x + threadIdx.x);
  if (i + 1 < n) {
    __nv_bfloat162 v = *reinterpret_cast<const __nv_bfloat162 *>(x + i);
    float2 f = __bfloat1622float2(v);
    __nv_bfloat162 s = __floats2bfloat162_rn(sigmoid_f32(f.x), sigmoid_f32(f.y));
    *reinterpret_cast<__nv_bfloat162 *>(y + i) = __hmul2(v, s);
  } else if (i < n) {
    y[i] = __float2bfloat16(__bfloat162float(x[i]) * sigmoid_f32(__bfloat162float(x[i])));
  }
}

// Host: y = gelu(x) * alpha, two launches chained through y.
void gelu_scale_forward(const float *x, float *y, float alpha, int n, cudaStream_t s) {
  const int threads = 256;
  gelu_f32_kernel<<<div_up(n, threads), threads, 0, s>>>(x, y, n);
  scale_vec4_struct_kernel<<<div_up(n / 4, threads), threads, 0, s>>>(
      reinterpret_cast<const Vec4f *>(y), reinterpret_cast<Vec4f *>(y), alpha, n / 4);
}

void activation_forward(const float *x, float *y, int n, bool use_silu, cudaStream_t s) {
  const int threads = 256;
  if (use_silu && n % 4 == 0) {
    silu_f32x4_ldg_kernel<<<div_up(n / 4, threads), threads, 0, s>>>(x, y, n / 4);
  } else {
    gelu_f32_vec_kernel<<<div_up(n / 4, threads), threads, 0, s>>>(x, y, n);
  }
}
