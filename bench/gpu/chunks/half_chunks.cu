// A thread's own 8 consecutive halves (16 bytes), moved as four 4-byte `half2` pieces or as one 16-byte `uint4`:
// does the order of the pieces' loads and stores, or `__restrict__`, decide what the wide access buys?
// (narrow_streams.cu measured the interleaved form, load-load-store per pair, at the speed of one scalar `half` a
// thread, 1.61x slower than `uint4`.) Variants, fp16 c = a + b over 2^26 halves:
//   interleaved: per pair, load a and b, store c (no __restrict__: each load waits for the store before it)
//   loads_first: all 4 pairs of loads, then the 4 stores (LeetCUDA's f16x8 kernels)
//   interleaved_restrict: as interleaved, with __restrict__ pointers
//   uint4: one 16-byte load of each input, one 16-byte store
// and the same for fp32, a thread's own 4 floats as 4 scalars (loads first) against one float4.
//   nvcc -O3 -arch=sm_90 -std=c++17 -o /tmp/half_chunks bench/gpu/chunks/half_chunks.cu && /tmp/half_chunks
#include "timing.cuh"
#include <cuda_fp16.h>
#include <cmath>

__global__ void interleaved(__half* c, const __half* a, const __half* b, int n) {
  int i = 8 * (blockIdx.x * blockDim.x + threadIdx.x);
  if (i + 7 < n) {
#pragma unroll
    for (int k = 0; k < 8; k += 2) {
      __half2 x = *reinterpret_cast<const __half2*>(a + i + k);
      __half2 y = *reinterpret_cast<const __half2*>(b + i + k);
      *reinterpret_cast<__half2*>(c + i + k) = __hadd2(x, y);
    }
  }
}

__global__ void interleaved_restrict(__half* __restrict__ c, const __half* __restrict__ a, const __half* __restrict__ b, int n) {
  int i = 8 * (blockIdx.x * blockDim.x + threadIdx.x);
  if (i + 7 < n) {
#pragma unroll
    for (int k = 0; k < 8; k += 2) {
      __half2 x = *reinterpret_cast<const __half2*>(a + i + k);
      __half2 y = *reinterpret_cast<const __half2*>(b + i + k);
      *reinterpret_cast<__half2*>(c + i + k) = __hadd2(x, y);
    }
  }
}

__global__ void loads_first(__half* c, const __half* a, const __half* b, int n) {
  int i = 8 * (blockIdx.x * blockDim.x + threadIdx.x);
  if (i + 7 < n) {
    __half2 x0 = *reinterpret_cast<const __half2*>(a + i + 0), y0 = *reinterpret_cast<const __half2*>(b + i + 0);
    __half2 x1 = *reinterpret_cast<const __half2*>(a + i + 2), y1 = *reinterpret_cast<const __half2*>(b + i + 2);
    __half2 x2 = *reinterpret_cast<const __half2*>(a + i + 4), y2 = *reinterpret_cast<const __half2*>(b + i + 4);
    __half2 x3 = *reinterpret_cast<const __half2*>(a + i + 6), y3 = *reinterpret_cast<const __half2*>(b + i + 6);
    *reinterpret_cast<__half2*>(c + i + 0) = __hadd2(x0, y0);
    *reinterpret_cast<__half2*>(c + i + 2) = __hadd2(x1, y1);
    *reinterpret_cast<__half2*>(c + i + 4) = __hadd2(x2, y2);
    *reinterpret_cast<__half2*>(c + i + 6) = __hadd2(x3, y3);
  }
}

__global__ void wide(__half* c, const __half* a, const __half* b, int n) {
  int i = 8 * (blockIdx.x * blockDim.x + threadIdx.x);
  if (i + 7 < n) {
    uint4 x = *reinterpret_cast<const uint4*>(a + i);
    uint4 y = *reinterpret_cast<const uint4*>(b + i);
    uint4 z;
    const __half2* xs = reinterpret_cast<const __half2*>(&x);
    const __half2* ys = reinterpret_cast<const __half2*>(&y);
    __half2* zs = reinterpret_cast<__half2*>(&z);
#pragma unroll
    for (int k = 0; k < 4; ++k) zs[k] = __hadd2(xs[k], ys[k]);
    *reinterpret_cast<uint4*>(c + i) = z;
  }
}

__global__ void float_scalars(float* c, const float* a, const float* b, int n) {
  int i = 4 * (blockIdx.x * blockDim.x + threadIdx.x);
  if (i + 3 < n) {
    float x0 = a[i], x1 = a[i + 1], x2 = a[i + 2], x3 = a[i + 3];
    float y0 = b[i], y1 = b[i + 1], y2 = b[i + 2], y3 = b[i + 3];
    c[i] = x0 + y0; c[i + 1] = x1 + y1; c[i + 2] = x2 + y2; c[i + 3] = x3 + y3;
  }
}

__global__ void float_vec(float* c, const float* a, const float* b, int n) {
  int i = 4 * (blockIdx.x * blockDim.x + threadIdx.x);
  if (i + 3 < n) {
    float4 x = *reinterpret_cast<const float4*>(a + i), y = *reinterpret_cast<const float4*>(b + i);
    *reinterpret_cast<float4*>(c + i) = make_float4(x.x + y.x, x.y + y.y, x.z + y.z, x.w + y.w);
  }
}

int main() {
  cudaDeviceProp p;
  CHECK(cudaGetDeviceProperties(&p, 0));
  const int n = 1 << 26, T = 256;
  __half *a, *b, *c;
  CHECK(cudaMalloc(&a, n * 2));
  CHECK(cudaMalloc(&b, n * 2));
  CHECK(cudaMalloc(&c, n * 2));
  std::vector<__half> h(n), ref(n), got(n);
  for (int i = 0; i < n; ++i) h[i] = __float2half(float((i * 2654435761u) % 1000) / 1000.f);
  CHECK(cudaMemcpy(a, h.data(), n * 2, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(b, h.data(), n * 2, cudaMemcpyHostToDevice));
  float t_wide = per_launch_us([&] { wide<<<n / 8 / T, T>>>(c, a, b, n); });
  CHECK(cudaMemcpy(ref.data(), c, n * 2, cudaMemcpyDeviceToHost));
  auto check = [&] { CHECK(cudaMemcpy(got.data(), c, n * 2, cudaMemcpyDeviceToHost)); double e = 0; for (int i = 0; i < n; i += 4099) e = std::fmax(e, std::fabs(__half2float(got[i]) - __half2float(ref[i]))); CHECK(cudaMemset(c, 0, n * 2)); return e; };
  CHECK(cudaMemset(c, 0, n * 2));
  float t_int = per_launch_us([&] { interleaved<<<n / 8 / T, T>>>(c, a, b, n); });
  double e1 = check();
  float t_res = per_launch_us([&] { interleaved_restrict<<<n / 8 / T, T>>>(c, a, b, n); });
  double e2 = check();
  float t_first = per_launch_us([&] { loads_first<<<n / 8 / T, T>>>(c, a, b, n); });
  double e3 = check();
  std::printf("{\"gpu\":\"%s\",\"case\":\"half_chunks\",\"elements\":%d,\"uint4_us\":%.1f,\"interleaved_us\":%.1f,\"interleaved_restrict_us\":%.1f,\"loads_first_us\":%.1f,"
              "\"uint4_vs_interleaved\":%.3f,\"uint4_vs_restrict\":%.3f,\"uint4_vs_loads_first\":%.3f,\"max_err\":%.2e}\n",
              p.name, n, t_wide, t_int, t_res, t_first, t_int / t_wide, t_res / t_wide, t_first / t_wide, std::fmax(e1, std::fmax(e2, e3)));
  float *fa, *fb, *fc;
  CHECK(cudaMalloc(&fa, n * 4));
  CHECK(cudaMalloc(&fb, n * 4));
  CHECK(cudaMalloc(&fc, n * 4));
  std::vector<float> hf(n), fr(n), fg(n);
  for (int i = 0; i < n; ++i) hf[i] = float((i * 2654435761u) % 1000) / 1000.f;
  CHECK(cudaMemcpy(fa, hf.data(), n * 4, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(fb, hf.data(), n * 4, cudaMemcpyHostToDevice));
  float t_fv = per_launch_us([&] { float_vec<<<n / 4 / T, T>>>(fc, fa, fb, n); });
  CHECK(cudaMemcpy(fr.data(), fc, n * 4, cudaMemcpyDeviceToHost));
  CHECK(cudaMemset(fc, 0, n * 4));
  float t_fs = per_launch_us([&] { float_scalars<<<n / 4 / T, T>>>(fc, fa, fb, n); });
  CHECK(cudaMemcpy(fg.data(), fc, n * 4, cudaMemcpyDeviceToHost));
  double ef = 0;
  for (int i = 0; i < n; i += 4099) ef = std::fmax(ef, std::fabs(fg[i] - fr[i]));
  std::printf("{\"gpu\":\"%s\",\"case\":\"float_chunks\",\"elements\":%d,\"float4_us\":%.1f,\"scalars_loads_first_us\":%.1f,\"float4_vs_scalars\":%.3f,\"max_err\":%.2e}\n",
              p.name, n, t_fv, t_fs, t_fs / t_fv, ef);
  return 0;
}
