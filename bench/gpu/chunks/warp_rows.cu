// A layernorm with a warp per row (8 rows per 256-thread block), rows of C floats, 2^26 floats in all: three
// sweeps of the row from global memory (mean, variance, normalize) against one statistics sweep (sum and sum of
// squares) then the normalize sweep. Does a warp's row stay in L1 between its sweeps, and up to which length?
// (The multi-pass rule's bound for a block per row is 32 KB of row; a block holds 8 warp rows at a time here.)
//   nvcc -O3 -arch=sm_90 -std=c++17 -o /tmp/warp_rows bench/gpu/chunks/warp_rows.cu && /tmp/warp_rows
#include "timing.cuh"
#include <cmath>

__device__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
  return v;
}

__global__ void three_sweeps(float* out, const float* in, const float* w, const float* b, int rows, int C) {
  int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (row >= rows) return;
  const float* x = in + (size_t)row * C;
  float s = 0.f;
  for (int i = lane; i < C; i += 32) s += x[i];
  float m = warp_sum(s) / C;
  float v = 0.f;
  for (int i = lane; i < C; i += 32) { float d = x[i] - m; v += d * d; }
  float r = rsqrtf(warp_sum(v) / C + 1e-5f);
  for (int i = lane; i < C; i += 32) out[(size_t)row * C + i] = (x[i] - m) * r * w[i] + b[i];
}

__global__ void two_sweeps(float* out, const float* in, const float* w, const float* b, int rows, int C) {
  int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (row >= rows) return;
  const float* x = in + (size_t)row * C;
  float s = 0.f, q = 0.f;
  for (int i = lane; i < C; i += 32) { float e = x[i]; s += e; q += e * e; }
  float m = warp_sum(s) / C;
  float r = rsqrtf(fmaxf(warp_sum(q) / C - m * m, 0.f) + 1e-5f);
  for (int i = lane; i < C; i += 32) out[(size_t)row * C + i] = (x[i] - m) * r * w[i] + b[i];
}

int main() {
  const size_t total = size_t(1) << 26;
  const int Cs[] = {768, 1024, 2048, 4096, 8192, 16384};
  float *in, *out, *w, *b;
  CHECK(cudaMalloc(&in, total * 4));
  CHECK(cudaMalloc(&out, total * 4));
  CHECK(cudaMalloc(&w, 16384 * 4));
  CHECK(cudaMalloc(&b, 16384 * 4));
  std::vector<float> h(total);
  for (size_t i = 0; i < total; ++i) h[i] = float((i * 2654435761u) % 1000) / 1000.f;
  CHECK(cudaMemcpy(in, h.data(), total * 4, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(w, h.data(), 16384 * 4, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(b, h.data() + 16384, 16384 * 4, cudaMemcpyHostToDevice));
  cudaDeviceProp p;
  CHECK(cudaGetDeviceProperties(&p, 0));
  for (int threads : {256, 128}) {
    for (int C : Cs) {
      int rows = int(total / C), perBlock = threads / 32, blocks = (rows + perBlock - 1) / perBlock;
      float t3 = per_launch_us([&] { three_sweeps<<<blocks, threads>>>(out, in, w, b, rows, C); });
      std::vector<float> o3(total);
      CHECK(cudaMemcpy(o3.data(), out, total * 4, cudaMemcpyDeviceToHost));
      float t2 = per_launch_us([&] { two_sweeps<<<blocks, threads>>>(out, in, w, b, rows, C); });
      std::vector<float> o2(total);
      CHECK(cudaMemcpy(o2.data(), out, total * 4, cudaMemcpyDeviceToHost));
      double err = 0;
      for (size_t i = 0; i < total; i += 4099) err = std::fmax(err, std::fabs(o3[i] - o2[i]));
      std::printf("{\"gpu\":\"%s\",\"threads\":%d,\"C\":%d,\"row_kb\":%.1f,\"three_us\":%.1f,\"two_us\":%.1f,\"speedup\":%.3f,\"max_err\":%.2e}\n",
                  p.name, threads, C, C * 4 / 1024.0, t3, t2, t3 / t2, err);
    }
  }
  return 0;
}
