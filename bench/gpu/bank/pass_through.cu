// What a bank conflict costs in a kernel each element of which passes through shared memory
// once (a transpose staged through a tile: global load, shared store, shared load, global
// store), by its degree. A 16384 x 16384 fp32 transpose, 32 x 8 threads per 32 x 32 tile, the
// tile's rows padded by P words, so the transposed read tile[tx][ty + j] is (32 / gcd(P, 32))-
// way... that is: P = 0: 32-way, 16: 16-way, 8: 8-way, 4: 4-way, 2: 2-way, 1: conflict-free.
// Every variant's output is checked against the conflict-free one; a device-to-device copy of
// the same bytes is the ceiling.
//   nvcc -O3 -arch=sm_90 -std=c++17 -o /tmp/pass bench/gpu/bank/pass_through.cu && /tmp/pass
#include "../chunks/timing.cuh"

constexpr int TILE = 32, ROWS = 8;

template <int PAD>
__global__ void transpose(const float* __restrict__ in, float* __restrict__ out, int n) {
  __shared__ float tile[TILE][TILE + PAD];
  const int x = blockIdx.x * TILE + threadIdx.x, y = blockIdx.y * TILE + threadIdx.y;
  for (int j = 0; j < TILE; j += ROWS) tile[threadIdx.y + j][threadIdx.x] = in[(size_t)(y + j) * n + x];
  __syncthreads();
  const int tx = blockIdx.y * TILE + threadIdx.x, ty = blockIdx.x * TILE + threadIdx.y;
  for (int j = 0; j < TILE; j += ROWS) out[(size_t)(ty + j) * n + tx] = tile[threadIdx.x][threadIdx.y + j];
}

template <int PAD>
static float run(const float* in, float* out, int n) {
  const dim3 grid(n / TILE, n / TILE), block(TILE, ROWS);
  return per_launch_us([&] { transpose<PAD><<<grid, block>>>(in, out, n); });
}

int main() {
  const int n = 16384;
  const size_t bytes = (size_t)n * n * sizeof(float);
  float *in, *out, *ref;
  CHECK(cudaMalloc(&in, bytes));
  CHECK(cudaMalloc(&out, bytes));
  CHECK(cudaMalloc(&ref, bytes));
  std::vector<float> h((size_t)n * n);
  for (size_t i = 0; i < h.size(); ++i) h[i] = (float)((i * 2654435761u) % 1000003);
  CHECK(cudaMemcpy(in, h.data(), bytes, cudaMemcpyHostToDevice));
  transpose<1><<<dim3(n / TILE, n / TILE), dim3(TILE, ROWS)>>>(in, ref, n);
  CHECK(cudaDeviceSynchronize());
  std::vector<float> a((size_t)n * n), b((size_t)n * n);
  CHECK(cudaMemcpy(b.data(), ref, bytes, cudaMemcpyDeviceToHost));
  const float copy = per_launch_us([&] { CHECK(cudaMemcpyAsync(out, in, bytes, cudaMemcpyDeviceToDevice)); });
  auto report = [&](const char* name, int ways, float us) {
    CHECK(cudaMemcpy(a.data(), out, bytes, cudaMemcpyDeviceToHost));
    const bool ok = a == b;
    std::printf("{\"variant\":\"%s\",\"ways\":%d,\"us\":%.1f,\"of_copy\":%.3f,\"checked\":%s}\n", name, ways, us, copy / us, ok ? "true" : "false");
  };
  std::printf("{\"variant\":\"d2d copy\",\"ways\":0,\"us\":%.1f,\"of_copy\":1.000,\"checked\":true}\n", copy);
  report("pad 1", 1, run<1>(in, out, n));
  report("pad 2", 2, run<2>(in, out, n));
  report("pad 4", 4, run<4>(in, out, n));
  report("pad 8", 8, run<8>(in, out, n));
  report("pad 16", 16, run<16>(in, out, n));
  report("pad 0", 32, run<0>(in, out, n));
  return 0;
}
