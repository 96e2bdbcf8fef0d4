// Shared by the GPU benchmark harnesses (bench/gpu/<pair>/main.cu): random inputs,
// output checks, CUDA-event timing and one JSON line per measured variant.
#pragma once
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <vector>
#include <algorithm>
#include <functional>
#include <string>

#define CHECK(call)                                                                     \
  do {                                                                                  \
    cudaError_t err_ = (call);                                                          \
    if (err_ != cudaSuccess) {                                                          \
      std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, cudaGetErrorString(err_)); \
      std::exit(1);                                                                     \
    }                                                                                   \
  } while (0)

namespace bench {

constexpr int WARMUP = 3;
constexpr int RUNS = 21;

// A counter-based hash: the same pseudo-random inputs on every run, in [-1, 1).
__device__ __host__ inline float hash_unit(uint64_t i, uint32_t seed) {
  uint64_t x = i * 0x9E3779B97F4A7C15ull + seed * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 31; x *= 0x94D049BB133111EBull; x ^= x >> 29;
  return (float)((x >> 40) & 0xFFFFFF) / 8388608.0f - 1.0f;
}
__global__ void fill_float(float* p, size_t n, uint32_t seed) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) p[i] = hash_unit(i, seed);
}
__global__ void fill_half(__half* p, size_t n, uint32_t seed) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) p[i] = __float2half(hash_unit(i, seed));
}
inline float* random_floats(size_t n, uint32_t seed) {
  float* p; CHECK(cudaMalloc(&p, n * sizeof(float)));
  fill_float<<<1024, 256>>>(p, n, seed); CHECK(cudaGetLastError());
  return p;
}
inline __half* random_halves(size_t n, uint32_t seed) {
  __half* p; CHECK(cudaMalloc(&p, n * sizeof(__half)));
  fill_half<<<1024, 256>>>(p, n, seed); CHECK(cudaGetLastError());
  return p;
}
template <typename T> T* zeros(size_t n) {
  T* p; CHECK(cudaMalloc(&p, n * sizeof(T))); CHECK(cudaMemset(p, 0, n * sizeof(T)));
  return p;
}

// Median time of `fn` in ms: CUDA events around each run, after warm-up runs.
inline double median_ms(const std::function<void()>& fn) {
  cudaEvent_t a, b; CHECK(cudaEventCreate(&a)); CHECK(cudaEventCreate(&b));
  for (int i = 0; i < WARMUP; i++) fn();
  CHECK(cudaDeviceSynchronize()); CHECK(cudaGetLastError());
  std::vector<float> ms;
  for (int i = 0; i < RUNS; i++) {
    CHECK(cudaEventRecord(a)); fn(); CHECK(cudaEventRecord(b)); CHECK(cudaEventSynchronize(b));
    float t; CHECK(cudaEventElapsedTime(&t, a, b)); ms.push_back(t);
  }
  CHECK(cudaGetLastError());
  std::sort(ms.begin(), ms.end());
  CHECK(cudaEventDestroy(a)); CHECK(cudaEventDestroy(b));
  return ms[ms.size() / 2];
}

inline std::vector<float> to_host(const float* d, size_t n) {
  std::vector<float> h(n); CHECK(cudaMemcpy(h.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost)); return h;
}
inline std::vector<float> to_host(const __half* d, size_t n) {
  std::vector<__half> h(n); CHECK(cudaMemcpy(h.data(), d, n * sizeof(__half), cudaMemcpyDeviceToHost));
  std::vector<float> f(n); for (size_t i = 0; i < n; i++) f[i] = __half2float(h[i]); return f;
}

// Largest error of `got` against `want`, relative to max(|want|, 1): the check's tolerance is stated with each pair.
inline double max_rel_error(const std::vector<float>& want, const std::vector<float>& got) {
  double worst = 0;
  for (size_t i = 0; i < want.size(); i++) {
    double e = std::fabs((double)want[i] - got[i]) / std::max(1.0, std::fabs((double)want[i]));
    if (!(e <= worst)) worst = std::isnan(e) ? INFINITY : e;
  }
  return worst;
}

// Device-to-device copy bandwidth (bytes read + written per second) over `bytes`: the memory ceiling.
inline double copy_gbs(size_t bytes) {
  char *a, *b; CHECK(cudaMalloc(&a, bytes)); CHECK(cudaMalloc(&b, bytes));
  double ms = median_ms([&] { CHECK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice)); });
  CHECK(cudaFree(a)); CHECK(cudaFree(b));
  return 2.0 * bytes / ms / 1e6;
}

// One JSON line per measured variant (collected by bench/gpu/run.sh).
inline void report(const char* pair, const char* variant, double ms, const char* unit, double value, double ceiling, double err, double tol) {
  std::printf("{\"pair\":\"%s\",\"variant\":\"%s\",\"ms\":%.4f,\"unit\":\"%s\",\"value\":%.2f,\"ceiling\":%.2f,\"of_ceiling\":%.4f,\"max_rel_error\":%.3g,\"tolerance\":%.3g,\"ok\":%s}\n",
              pair, variant, ms, unit, value, ceiling, value / ceiling, err, tol, err <= tol ? "true" : "false");
  std::fflush(stdout);
}

}  // namespace bench

namespace bench {

struct Variant {
  const char* name;
  std::function<void()> run;
};

struct Work {
  const char* unit;  // "GB/s" or "TFLOP/s"
  double amount;     // bytes moved or floating-point operations per run
  double per_unit;   // 1e9 for GB/s, 1e12 for TFLOP/s
  double ceiling;    // the same unit, measured in the same run
};

// Runs every variant once on the same inputs, checks its output against the first
// variant's (the "before" kernel), then times it; one JSON line each.
inline void compare_and_time(const char* pair, const std::vector<Variant>& variants, const std::function<void()>& clear,
                             const std::function<std::vector<float>()>& output, double tol, Work w) {
  std::vector<float> want;
  for (size_t v = 0; v < variants.size(); v++) {
    clear();
    variants[v].run();
    CHECK(cudaDeviceSynchronize());
    CHECK(cudaGetLastError());
    std::vector<float> got = output();
    if (v == 0) want = got;
    double err = v == 0 ? 0 : max_rel_error(want, got);
    double ms = median_ms(variants[v].run);
    report(pair, variants[v].name, ms, w.unit, w.amount / (ms * 1e-3) / w.per_unit, w.ceiling, err, tol);
  }
}

}  // namespace bench
