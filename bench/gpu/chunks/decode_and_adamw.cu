// Two questions of the vector-access rule, measured (results/<date>/decode_and_adamw.jsonl):
// 1. A decode step's softmax, a block per head over one token's row of `pos + 1` scores
//    (`<<<n_heads, 256>>>`): does float4 buy anything at 32 heads and rows up to 4,096 floats?
//    Against it, the same kernel over a prefill's rows (a block per head and token).
// 2. AdamW's parameter loaded after the m and v stores through pointers not marked __restrict__
//    (llm.c's form): how much slower than loading it first, or with __restrict__, or with float4?
#include "timing.cuh"
#include <cmath>

template <int VEC>
__global__ void head_softmax(float* att, int n, int stride) {
  __shared__ float red[256];
  float* x = att + (size_t)blockIdx.x * stride;
  const int tid = threadIdx.x;
  float m = -INFINITY;
  if (VEC == 4) {
    const float4* x4 = reinterpret_cast<const float4*>(x);
    for (int i = tid; i < n / 4; i += blockDim.x) { float4 v = x4[i]; m = fmaxf(m, fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w))); }
  } else {
    for (int i = tid; i < n; i += blockDim.x) m = fmaxf(m, x[i]);
  }
  red[tid] = m;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) { if (tid < s) red[tid] = fmaxf(red[tid], red[tid + s]); __syncthreads(); }
  m = red[0];
  __syncthreads();
  float sum = 0.f;
  if (VEC == 4) {
    float4* x4 = reinterpret_cast<float4*>(x);
    for (int i = tid; i < n / 4; i += blockDim.x) {
      float4 v = x4[i];
      v.x = __expf(v.x - m); v.y = __expf(v.y - m); v.z = __expf(v.z - m); v.w = __expf(v.w - m);
      x4[i] = v;
      sum += v.x + v.y + v.z + v.w;
    }
  } else {
    for (int i = tid; i < n; i += blockDim.x) { float e = __expf(x[i] - m); x[i] = e; sum += e; }
  }
  red[tid] = sum;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) { if (tid < s) red[tid] += red[tid + s]; __syncthreads(); }
  const float inv = 1.f / red[0];
  if (VEC == 4) {
    float4* x4 = reinterpret_cast<float4*>(x);
    for (int i = tid; i < n / 4; i += blockDim.x) { float4 v = x4[i]; v.x *= inv; v.y *= inv; v.z *= inv; v.w *= inv; x4[i] = v; }
  } else {
    for (int i = tid; i < n; i += blockDim.x) x[i] *= inv;
  }
}

__device__ inline float lerp_(float a, float b, float w) { return fmaf(w, b - a, a); }

// llm.c's form: the parameter is read after the m and v stores (no __restrict__, so not before them)
__global__ void adamw_late(float* p, const float* g, float* m, float* v, long n, float lr, float b1, float b2, float c1, float c2, float eps, float wd) {
  long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float grad = g[i], mi = m[i], vi = v[i];
  mi = lerp_(grad, mi, b1); m[i] = mi;
  vi = lerp_(grad * grad, vi, b2); v[i] = vi;
  mi /= c1; vi /= c2;
  p[i] -= lr * (mi / (sqrtf(vi) + eps) + wd * p[i]);
}
// the parameter loaded with the others, before any store
__global__ void adamw_first(float* p, const float* g, float* m, float* v, long n, float lr, float b1, float b2, float c1, float c2, float eps, float wd) {
  long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float grad = g[i], mi = m[i], vi = v[i], pi = p[i];
  mi = lerp_(grad, mi, b1); m[i] = mi;
  vi = lerp_(grad * grad, vi, b2); v[i] = vi;
  mi /= c1; vi /= c2;
  p[i] = pi - lr * (mi / (sqrtf(vi) + eps) + wd * pi);
}
// llm.c's order, with __restrict__ pointers
__global__ void adamw_restrict(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m, float* __restrict__ v, long n, float lr, float b1, float b2, float c1, float c2, float eps, float wd) {
  long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float grad = g[i], mi = m[i], vi = v[i];
  mi = lerp_(grad, mi, b1); m[i] = mi;
  vi = lerp_(grad * grad, vi, b2); v[i] = vi;
  mi /= c1; vi /= c2;
  p[i] -= lr * (mi / (sqrtf(vi) + eps) + wd * p[i]);
}
// four parameters a thread as float4
__global__ void adamw_vec4(float4* p, const float4* g, float4* m, float4* v, long n4, float lr, float b1, float b2, float c1, float c2, float eps, float wd) {
  long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n4) return;
  float4 G = g[i], M = m[i], V = v[i], P = p[i];
  float* gg = &G.x; float* mm = &M.x; float* vv = &V.x; float* pp = &P.x;
  for (int k = 0; k < 4; ++k) {
    mm[k] = lerp_(gg[k], mm[k], b1);
    vv[k] = lerp_(gg[k] * gg[k], vv[k], b2);
    pp[k] -= lr * ((mm[k] / c1) / (sqrtf(vv[k] / c2) + eps) + wd * pp[k]);
  }
  m[i] = M; v[i] = V; p[i] = P;
}

int main() {
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  // 1. decode vs prefill softmax
  const int heads = 32, seq = 4096;
  float* att;
  CHECK(cudaMalloc(&att, sizeof(float) * (size_t)8 * heads * 1024 * 1024));
  CHECK(cudaMemset(att, 0, sizeof(float) * (size_t)8 * heads * 1024 * 1024));
  for (int len : {256, 1024, 4096}) {
    float s = per_launch_us([&] { head_softmax<1><<<heads, 256>>>(att, len, seq); });
    float v = per_launch_us([&] { head_softmax<4><<<heads, 256>>>(att, len, seq); });
    std::printf("{\"what\":\"decode_head_softmax\",\"gpu\":\"%s\",\"heads\":%d,\"row\":%d,\"scalar_us\":%.2f,\"float4_us\":%.2f,\"speedup\":%.3f}\n", prop.name, heads, len, s, v, s / v);
  }
  for (int T : {256, 1024}) {
    const int rows = 8 * heads * T;  // B = 8
    float s = per_launch_us([&] { head_softmax<1><<<rows, 256>>>(att, T, T); });
    float v = per_launch_us([&] { head_softmax<4><<<rows, 256>>>(att, T, T); });
    std::printf("{\"what\":\"prefill_row_softmax\",\"gpu\":\"%s\",\"rows\":%d,\"row\":%d,\"scalar_us\":%.2f,\"float4_us\":%.2f,\"speedup\":%.3f}\n", prop.name, rows, T, s, v, s / v);
  }
  CHECK(cudaFree(att));
  // 2. AdamW over 124M parameters (GPT-2 small)
  const long n = 124439808;
  float *p, *g, *m, *v;
  CHECK(cudaMalloc(&p, n * 4)); CHECK(cudaMalloc(&g, n * 4)); CHECK(cudaMalloc(&m, n * 4)); CHECK(cudaMalloc(&v, n * 4));
  CHECK(cudaMemset(p, 0, n * 4)); CHECK(cudaMemset(g, 0, n * 4)); CHECK(cudaMemset(m, 0, n * 4)); CHECK(cudaMemset(v, 0, n * 4));
  const int B = 512;
  const unsigned grid = (unsigned)((n + B - 1) / B), grid4 = (unsigned)((n / 4 + B - 1) / B);
  float late = per_launch_us([&] { adamw_late<<<grid, B>>>(p, g, m, v, n, 1e-4f, 0.9f, 0.999f, 0.9f, 0.99f, 1e-8f, 0.f); });
  float first = per_launch_us([&] { adamw_first<<<grid, B>>>(p, g, m, v, n, 1e-4f, 0.9f, 0.999f, 0.9f, 0.99f, 1e-8f, 0.f); });
  float restr = per_launch_us([&] { adamw_restrict<<<grid, B>>>(p, g, m, v, n, 1e-4f, 0.9f, 0.999f, 0.9f, 0.99f, 1e-8f, 0.f); });
  float vec4 = per_launch_us([&] { adamw_vec4<<<grid4, B>>>((float4*)p, (const float4*)g, (float4*)m, (float4*)v, n / 4, 1e-4f, 0.9f, 0.999f, 0.9f, 0.99f, 1e-8f, 0.f); });
  std::printf("{\"what\":\"adamw\",\"gpu\":\"%s\",\"params\":%ld,\"late_us\":%.1f,\"first_us\":%.1f,\"restrict_us\":%.1f,\"float4_us\":%.1f,\"late_over_first\":%.3f,\"late_over_float4\":%.3f,\"first_over_float4\":%.3f}\n",
              prop.name, n, late, first, restr, vec4, late / first, late / vec4, first / vec4);
  return 0;
}
