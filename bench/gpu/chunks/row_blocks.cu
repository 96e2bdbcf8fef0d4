// A block per row whose threads each take one element of the row (blockDim = the row length,
// `<<<rows, n>>>`), with a block reduction between two passes (a softmax backward: tot = sum(g*p),
// then dx = p * (g - tot)), against the same with float4 and a quarter of the threads. Does the
// block reduction hide what 16-byte accesses save? Rows of 128 and 1024 floats, 2^26 elements.
//   nvcc -O3 -arch=sm_90 -std=c++17 -o /tmp/row_blocks bench/gpu/chunks/row_blocks.cu && /tmp/row_blocks
#include "timing.cuh"

__device__ float block_sum(float v, float* s) {
  for (int o = 16; o; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
  if ((threadIdx.x & 31) == 0) s[threadIdx.x >> 5] = v;
  __syncthreads();
  v = threadIdx.x < (blockDim.x + 31) / 32 ? s[threadIdx.x] : 0.f;
  if (threadIdx.x < 32) for (int o = 16; o; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
  if (threadIdx.x == 0) s[0] = v;
  __syncthreads();
  return s[0];
}
__global__ void softmax_bwd(const float* g, const float* p, float* dx, int n) {
  __shared__ float s[32];
  const size_t off = (size_t)blockIdx.x * n;
  float acc = 0.f;
  for (int t = threadIdx.x; t < n; t += blockDim.x) acc += g[off + t] * p[off + t];
  const float tot = block_sum(acc, s);
  for (int t = threadIdx.x; t < n; t += blockDim.x) dx[off + t] = p[off + t] * (g[off + t] - tot);
}
__global__ void softmax_bwd_float4(const float* g, const float* p, float* dx, int n) {
  __shared__ float s[32];
  const size_t off = (size_t)blockIdx.x * n;
  const float4* g4 = reinterpret_cast<const float4*>(g + off);
  const float4* p4 = reinterpret_cast<const float4*>(p + off);
  float acc = 0.f;
  for (int t = threadIdx.x; t < n / 4; t += blockDim.x) {
    const float4 a = g4[t], b = p4[t];
    acc += a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w;
  }
  const float tot = block_sum(acc, s);
  float4* d4 = reinterpret_cast<float4*>(dx + off);
  for (int t = threadIdx.x; t < n / 4; t += blockDim.x) {
    const float4 a = g4[t], b = p4[t];
    d4[t] = make_float4(b.x * (a.x - tot), b.y * (a.y - tot), b.z * (a.z - tot), b.w * (a.w - tot));
  }
}

int main() {
  const int total = 1 << 26;
  float* buf;
  CHECK(cudaMalloc(&buf, sizeof(float) * (size_t)total * 3));
  CHECK(cudaMemset(buf, 0, sizeof(float) * (size_t)total * 3));
  float *g = buf, *p = buf + total, *dx = buf + 2 * (size_t)total;
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("{\"device\":\"%s\",\"elements\":%d}\n", prop.name, total);
  for (int n : {128, 1024}) {
    const int rows = total / n;
    const float scalar = per_launch_us([&] { softmax_bwd<<<rows, n>>>(g, p, dx, n); });
    const float vec = per_launch_us([&] { softmax_bwd_float4<<<rows, n / 4>>>(g, p, dx, n); });
    std::printf("{\"row\":%d,\"threads\":\"n vs n/4\",\"scalar_us\":%.2f,\"float4_us\":%.2f,\"speedup\":%.2f}\n", n, scalar, vec, scalar / vec);
  }
  return 0;
}
