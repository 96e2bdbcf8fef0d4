/*
 * aliasing.c: field-update and particle loops from the 1-D solver. Most of
 * these take several pointers of the same type, which is where the
 * vectorizer gives up or falls back to run-time overlap checks.
 */
#include <stddef.h>
#include <math.h>

struct particles {
  float *x, *y;
  float *vx, *vy;
  const float *mass;
  int n;
};

/* Yee-style update of the electric and magnetic fields. */
void fdtd_update_1d(float *ex, float *ey, float *hz, const float *ca, const float *cb, int n)
{
  int i;

  for (i = 1; i < n; i++) {
    ex[i] = ca[i] * ex[i] - cb[i] * (hz[i] - hz[i - 1]);
    ey[i] = ca[i] * ey[i] + cb[i] * (hz[i] - hz[i - 1]);
  }
  for (i = 0; i < n - 1; i++)
    hz[i] = hz[i] - 0.5f * (ex[i + 1] - ex[i] + ey[i + 1] - ey[i]);
}

/* Same update with the no-overlap contract stated. */
void fdtd_update_1d_restrict(float *restrict ex, float *restrict ey, float *restrict hz,
                             const float *restrict ca, const float *restrict cb, int n)
{
  int i;

#pragma omp simd
  for (i = 1; i < n; i++) {
    ex[i] = ca[i] * ex[i] - cb[i] * (hz[i] - hz[i - 1]);
    ey[i] = ca[i] * ey[i] + cb[i] * (hz[i] - hz[i - 1]);
  }
#pragma omp simd
  for (i = 0; i < n - 1; i++)
    hz[i] = hz[i] - 0.5f * (ex[i + 1] - ex[i] + ey[i + 1] - ey[i]);
}

/* Drift and gravity kick through the struct's pointers. */
void advance_particles(struct particles *p, float dt, float g)
{
  int i;

  for (i = 0; i < p->n; i++) {
    p->vy[i] -= g * dt / p->mass[i];
    p->x[i] += p->vx[i] * dt;
    p->y[i] += p->vy[i] * dt;
  }
}

/* Weighted histogram: indices collide, so the loop stays scalar on purpose. */
void histogram_accumulate(float *hist, const int *bin, const float *weight, int n)
{
  int i;

  for (i = 0; i < n; i++)
    hist[bin[i]] += weight[i];
}

/* Running sum; each element depends on the previous one. */
void inclusive_scan(float *x, int n)
{
  int i;

  for (i = 1; i < n; i++)
    x[i] += x[i - 1];
}

/* dst = a*alpha + b*(1-alpha), per element alpha. */
void alpha_blend(float *restrict dst, const float *restrict a, const float *restrict b,
                 const float *restrict alpha, size_t n)
{
  size_t i;

#pragma omp simd
  for (i = 0; i < n; i++)
    dst[i] = alpha[i] * a[i] + (1.0f - alpha[i]) * b[i];
}
