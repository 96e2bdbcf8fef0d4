// image_filters.h - CPU image filters used by the preview pipeline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace imgproc {

struct ImageF {
  int width = 0;
  int height = 0;
  std::vector<float> pixels;  // row-major, width * height

  ImageF() = default;
  ImageF(int w, int h) : width(w), height(h), pixels(static_cast<size_t>(w) * h) {}
  float* row(int y) { return pixels.data() + static_cast<size_t>(y) * width; }
  const float* row(int y) const { return pixels.data() + static_cast<size_t>(y) * width; }
};

inline int clamp_index(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

void box_blur_3x3(const uint8_t* src, uint8_t* dst, int width, int height);
void rgb_to_gray(const uint8_t* rgb, uint8_t* gray, int n_pixels);
void gaussian_blur_separable(const ImageF& src, ImageF& dst, const float* taps, int radius);
void vertical_blur_by_column(const ImageF& src, ImageF& dst, const float* taps, int radius);
void sobel_magnitude(const float* in, float* out, int width, int height);
void transpose_naive(const float* in, float* out, int rows, int cols);
void transpose_blocked(const float* __restrict__ in, float* __restrict__ out, int rows, int cols);

}  // namespace imgproc
