// scale -> bias+ReLU where each kernel already moves float4 (buffers allocated as float4):
// vectorizing did not remove the DRAM round trip of d_t, so fusion/elementwise-chain still fires
// on the second launch, and vector-memory-access stays quiet.
#include <cuda_runtime.h>

__global__ void scale4(const float4* __restrict__ x, float4* __restrict__ t, float a, int n4) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n4) {
    float4 v = x[i];
    v.x *= a; v.y *= a; v.z *= a; v.w *= a;
    t[i] = v;
  }
}

__global__ void bias_relu4(const float4* __restrict__ t, float4* __restrict__ y, float b, int n4) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n4) {
    const float4 v = t[i];
    y[i] = make_float4(fmaxf(v.x + b, 0.f), fmaxf(v.y + b, 0.f), fmaxf(v.z + b, 0.f),
                       fmaxf(v.w + b, 0.f));
  }
}

// scale4 and bias_relu4 in one pass: element i stays in registers between them (d_t still written, not read back)
__global__ void scale4_bias_relu4_fused(const float4* d_x, float4* __restrict__ d_t, float4* d_y,
                                        float a, float b, int n4) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n4) {
    // scale4
    float4 v = d_x[i];
    v.x *= a;
    v.y *= a;
    v.z *= a;
    v.w *= a;
    const float4 t = v;
    d_t[i] = t;
    // bias_relu4
    const float4 v2 = t;
    d_y[i] = make_float4(fmaxf(v2.x + b, 0.f), fmaxf(v2.y + b, 0.f), fmaxf(v2.z + b, 0.f),
                       fmaxf(v2.w + b, 0.f));
  }
}

void forward(const float4* d_x, float4* d_t, float4* d_y, float a, float b, int n4,
             cudaStream_t stream) {
  const int threads = 256;
  const int blocks = (n4 + threads - 1) / threads;
  scale4_bias_relu4_fused<<<blocks, threads, 0, stream>>>(d_x, d_t, d_y, a, b, n4);
//^^^^^^^^^^ fusion/elementwise-chain
}
