// y = 2x over n floats, one element per thread
__global__ void scale(const float* __restrict__ x, float* __restrict__ y, int n) {
  // 4 consecutive float elements per thread, one 128-bit float4 access per buffer; scalar code for the tail and unaligned pointers
  int i4 = blockIdx.x * blockDim.x + threadIdx.x;  // this thread's elements: 4 * i4 to 4 * i4 + 3
  const bool aligned = ((reinterpret_cast<size_t>(x) | reinterpret_cast<size_t>(y)) & 15) == 0;
  if (i4 < n / 4 && aligned) {
    alignas(16) float x_v[4];
    alignas(16) float y_v[4];
    *reinterpret_cast<float4*>(x_v) = reinterpret_cast<const float4*>(x)[i4];
    #pragma unroll
    for (int k = 0; k < 4; ++k) y_v[k] = 2.0f * x_v[k];
    reinterpret_cast<float4*>(y)[i4] = *reinterpret_cast<const float4*>(y_v);
  } else if (i4 <= n / 4) {
    for (int k = 0; k < 4; ++k) {
      int i = 4 * i4 + k;
      if (i < n) y[i] = 2.0f * x[i];
    }
  }
}

void launch(const float* x, float* y, int n) {
  scale<<<((n + 255) / 256 + 3) / 4, 256>>>(x, y, n);
}
