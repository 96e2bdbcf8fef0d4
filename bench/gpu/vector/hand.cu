// Hand-written reference (GPU-FACTS.md "vector access"): float4 loads and stores, n a multiple of 4.
__global__ void scale4(const float4* __restrict__ x, float4* __restrict__ y, int n4) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n4) {
    float4 v = x[i];
    v.x *= 2.0f; v.y *= 2.0f; v.z *= 2.0f; v.w *= 2.0f;
    y[i] = v;
  }
}

void launch(const float* x, float* y, int n) {
  int n4 = n / 4;
  scale4<<<(n4 + 255) / 256, 256>>>(reinterpret_cast<const float4*>(x), reinterpret_cast<float4*>(y), n4);
}
