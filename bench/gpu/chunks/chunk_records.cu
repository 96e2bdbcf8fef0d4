// Per-thread chunks and records, measured: what a warp's strided scalar accesses cost when the
// thread uses its whole chunk (the sectors are fetched once and the other accesses hit L1), next
// to the layouts the rules advise. Each kernel moves 2^26 floats in, and writes its result, timed
// as a training loop runs it (CUDA events around 20 launches, median of 7 runs, after warm-ups).
//   unit      y[i] = 2*x[i], one float per thread (the baseline stream)
//   chunk4    a thread's 4 consecutive floats as 4 scalars (lanes 16 B apart)
//   float4    the same 4 floats as one 16-byte access
//   blocked8  a thread's 8 consecutive floats as 8 scalars (lanes 32 B apart), vs striped8 (8 per
//             thread, each step a whole warp's consecutive floats)
//   rec9      an AoS record of 9 floats per thread, all 9 read (lanes 36 B apart), vs soa9 (9 arrays)
//   rec16of2  2 of the 16 floats of a record read (lanes 64 B apart), vs soa2 (2 arrays)
//   rec9w     an AoS record of 9 floats per thread written whole (lanes 36 B apart), vs soa9w
//   blocked8r a thread's 8 consecutive floats read as 8 scalars, one float written, vs striped8r
//   sum2/sum4 y = a + b (+ c + d): 8 or 16 bytes loaded per thread as scalars, vs the same as float4s
// Used by memory/uncoalesced-access (records a thread mostly uses) and vectorization/vector-memory-access (chunks).
//   nvcc -O3 -arch=sm_90 -std=c++17 -o /tmp/chunk_records chunk_records.cu && /tmp/chunk_records
#include "timing.cuh"

__global__ void unit(float* __restrict__ y, const float* __restrict__ x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = 2.0f * x[i];
}

__global__ void chunk4(float* __restrict__ y, const float* __restrict__ x, int n) {
  int base = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (base >= n) return;
#pragma unroll
  for (int k = 0; k < 4; ++k) y[base + k] = 2.0f * x[base + k];
}

__global__ void vec4(float* __restrict__ y, const float* __restrict__ x, int n) {
  int base = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (base >= n) return;
  float4 v = *reinterpret_cast<const float4*>(x + base);
  *reinterpret_cast<float4*>(y + base) = make_float4(2.0f * v.x, 2.0f * v.y, 2.0f * v.z, 2.0f * v.w);
}

__global__ void blocked8(float* __restrict__ y, const float* __restrict__ x, int n) {
  int base = (blockIdx.x * blockDim.x + threadIdx.x) * 8;
  if (base >= n) return;
#pragma unroll
  for (int k = 0; k < 8; ++k) y[base + k] = 2.0f * x[base + k];
}

__global__ void striped8(float* __restrict__ y, const float* __restrict__ x, int n) {
  int threads = gridDim.x * blockDim.x;
  int t = blockIdx.x * blockDim.x + threadIdx.x;
#pragma unroll
  for (int k = 0; k < 8; ++k) {
    int i = k * threads + t;
    if (i < n) y[i] = 2.0f * x[i];
  }
}

// records: n floats of input in records of 9 (n/9 threads), one float out per record
__global__ void rec9(float* __restrict__ y, const float* __restrict__ r, int records) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= records) return;
  const float* p = r + (size_t)i * 9;
  float s = 0.f;
#pragma unroll
  for (int k = 0; k < 9; ++k) s += p[k] * (k + 1);
  y[i] = s;
}

__global__ void soa9(float* __restrict__ y, const float* __restrict__ r, int records) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= records) return;
  float s = 0.f;
#pragma unroll
  for (int k = 0; k < 9; ++k) s += r[(size_t)k * records + i] * (k + 1);
  y[i] = s;
}

// 2 of 16 fields per record: the same 2 floats per thread either way
__global__ void rec16of2(float* __restrict__ y, const float* __restrict__ r, int records) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= records) return;
  y[i] = r[(size_t)i * 16] + r[(size_t)i * 16 + 1];
}

__global__ void soa2(float* __restrict__ y, const float* __restrict__ r, int records) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= records) return;
  y[i] = r[i] + r[(size_t)records + i];
}

__global__ void rec9w(float* __restrict__ r, const float* __restrict__ x, int records) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= records) return;
  float v = x[i];
  float* p = r + (size_t)i * 9;
#pragma unroll
  for (int k = 0; k < 9; ++k) p[k] = v * (k + 1);
}
__global__ void soa9w(float* __restrict__ r, const float* __restrict__ x, int records) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= records) return;
  float v = x[i];
#pragma unroll
  for (int k = 0; k < 9; ++k) r[(size_t)k * records + i] = v * (k + 1);
}
__global__ void blocked8r(float* __restrict__ y, const float* __restrict__ x, int n8) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= n8) return;
  float s = 0.f;
#pragma unroll
  for (int k = 0; k < 8; ++k) s += x[(size_t)t * 8 + k];
  y[t] = s;
}
__global__ void striped8r(float* __restrict__ y, const float* __restrict__ x, int n8) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= n8) return;
  float s = 0.f;
#pragma unroll
  for (int k = 0; k < 8; ++k) s += x[(size_t)k * n8 + t];
  y[t] = s;
}

// several input streams: the bytes a thread has in flight grow with them
__global__ void sum2(float* __restrict__ y, const float* __restrict__ a, const float* __restrict__ b, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a[i] + b[i];
}
__global__ void sum2v(float* __restrict__ y, const float* __restrict__ a, const float* __restrict__ b, int n) {
  int i = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (i >= n) return;
  float4 p = *reinterpret_cast<const float4*>(a + i), q = *reinterpret_cast<const float4*>(b + i);
  *reinterpret_cast<float4*>(y + i) = make_float4(p.x + q.x, p.y + q.y, p.z + q.z, p.w + q.w);
}
__global__ void sum4(float* __restrict__ y, const float* __restrict__ a, const float* __restrict__ b, const float* __restrict__ c, const float* __restrict__ d, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a[i] + b[i] + c[i] + d[i];
}
__global__ void sum4v(float* __restrict__ y, const float* __restrict__ a, const float* __restrict__ b, const float* __restrict__ c, const float* __restrict__ d, int n) {
  int i = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (i >= n) return;
  float4 p = *reinterpret_cast<const float4*>(a + i), q = *reinterpret_cast<const float4*>(b + i);
  float4 r = *reinterpret_cast<const float4*>(c + i), s = *reinterpret_cast<const float4*>(d + i);
  *reinterpret_cast<float4*>(y + i) = make_float4(p.x + q.x + r.x + s.x, p.y + q.y + r.y + s.y, p.z + q.z + r.z + s.z, p.w + q.w + r.w + s.w);
}

int main() {
  const int n = 1 << 26;          // floats moved in by the streams
  const int rec9n = n / 9;        // records of 9 floats: about the same bytes in
  const int rec16n = n / 16;      // records of 16 floats, 2 of them read
  float *x, *y;
  CHECK(cudaMalloc(&x, sizeof(float) * n));
  CHECK(cudaMalloc(&y, sizeof(float) * n));
  CHECK(cudaMemset(x, 0, sizeof(float) * n));
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("{\"device\":\"%s\",\"floats\":%d}\n", prop.name, n);
  const int B = 256;
  auto row = [](const char* name, float us, double bytes) {
    std::printf("{\"kernel\":\"%s\",\"us\":%.2f,\"GBps\":%.0f}\n", name, us, bytes / (us * 1e-6) / 1e9);
  };
  const double stream = 2.0 * sizeof(float) * n;
  row("unit", per_launch_us([&] { unit<<<(n + B - 1) / B, B>>>(y, x, n); }), stream);
  row("chunk4", per_launch_us([&] { chunk4<<<(n / 4 + B - 1) / B, B>>>(y, x, n); }), stream);
  row("float4", per_launch_us([&] { vec4<<<(n / 4 + B - 1) / B, B>>>(y, x, n); }), stream);
  row("blocked8", per_launch_us([&] { blocked8<<<(n / 8 + B - 1) / B, B>>>(y, x, n); }), stream);
  row("striped8", per_launch_us([&] { striped8<<<(n / 8 + B - 1) / B, B>>>(y, x, n); }), stream);
  const double r9 = sizeof(float) * (9.0 * rec9n + rec9n);
  row("rec9", per_launch_us([&] { rec9<<<(rec9n + B - 1) / B, B>>>(y, x, rec9n); }), r9);
  row("soa9", per_launch_us([&] { soa9<<<(rec9n + B - 1) / B, B>>>(y, x, rec9n); }), r9);
  const double r2 = sizeof(float) * (2.0 * rec16n + rec16n);
  row("rec16of2", per_launch_us([&] { rec16of2<<<(rec16n + B - 1) / B, B>>>(y, x, rec16n); }), r2);
  row("soa2", per_launch_us([&] { soa2<<<(rec16n + B - 1) / B, B>>>(y, x, rec16n); }), r2);
  const double w9 = sizeof(float) * (9.0 * rec9n + rec9n);
  row("rec9w", per_launch_us([&] { rec9w<<<(rec9n + B - 1) / B, B>>>(y, x, rec9n); }), w9);
  row("soa9w", per_launch_us([&] { soa9w<<<(rec9n + B - 1) / B, B>>>(y, x, rec9n); }), w9);
  const int n8 = n / 8;
  const double r8 = sizeof(float) * (8.0 * n8 + n8);
  row("blocked8r", per_launch_us([&] { blocked8r<<<(n8 + B - 1) / B, B>>>(y, x, n8); }), r8);
  row("striped8r", per_launch_us([&] { striped8r<<<(n8 + B - 1) / B, B>>>(y, x, n8); }), r8);
  // 4 input streams of n/4 floats each: the same bytes in as the streams above
  const int q = n / 4;
  const float *a = x, *b = x + q, *c = x + 2 * q, *d = x + 3 * q;
  row("sum2", per_launch_us([&] { sum2<<<(q + B - 1) / B, B>>>(y, a, b, q); }), 3.0 * sizeof(float) * q);
  row("sum2_float4", per_launch_us([&] { sum2v<<<(q / 4 + B - 1) / B, B>>>(y, a, b, q); }), 3.0 * sizeof(float) * q);
  row("sum4", per_launch_us([&] { sum4<<<(q + B - 1) / B, B>>>(y, a, b, c, d, q); }), 5.0 * sizeof(float) * q);
  row("sum4_float4", per_launch_us([&] { sum4v<<<(q / 4 + B - 1) / B, B>>>(y, a, b, c, d, q); }), 5.0 * sizeof(float) * q);
  return 0;
}
