// Kernels that already load 16 bytes per thread, written as real code writes them, against the
// same with 16-byte (or 8-byte) accesses: does vectorizing still pay? (vector-memory-access's
// "16 bytes in flight" bound.) 2^26 elements per stream, timed as in chunk_records.cu.
//   coarsened2   C[i], C[i+1] = A + B, two per thread as scalars (gpu-mode lecture 8)  vs float2
//   adamw        x, g, m, v loaded, m, v, x stored, one per thread (ggml opt_step_adamw_f32) vs float4
//   nocoarse     C[i] = A[i] + B[i], one per thread (8 bytes loaded)                   vs float4
//   update3      x[i] += f(m[i], v[i]), three streams read in one expression (12 bytes: darknet's adam_kernel) vs float4
//   adam_alias   g, m, v loaded, m, v stored, then w read and written, no __restrict__ (12 bytes, then 4
//                behind the stores: HugeCTR-style Adam)                                  vs float4
//   nvcc -O3 -arch=sm_90 -std=c++17 -o /tmp/many_streams many_streams.cu && /tmp/many_streams
#include "timing.cuh"

__global__ void coarsened2(const float* A, const float* B, float* C, int n) {
  int i = (blockIdx.x * blockDim.x + threadIdx.x) * 2;
  if (i < n) C[i] = A[i] + B[i];
  if (i + 1 < n) C[i + 1] = A[i + 1] + B[i + 1];
}
__global__ void coarsened2_float2(const float* A, const float* B, float* C, int n) {
  int i = (blockIdx.x * blockDim.x + threadIdx.x) * 2;
  if (i + 1 >= n) return;
  float2 a = *reinterpret_cast<const float2*>(A + i), b = *reinterpret_cast<const float2*>(B + i);
  *reinterpret_cast<float2*>(C + i) = make_float2(a.x + b.x, a.y + b.y);
}
__global__ void nocoarse(const float* A, const float* B, float* C, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) C[i] = A[i] + B[i];
}
__global__ void nocoarse_float4(const float* A, const float* B, float* C, int n) {
  int i = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (i + 3 >= n) return;
  float4 a = *reinterpret_cast<const float4*>(A + i), b = *reinterpret_cast<const float4*>(B + i);
  *reinterpret_cast<float4*>(C + i) = make_float4(a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w);
}

__device__ __forceinline__ void adam1(float& x, float g, float& m, float& v, const float* p) {
  m = m * p[1] + g * (1.0f - p[1]);
  v = v * p[2] + g * g * (1.0f - p[2]);
  x = x * (1.0f - p[0] * p[4]) - p[0] * (m * p[5]) / (sqrtf(v * p[6]) + p[3]);
}
__global__ void adamw(float* __restrict__ x, const float* __restrict__ g, float* __restrict__ gm, float* __restrict__ gv, const float* __restrict__ pars, int k) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= k) return;
  float xi = x[i], mi = gm[i], vi = gv[i];
  adam1(xi, g[i], mi, vi, pars);
  gm[i] = mi; gv[i] = vi; x[i] = xi;
}
__global__ void adamw_float4(float* __restrict__ x, const float* __restrict__ g, float* __restrict__ gm, float* __restrict__ gv, const float* __restrict__ pars, int k) {
  int i = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (i + 3 >= k) return;
  float4 X = *reinterpret_cast<float4*>(x + i), G = *reinterpret_cast<const float4*>(g + i);
  float4 M = *reinterpret_cast<float4*>(gm + i), V = *reinterpret_cast<float4*>(gv + i);
  adam1(X.x, G.x, M.x, V.x, pars); adam1(X.y, G.y, M.y, V.y, pars);
  adam1(X.z, G.z, M.z, V.z, pars); adam1(X.w, G.w, M.w, V.w, pars);
  *reinterpret_cast<float4*>(gm + i) = M; *reinterpret_cast<float4*>(gv + i) = V; *reinterpret_cast<float4*>(x + i) = X;
}

__global__ void update3(float* x, const float* m, const float* v, float rate, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = x[i] + rate * m[i] / (sqrtf(v[i]) + 1e-6f);
}
__global__ void update3_float4(float* x, const float* m, const float* v, float rate, int n) {
  int i = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (i + 3 >= n) return;
  float4 X = *reinterpret_cast<float4*>(x + i), M = *reinterpret_cast<const float4*>(m + i), V = *reinterpret_cast<const float4*>(v + i);
  X.x += rate * M.x / (sqrtf(V.x) + 1e-6f); X.y += rate * M.y / (sqrtf(V.y) + 1e-6f);
  X.z += rate * M.z / (sqrtf(V.z) + 1e-6f); X.w += rate * M.w / (sqrtf(V.w) + 1e-6f);
  *reinterpret_cast<float4*>(x + i) = X;
}
__global__ void adam_alias(int n, float* w, float* m, float* v, const float* g, float a, float b1, float b2, float eps) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    float gi = g[i];
    float mi = b1 * m[i] + (1.f - b1) * gi;
    float vi = b2 * v[i] + (1.f - b2) * gi * gi;
    m[i] = mi; v[i] = vi;
    w[i] -= a * mi / (sqrtf(vi) + eps);
  }
}
__global__ void adam_alias_float4(int n, float* w, float* m, float* v, const float* g, float a, float b1, float b2, float eps) {
  int i = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (i + 3 >= n) return;
  float4 G = *reinterpret_cast<const float4*>(g + i), M = *reinterpret_cast<float4*>(m + i), V = *reinterpret_cast<float4*>(v + i);
  float* gs = &G.x; float* ms = &M.x; float* vs = &V.x;
  for (int k = 0; k < 4; ++k) { ms[k] = b1 * ms[k] + (1.f - b1) * gs[k]; vs[k] = b2 * vs[k] + (1.f - b2) * gs[k] * gs[k]; }
  *reinterpret_cast<float4*>(m + i) = M; *reinterpret_cast<float4*>(v + i) = V;
  float4 W = *reinterpret_cast<float4*>(w + i);
  float* ws = &W.x;
  for (int k = 0; k < 4; ++k) ws[k] -= a * ms[k] / (sqrtf(vs[k]) + eps);
  *reinterpret_cast<float4*>(w + i) = W;
}

int main() {
  const int n = 1 << 26;
  float *buf, *pars;
  CHECK(cudaMalloc(&buf, sizeof(float) * (size_t)n * 4));
  CHECK(cudaMemset(buf, 0, sizeof(float) * (size_t)n * 4));
  CHECK(cudaMalloc(&pars, 8 * sizeof(float)));
  float hp[8] = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1.1f, 1.2f, 0.f};
  CHECK(cudaMemcpy(pars, hp, sizeof hp, cudaMemcpyHostToDevice));
  float *A = buf, *B = buf + n, *C = buf + 2 * (size_t)n, *D = buf + 3 * (size_t)n;
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("{\"device\":\"%s\",\"elements\":%d}\n", prop.name, n);
  const int T = 256;
  auto row = [](const char* name, float us) { std::printf("{\"kernel\":\"%s\",\"us\":%.2f}\n", name, us); };
  row("coarsened2", per_launch_us([&] { coarsened2<<<(n / 2 + T - 1) / T, T>>>(A, B, C, n); }));
  row("coarsened2_float2", per_launch_us([&] { coarsened2_float2<<<(n / 2 + T - 1) / T, T>>>(A, B, C, n); }));
  row("nocoarse", per_launch_us([&] { nocoarse<<<(n + T - 1) / T, T>>>(A, B, C, n); }));
  row("nocoarse_float4", per_launch_us([&] { nocoarse_float4<<<(n / 4 + T - 1) / T, T>>>(A, B, C, n); }));
  row("adamw", per_launch_us([&] { adamw<<<(n + T - 1) / T, T>>>(A, B, C, D, pars, n); }));
  row("adamw_float4", per_launch_us([&] { adamw_float4<<<(n / 4 + T - 1) / T, T>>>(A, B, C, D, pars, n); }));
  row("update3", per_launch_us([&] { update3<<<(n + T - 1) / T, T>>>(A, B, C, 1e-3f, n); }));
  row("update3_float4", per_launch_us([&] { update3_float4<<<(n / 4 + T - 1) / T, T>>>(A, B, C, 1e-3f, n); }));
  row("adam_alias", per_launch_us([&] { adam_alias<<<(n + T - 1) / T, T>>>(n, A, B, C, D, 1e-3f, .9f, .999f, 1e-8f); }));
  row("adam_alias_float4", per_launch_us([&] { adam_alias_float4<<<(n / 4 + T - 1) / T, T>>>(n, A, B, C, D, 1e-3f, .9f, .999f, 1e-8f); }));
  return 0;
}
