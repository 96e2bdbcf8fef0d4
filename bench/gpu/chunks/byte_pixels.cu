// Byte streams, measured: what 1-byte accesses cost next to wider ones, for the vector-access rule's
// advice on 8-bit kernels. Each kernel is launched back to back as a pipeline runs it (timing.cuh).
//   invert1     y[i] = 255 - x[i], one byte per thread (loads and stores of 1 byte)
//   invert4     the same, 4 bytes per thread as one uchar4
//   invert16    the same, 16 bytes per thread as one uint4
//   gray1       interleaved RGB to gray, a pixel per thread: 3 byte loads, 1 byte store
//   gray4       the same, 4 pixels per thread: 3 x 4-byte loads (12 bytes), one uchar4 store
// Outputs are checked against the one-byte kernels'.
//   nvcc -O3 -arch=sm_90 -std=c++17 -o /tmp/byte_pixels byte_pixels.cu && /tmp/byte_pixels
#include "timing.cuh"
#include <cstdint>

__global__ void invert1(uint8_t* __restrict__ y, const uint8_t* __restrict__ x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = 255 - x[i];
}

__global__ void invert4(uint8_t* __restrict__ y, const uint8_t* __restrict__ x, int n4) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n4) {
    uchar4 v = reinterpret_cast<const uchar4*>(x)[i];
    reinterpret_cast<uchar4*>(y)[i] = make_uchar4(255 - v.x, 255 - v.y, 255 - v.z, 255 - v.w);
  }
}

__global__ void invert16(uint8_t* __restrict__ y, const uint8_t* __restrict__ x, int n16) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n16) {
    uint4 v = reinterpret_cast<const uint4*>(x)[i];
    reinterpret_cast<uint4*>(y)[i] = make_uint4(~v.x, ~v.y, ~v.z, ~v.w);  // 255 - b is ~b on bytes
  }
}

__device__ __forceinline__ uint8_t gray(uint8_t r, uint8_t g, uint8_t b) {
  return (uint8_t)(0.21f * r + 0.71f * g + 0.07f * b);
}

__global__ void gray1(uint8_t* __restrict__ out, const uint8_t* __restrict__ rgb, int pixels) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < pixels) out[i] = gray(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
}

__global__ void gray4(uint8_t* __restrict__ out, const uint8_t* __restrict__ rgb, int quads) {
  int q = blockIdx.x * blockDim.x + threadIdx.x;
  if (q < quads) {
    const uchar4* p = reinterpret_cast<const uchar4*>(rgb) + 3 * q;
    uchar4 a = p[0], b = p[1], c = p[2];  // r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3
    reinterpret_cast<uchar4*>(out)[q] = make_uchar4(gray(a.x, a.y, a.z), gray(a.w, b.x, b.y), gray(b.z, b.w, c.x), gray(c.y, c.z, c.w));
  }
}

static bool same(const uint8_t* a, const uint8_t* b, size_t n) {
  std::vector<uint8_t> ha(n), hb(n);
  CHECK(cudaMemcpy(ha.data(), a, n, cudaMemcpyDeviceToHost));
  CHECK(cudaMemcpy(hb.data(), b, n, cudaMemcpyDeviceToHost));
  return ha == hb;
}

int main() {
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("{\"device\":\"%s\"}\n", prop.name);
  const int B = 256;
  auto row = [](const char* name, int n, float us, double bytes) {
    std::printf("{\"kernel\":\"%s\",\"n\":%d,\"us\":%.2f,\"GBps\":%.0f}\n", name, n, us, bytes / (us * 1e-6) / 1e9);
  };
  for (int n : {1 << 20, 1 << 23, 1 << 26}) {  // bytes (multiples of 16)
    uint8_t *x, *y1, *y2;
    CHECK(cudaMalloc(&x, n));
    CHECK(cudaMalloc(&y1, n));
    CHECK(cudaMalloc(&y2, n));
    std::vector<uint8_t> h(n);
    for (int i = 0; i < n; ++i) h[i] = (uint8_t)(i * 2654435761u >> 24);
    CHECK(cudaMemcpy(x, h.data(), n, cudaMemcpyHostToDevice));
    row("invert1", n, per_launch_us([&] { invert1<<<(n + B - 1) / B, B>>>(y1, x, n); }), 2.0 * n);
    row("invert4", n, per_launch_us([&] { invert4<<<(n / 4 + B - 1) / B, B>>>(y2, x, n / 4); }), 2.0 * n);
    if (!same(y1, y2, n)) std::printf("{\"error\":\"invert4 differs\"}\n");
    row("invert16", n, per_launch_us([&] { invert16<<<(n / 16 + B - 1) / B, B>>>(y2, x, n / 16); }), 2.0 * n);
    if (!same(y1, y2, n)) std::printf("{\"error\":\"invert16 differs\"}\n");
    const int pixels = n / 4;  // 3 bytes in, 1 out each; a multiple of 4
    row("gray1", pixels, per_launch_us([&] { gray1<<<(pixels + B - 1) / B, B>>>(y1, x, pixels); }), 4.0 * pixels);
    row("gray4", pixels, per_launch_us([&] { gray4<<<(pixels / 4 + B - 1) / B, B>>>(y2, x, pixels / 4); }), 4.0 * pixels);
    if (!same(y1, y2, pixels)) std::printf("{\"error\":\"gray4 differs\"}\n");
    CHECK(cudaFree(x));
    CHECK(cudaFree(y1));
    CHECK(cudaFree(y2));
  }
  return 0;
}
