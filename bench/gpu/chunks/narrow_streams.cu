// 16-bit streams: what a wider access buys when each element is 2 bytes. (a) An fp16 elementwise add over 2^26
// halves written four ways: one `half` a thread, one `half2`, four `half2` loads of a thread's 8 consecutive halves
// (16 bytes a thread in flight, as 8-wide kernels unpacked into `half2` pairs do), and one 16-byte `uint4` of the
// same 8 halves. (b) A bf16 column sum of an R x C matrix, out[c] = sum over r of x[r][c]: a thread per column
// (2-byte loads, 64 bytes a warp a row) against a thread per 8 columns (one 16-byte load a row).
// (c) A block per row (256 threads, a shared-memory tree) scaling each row by its sum, rows of C floats: scalar loads
// against float4 loads, from a few hundred elements a row up. The vector-access rule is quiet for such a block when no
// launch gives the row's length (a row may be a few hundred elements) and reports the same loop reduced by warp shuffles.
// The vector-access rule is quiet where 16 bytes or more are in flight per thread; does that hold for 16-bit elements?
//   nvcc -O3 -arch=sm_90 -std=c++17 -o /tmp/narrow_streams bench/gpu/chunks/narrow_streams.cu && /tmp/narrow_streams
#include "timing.cuh"
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <cmath>

__global__ void add_half(__half* c, const __half* a, const __half* b, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = __hadd(a[i], b[i]);
}

__global__ void add_half2(__half2* c, const __half2* a, const __half2* b, int n2) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n2) c[i] = __hadd2(a[i], b[i]);
}

__global__ void add_4x_half2(__half* c, const __half* a, const __half* b, int n) {
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

__global__ void add_uint4(__half* c, const __half* a, const __half* b, int n) {
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

__global__ void colsum_scalar(float* out, const __nv_bfloat16* x, int R, int C) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  float s = 0.f;
  for (int r = 0; r < R; ++r) s += __bfloat162float(x[(size_t)r * C + c]);
  out[c] = s;
}

__global__ void colsum_8wide(float* out, const __nv_bfloat16* x, int R, int C) {
  int c = 8 * (blockIdx.x * blockDim.x + threadIdx.x);
  if (c + 7 >= C) return;
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int r = 0; r < R; ++r) {
    uint4 v = *reinterpret_cast<const uint4*>(x + (size_t)r * C + c);
    const __nv_bfloat162* p = reinterpret_cast<const __nv_bfloat162*>(&v);
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      float2 f = __bfloat1622float2(p[k]);
      s[2 * k] += f.x;
      s[2 * k + 1] += f.y;
    }
  }
#pragma unroll
  for (int k = 0; k < 8; ++k) out[c + k] = s[k];
}

template <int VEC>
__global__ void row_scale(float* out, const float* in, int C) {
  __shared__ float red[256];
  const float* x = in + (size_t)blockIdx.x * C;
  float* y = out + (size_t)blockIdx.x * C;
  float s = 0.f;
  if (VEC == 4) {
    for (int i = 4 * threadIdx.x; i < C; i += 4 * blockDim.x) { float4 v = *reinterpret_cast<const float4*>(x + i); s += v.x + v.y + v.z + v.w; }
  } else {
    for (int i = threadIdx.x; i < C; i += blockDim.x) s += x[i];
  }
  red[threadIdx.x] = s;
  __syncthreads();
  for (int st = blockDim.x / 2; st > 0; st >>= 1) {
    if (threadIdx.x < st) red[threadIdx.x] += red[threadIdx.x + st];
    __syncthreads();
  }
  s = red[0];
  if (VEC == 4) {
    for (int i = 4 * threadIdx.x; i < C; i += 4 * blockDim.x) {
      float4 v = *reinterpret_cast<const float4*>(x + i);
      *reinterpret_cast<float4*>(y + i) = make_float4(v.x / s, v.y / s, v.z / s, v.w / s);
    }
  } else {
    for (int i = threadIdx.x; i < C; i += blockDim.x) y[i] = x[i] / s;
  }
}

int main() {
  cudaDeviceProp p;
  CHECK(cudaGetDeviceProperties(&p, 0));
  const int n = 1 << 26;
  __half *a, *b, *c;
  CHECK(cudaMalloc(&a, n * 2));
  CHECK(cudaMalloc(&b, n * 2));
  CHECK(cudaMalloc(&c, n * 2));
  std::vector<__half> h(n);
  for (int i = 0; i < n; ++i) h[i] = __float2half(float((i * 2654435761u) % 1000) / 1000.f);
  CHECK(cudaMemcpy(a, h.data(), n * 2, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(b, h.data(), n * 2, cudaMemcpyHostToDevice));
  const int T = 256;
  std::vector<__half> ref(n), got(n);
  float t_half = per_launch_us([&] { add_half<<<n / T, T>>>(c, a, b, n); });
  CHECK(cudaMemcpy(ref.data(), c, n * 2, cudaMemcpyDeviceToHost));
  auto check = [&] { CHECK(cudaMemcpy(got.data(), c, n * 2, cudaMemcpyDeviceToHost)); double e = 0; for (int i = 0; i < n; i += 4099) e = std::fmax(e, std::fabs(__half2float(got[i]) - __half2float(ref[i]))); return e; };
  CHECK(cudaMemset(c, 0, n * 2));
  float t_half2 = per_launch_us([&] { add_half2<<<n / 2 / T, T>>>(reinterpret_cast<__half2*>(c), reinterpret_cast<const __half2*>(a), reinterpret_cast<const __half2*>(b), n / 2); });
  double e2 = check();
  CHECK(cudaMemset(c, 0, n * 2));
  float t_4x = per_launch_us([&] { add_4x_half2<<<n / 8 / T, T>>>(c, a, b, n); });
  double e4 = check();
  CHECK(cudaMemset(c, 0, n * 2));
  float t_u4 = per_launch_us([&] { add_uint4<<<n / 8 / T, T>>>(c, a, b, n); });
  double e8 = check();
  std::printf("{\"gpu\":\"%s\",\"case\":\"fp16_add\",\"elements\":%d,\"half_us\":%.1f,\"half2_us\":%.1f,\"four_half2_us\":%.1f,\"uint4_us\":%.1f,"
              "\"half2_vs_half\":%.3f,\"uint4_vs_four_half2\":%.3f,\"uint4_vs_half\":%.3f,\"max_err\":%.2e}\n",
              p.name, n, t_half, t_half2, t_4x, t_u4, t_half / t_half2, t_4x / t_u4, t_half / t_u4, std::fmax(e2, std::fmax(e4, e8)));
  __nv_bfloat16* x = reinterpret_cast<__nv_bfloat16*>(a);  // reuse 2^26 16-bit elements
  float *o1, *o8;
  CHECK(cudaMalloc(&o1, 65536 * 4));
  CHECK(cudaMalloc(&o8, 65536 * 4));
  const int shapes[][2] = {{8192, 8192}, {16384, 4096}, {65536, 1024}, {4096, 16384}, {1024, 65536}};
  for (auto& s : shapes) {
    int R = s[0], C = s[1];
    float t1 = per_launch_us([&] { colsum_scalar<<<(C + T - 1) / T, T>>>(o1, x, R, C); });
    float t8 = per_launch_us([&] { colsum_8wide<<<(C / 8 + T - 1) / T, T>>>(o8, x, R, C); });
    std::vector<float> r1(C), r8(C);
    CHECK(cudaMemcpy(r1.data(), o1, C * 4, cudaMemcpyDeviceToHost));
    CHECK(cudaMemcpy(r8.data(), o8, C * 4, cudaMemcpyDeviceToHost));
    double e = 0;
    for (int i = 0; i < C; ++i) e = std::fmax(e, std::fabs(r1[i] - r8[i]) / std::fmax(1.0, std::fabs(r1[i])));
    std::printf("{\"gpu\":\"%s\",\"case\":\"bf16_colsum\",\"R\":%d,\"C\":%d,\"threads_scalar\":%d,\"scalar_us\":%.1f,\"eight_wide_us\":%.1f,\"speedup\":%.3f,\"max_rel_err\":%.2e}\n",
                p.name, R, C, C, t1, t8, t1 / t8, e);
  }
  float* fin = reinterpret_cast<float*>(c);  // 2^25 floats: the three half buffers hold 3 x 2^27 bytes
  float* fout = reinterpret_cast<float*>(b);
  std::vector<float> hf(n / 2);
  for (int i = 0; i < n / 2; ++i) hf[i] = 1.f + float((i * 2654435761u) % 1000) / 1000.f;
  CHECK(cudaMemcpy(fin, hf.data(), (n / 2) * 4, cudaMemcpyHostToDevice));
  for (int C : {256, 512, 768, 1024, 2048, 4096, 16384}) {
    int rows = (n / 2) / C;
    float t1 = per_launch_us([&] { row_scale<1><<<rows, 256>>>(fout, fin, C); });
    std::vector<float> r1(n / 2), r4(n / 2);
    CHECK(cudaMemcpy(r1.data(), fout, (n / 2) * 4, cudaMemcpyDeviceToHost));
    float t4 = per_launch_us([&] { row_scale<4><<<rows, 256>>>(fout, fin, C); });
    CHECK(cudaMemcpy(r4.data(), fout, (n / 2) * 4, cudaMemcpyDeviceToHost));
    double e = 0;
    for (int i = 0; i < rows * C; i += 4099) e = std::fmax(e, std::fabs(r1[i] - r4[i]) / std::fabs(r1[i]));
    std::printf("{\"gpu\":\"%s\",\"case\":\"block_row_scale\",\"C\":%d,\"rows\":%d,\"row_kb\":%.1f,\"scalar_us\":%.1f,\"float4_us\":%.1f,\"speedup\":%.3f,\"max_rel_err\":%.2e}\n",
                p.name, C, rows, C * 4 / 1024.0, t1, t4, t1 / t4, e);
  }
  return 0;
}
