// Timing shared by the chunks/ measurements: a kernel launched back to back as a training loop
// runs it (CUDA events around 20 launches, median of 7 runs, after 5 warm-ups), in µs per launch.
#pragma once
#include <cuda_runtime.h>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <algorithm>

#define CHECK(call) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) { std::fprintf(stderr, "%s\n", cudaGetErrorString(e_)); std::exit(1); } } while (0)

template <typename Launch>
static float per_launch_us(Launch launch) {
  cudaEvent_t a, b;
  CHECK(cudaEventCreate(&a));
  CHECK(cudaEventCreate(&b));
  for (int w = 0; w < 5; ++w) launch();
  std::vector<float> runs;
  for (int r = 0; r < 7; ++r) {
    CHECK(cudaEventRecord(a));
    for (int l = 0; l < 20; ++l) launch();
    CHECK(cudaEventRecord(b));
    CHECK(cudaEventSynchronize(b));
    float ms = 0;
    CHECK(cudaEventElapsedTime(&ms, a, b));
    runs.push_back(1000.0f * ms / 20);
  }
  std::sort(runs.begin(), runs.end());
  CHECK(cudaEventDestroy(a));
  CHECK(cudaEventDestroy(b));
  CHECK(cudaGetLastError());
  return runs[runs.size() / 2];
}
