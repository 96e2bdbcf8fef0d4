// image_filters.cpp - CPU image filters used by the preview pipeline.
#include "image_filters.h"

#include <algorithm>
#include <cmath>

namespace imgproc {

// 3x3 mean filter on an 8-bit plane; borders are clamped.
void box_blur_3x3(const uint8_t* src, uint8_t* dst, int width, int height) {
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      int sum = 0;
      for (int dy = -1; dy <= 1; ++dy) {
        const int yy = clamp_index(y + dy, 0, height - 1);
        for (int dx = -1; dx <= 1; ++dx) {
          const int xx = clamp_index(x + dx, 0, width - 1);
          sum += src[yy * width + xx];
        }
      }
      dst[y * width + x] = static_cast<uint8_t>((sum + 4) / 9);
    }
  }
}

// BT.601 luma from packed RGB.
void rgb_to_gray(const uint8_t* rgb, uint8_t* gray, int n_pixels) {
  for (int i = 0; i < n_pixels; ++i) {
    const int r = rgb[3 * i + 0];
    const int g = rgb[3 * i + 1];
    const int b = rgb[3 * i + 2];
    gray[i] = static_cast<uint8_t>((77 * r + 150 * g + 29 * b + 128) >> 8);
  }
}

// Horizontal then vertical pass; both inner loops run along x.
void gaussian_blur_separable(const ImageF& src, ImageF& dst, const float* taps, int radius) {
  const int w = src.width;
  const int h = src.height;
  ImageF tmp(w, h);
  for (int y = 0; y < h; ++y) {
    const float* __restrict__ in = src.row(y);
    float* __restrict__ out = tmp.row(y);
    for (int x = radius; x < w - radius; ++x) {
      float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
      for (int k = -radius; k <= radius; ++k) acc += taps[k + radius] * in[x + k];
      out[x] = acc;
    }
  }
  for (int y = radius; y < h - radius; ++y) {
    float* __restrict__ out = dst.row(y);
    std::fill(out, out + w, 0.0f);
    for (int k = -radius; k <= radius; ++k) {
      const float* __restrict__ in = tmp.row(y + k);
      const float t = taps[k + radius];
#pragma omp simd
      for (int x = 0; x < w; ++x) out[x] += t * in[x];
    }
  }
}

// Vertical pass written column by column (from the original GPU-port prototype).
void vertical_blur_by_column(const ImageF& src, ImageF& dst, const float* taps, int radius) {
  const int w = src.width;
  const int h = src.height;
  const float* in = src.pixels.data();
  float* out = dst.pixels.data();
  for (int x = 0; x < w; ++x) {
    for (int y = radius; y < h - radius; ++y) {
      float acc = 0.0f;
      for (int k = -radius; k <= radius; ++k) acc += taps[k + radius] * in[(y + k) * w + x];
      out[y * w + x] = acc;
    }
  }
}

// Gradient magnitude with the 3x3 Sobel operator.
void sobel_magnitude(const float* in, float* out, int width, int height) {
  for (int y = 1; y < height - 1; ++y) {
    const float* up = in + (y - 1) * width;
    const float* mid = in + y * width;
    const float* dn = in + (y + 1) * width;
    float* o = out + y * width;
    for (int x = 1; x < width - 1; ++x) {
      const float gx = (up[x + 1] + 2.0f * mid[x + 1] + dn[x + 1]) - (up[x - 1] + 2.0f * mid[x - 1] + dn[x - 1]);
      const float gy = (dn[x - 1] + 2.0f * dn[x] + dn[x + 1]) - (up[x - 1] + 2.0f * up[x] + up[x + 1]);
      o[x] = std::sqrt(gx * gx + gy * gy);
    }
  }
}

void transpose_naive(const float* in, float* out, int rows, int cols) {
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) out[static_cast<size_t>(j) * rows + i] = in[static_cast<size_t>(i) * cols + j];
}

void transpose_blocked(const float* __restrict__ in, float* __restrict__ out, int rows, int cols) {
  constexpr int kBlock = 32;
  for (int ib = 0; ib < rows; ib += kBlock)
    for (int jb = 0; jb < cols; jb += kBlock) {
      const int i_end = std::min(ib + kBlock, rows);
      const int j_end = std::min(jb + kBlock, cols);
      for (int j = jb; j < j_end; ++j)
        for (int i = ib; i < i_end; ++i)
          out[static_cast<size_t>(j) * rows + i] = in[static_cast<size_t>(i) * cols + j];
    }
}

}  // namespace imgproc
