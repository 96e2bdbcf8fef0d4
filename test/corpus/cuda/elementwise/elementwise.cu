// Elementwise add / relu kernels in the usual f32, f32x4, f16, f16x2, f16x8
// flavours, with the host launchers used by the benchmark driver.
#include "common.cuh"

// ---------------------------------------------------------------------------
// FP32
// ---------------------------------------------------------------------------

// a: N, b: N, c: N. grid(N/256), block(256)
__global__ void elementwise_add_f32_kernel(float *a, float *b, float *c, int N) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < N) c[idx] = a[idx] + b[idx];
}

// grid(N/256/4), block(256). Each thread handles 4 consecutive floats.
__global__ void elementwise_add_f32x4_kernel(float *a, float *b, float *c, int N) {
  int idx = 4 * (blockIdx.x * blockDim.x + threadIdx.x);
  if (idx < N) {
    float4 reg_a = FLOAT4(a[idx]);
    float4 reg_b = FLOAT4(b[idx]);
    float4 reg_c;
    reg_c.x = reg_a.x + reg_b.x;
    reg_c.y = reg_a.y + reg_b.y;
    reg_c.z = reg_a.z + reg_b.z;
    reg_c.w = reg_a.w + reg_b.w;
    FLOAT4(c[idx]) = reg_c;
  }
}

__global__ void relu_f32_kernel(float *x, float *y, int N) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < N) y[idx] = fmaxf(0.0f, x[idx]);
}

__global__ void relu_f32x4_kernel(float *x, float *y, int N) {
  int idx = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (idx < N) {
    float4 reg_x = FLOAT4(x[idx]);
    float4 reg_y;
    reg_y.x = fmaxf(0.0f, reg_x.x);
    reg_y.y = fmaxf(0.0f, reg_x.y);
    reg_y.z = fmaxf(0.0f, reg_x.z);
    reg_y.w = fmaxf(0.0f, reg_x.w);
    FLOAT4(y[idx]) = reg_y;
  }
}

// ---------------------------------------------------------------------------
// FP16
// ---------------------------------------------------------------------------

__global__ void elementwise_add_f16_kernel(half *a, half *b, half *c, int N) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < N) c[idx] = __hadd(a[idx], b[idx]);
}

__global__ void elementwise_add_f16x2_kernel(half *a, half *b, half *c, int N) {
  int idx = 2 * (blockIdx.x * blockDim.x + threadIdx.x);
  if (idx < N) {
    half2 reg_a = HALF2(a[idx]);
    half2 reg_b = HALF2(b[idx]);
    half2 reg_c = __hadd2(reg_a, reg_b);
    HALF2(c[idx]) = reg_c;
  }
}

// 8 halves (128 bits) per thread; the last partial pack falls back to scalars.
__global__ void elementwise_add_f16x8_pack_kernel(half *a, half *b, half *c, int N) {
  int idx = 8 * (blockIdx.x * blockDim.x + threadIdx.x);
  half pack_a[8], pack_b[8], pack_c[8];
  if ((idx + 7) < N) {
    LDST128BITS(pack_a[0]) = LDST128BITS(a[idx]);
    LDST128BITS(pack_b[0]) = LDST128BITS(b[idx]);
#pragma unroll
    for (int i = 0; i < 8; i += 2) {
      HALF2(pack_c[i]) = __hadd2(HALF2(pack_a[i]), HALF2(pack_b[i]));
    }
    LDST128BITS(c[idx]) = LDST128BITS(pack_c[0]);
  } else {
    for (int i = 0; idx + i < N; i++) {
      c[idx + i] = __hadd(a[idx + i], b[idx + i]);
    }
  }
}

__global__ void sigmoid_f16_kernel(half *x, half *y, int N) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  const half one = __float2half(1.0f);
  if (idx < N) {
    half v = x[idx];
    y[idx] = __hdiv(one, __hadd(one, hexp(__hneg(v))));
  }
}

__global__ void sigmoid_f16x2_kernel(half *x, half *y, int N) {
  int idx = 2 * (blockIdx.x * blockDim.x + threadIdx.x);
  const half2 one = __float2half2_rn(1.0f);
  if (idx < N) {
    half2 v = HALF2(x[idx]);
    HALF2(y[idx]) = __h2div(one, __hadd2(one, h2exp(__hneg2(v))));
  }
}

// ---------------------------------------------------------------------------
// Host launchers
// ---------------------------------------------------------------------------

void launch_add_f32(float *a, float *b, float *c, int N, cudaStream_t stream) {
  const int threads = 256;
  elementwise_add_f32_kernel<<<div_up(N, threads), threads, 0, stream>>>(a, b, c, N);
}

void launch_add_f32x4(float *a, float *b, float *c, int N, cudaStream_t stream) {
  const int threads = 256;
  elementwise_add_f32x4_kernel<<<div_up(N / 4, threads), threads, 0, stream>>>(a, b, c, N);
}

// out = relu(a + b) done as two launches through the tmp buffer.
void add_relu_f32(float *a, float *b, float *tmp, float *out, int N, cudaStream_t stream) {
  const int threads = 256;
  const int blocks = div_up(N, threads);
  elementwise_add_f32_kernel<<<blocks, threads, 0, stream>>>(a, b, tmp, N);
  relu_f32_kernel<<<blocks, threads, 0, stream>>>(tmp, out, N);
}

// Same pair in half precision, but the intermediate sum is copied back to the
// host for checking, so it has to exist in global memory.
void add_sigmoid_f16_debug(half *a, half *b, half *sum, half *out, half *h_sum, int N) {
  const int threads = 256;
  const int blocks = div_up(N / 2, threads);
  elementwise_add_f16x2_kernel<<<blocks, threads>>>(a, b, sum, N);
  CHECK_CUDA(cudaMemcpy(h_sum, sum, N * sizeof(half), cudaMemcpyDeviceToHost));
  sigmoid_f16x2_kernel<<<blocks, threads>>>(sum, out, N);
}
