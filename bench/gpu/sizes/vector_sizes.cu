// How large must an elementwise fp32 stream be before 16-byte accesses pay? `y = 2*x` scalar
// (one float per thread) against float4 (four per thread), over sizes from 2^12 to 2^28
// elements, each timed as a training loop runs it: many launches back to back on one stream
// (CUDA events around 200 launches, median of 7 such runs, after warm-ups). Small inputs stay
// in L2 and are launch-bound; the size where float4 starts to win is vectorization's
// "small problem" bound (server/src/rules/vectorization/vector-memory-access/rule.ts).
//   nvcc -O3 -arch=sm_90 -std=c++17 -o /tmp/vector_sizes vector_sizes.cu && /tmp/vector_sizes
#include <cuda_runtime.h>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <algorithm>

#define CHECK(call) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) { std::fprintf(stderr, "%s\n", cudaGetErrorString(e_)); std::exit(1); } } while (0)

__global__ void scale_scalar(float* __restrict__ y, const float* __restrict__ x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = 2.0f * x[i];
}

__global__ void scale_float4(float* __restrict__ y, const float* __restrict__ x, int n) {
  int i = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (i + 3 < n) {
    float4 v = *reinterpret_cast<const float4*>(x + i);
    *reinterpret_cast<float4*>(y + i) = make_float4(2.0f * v.x, 2.0f * v.y, 2.0f * v.z, 2.0f * v.w);
  } else {
    for (; i < n; ++i) y[i] = 2.0f * x[i];
  }
}

template <typename Launch>
static float per_launch_us(Launch launch, int launches) {
  cudaEvent_t a, b;
  CHECK(cudaEventCreate(&a));
  CHECK(cudaEventCreate(&b));
  for (int w = 0; w < 20; ++w) launch();
  std::vector<float> runs;
  for (int r = 0; r < 7; ++r) {
    CHECK(cudaEventRecord(a));
    for (int l = 0; l < launches; ++l) launch();
    CHECK(cudaEventRecord(b));
    CHECK(cudaEventSynchronize(b));
    float ms = 0;
    CHECK(cudaEventElapsedTime(&ms, a, b));
    runs.push_back(1000.0f * ms / launches);
  }
  std::sort(runs.begin(), runs.end());
  CHECK(cudaEventDestroy(a));
  CHECK(cudaEventDestroy(b));
  return runs[runs.size() / 2];
}

int main() {
  const int max_log = 28;
  float *x, *y;
  CHECK(cudaMalloc(&x, sizeof(float) << max_log));
  CHECK(cudaMalloc(&y, sizeof(float) << max_log));
  CHECK(cudaMemset(x, 0, sizeof(float) << max_log));
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("{\"gpu\":\"%s\",\"l2_bytes\":%d}\n", prop.name, prop.l2CacheSize);
  const int block = 256;
  for (int lg = 12; lg <= max_log; lg += 1) {
    const int n = 1 << lg;
    const int launches = lg <= 22 ? 200 : lg <= 25 ? 50 : 10;
    float scalar = per_launch_us([&] { scale_scalar<<<(n + block - 1) / block, block>>>(y, x, n); }, launches);
    float vec = per_launch_us([&] { scale_float4<<<(n / 4 + block - 1) / block, block>>>(y, x, n); }, launches);
    CHECK(cudaGetLastError());
    std::printf("{\"log2_n\":%d,\"n\":%d,\"bytes\":%lld,\"scalar_us\":%.3f,\"float4_us\":%.3f,\"speedup\":%.3f}\n", lg, n,
                (long long)n * 8, scalar, vec, scalar / vec);
  }
  return 0;
}
