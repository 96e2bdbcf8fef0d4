/*
 * solvers.c: direct solvers and sweeps (ADI, LU, Cholesky, triangular solve,
 * Durbin, Floyd-Warshall, Nussinov), written against polybench_like.h.
 */
#include "polybench_like.h"

#ifndef N
#define N 2000
#define TSTEPS 500
#endif

/* Alternating-direction implicit: each time step solves one tridiagonal
 * system per column, then one per row (Thomas algorithm: forward
 * elimination, then back substitution). */
static void kernel_adi(int tsteps, int n,
                       DATA_TYPE POLYBENCH_2D(u, N, N, n, n),
                       DATA_TYPE POLYBENCH_2D(v, N, N, n, n),
                       DATA_TYPE POLYBENCH_2D(p, N, N, n, n),
                       DATA_TYPE POLYBENCH_2D(q, N, N, n, n))
{
  int t, i, j;
  DATA_TYPE DX = SCALAR_VAL(1.0) / (DATA_TYPE)_PB_N;
  DATA_TYPE DY = SCALAR_VAL(1.0) / (DATA_TYPE)_PB_N;
  DATA_TYPE DT = SCALAR_VAL(1.0) / (DATA_TYPE)_PB_TSTEPS;
  DATA_TYPE mul1 = SCALAR_VAL(2.0) * DT / (DX * DX);
  DATA_TYPE mul2 = SCALAR_VAL(1.0) * DT / (DY * DY);
  DATA_TYPE a = -mul1 / SCALAR_VAL(2.0), b = SCALAR_VAL(1.0) + mul1, c = a;
  DATA_TYPE d = -mul2 / SCALAR_VAL(2.0), e = SCALAR_VAL(1.0) + mul2, f = d;

#pragma scop
  for (t = 1; t <= _PB_TSTEPS; t++) {
    /* column sweep */
    for (i = 1; i < _PB_N - 1; i++) {
      v[0][i] = SCALAR_VAL(1.0);
      p[i][0] = SCALAR_VAL(0.0);
      q[i][0] = v[0][i];
      for (j = 1; j < _PB_N - 1; j++) {
        p[i][j] = -c / (a * p[i][j - 1] + b);
        q[i][j] = (-d * u[j][i - 1] + (SCALAR_VAL(1.0) + SCALAR_VAL(2.0) * d) * u[j][i] - f * u[j][i + 1] - a * q[i][j - 1]) / (a * p[i][j - 1] + b);
      }
      v[_PB_N - 1][i] = SCALAR_VAL(1.0);
      for (j = _PB_N - 2; j >= 1; j--)
        v[j][i] = p[i][j] * v[j + 1][i] + q[i][j];
    }
    /* row sweep */
    for (i = 1; i < _PB_N - 1; i++) {
      u[i][0] = SCALAR_VAL(1.0);
      p[i][0] = SCALAR_VAL(0.0);
      q[i][0] = u[i][0];
      for (j = 1; j < _PB_N - 1; j++) {
        p[i][j] = -f / (d * p[i][j - 1] + e);
        q[i][j] = (-a * v[i - 1][j] + (SCALAR_VAL(1.0) + SCALAR_VAL(2.0) * a) * v[i][j] - c * v[i + 1][j] - d * q[i][j - 1]) / (d * p[i][j - 1] + e);
      }
      u[i][_PB_N - 1] = SCALAR_VAL(1.0);
      for (j = _PB_N - 2; j >= 1; j--)
        u[i][j] = p[i][j] * u[i][j + 1] + q[i][j];
    }
  }
#pragma endscop
}

/* In-place LU decomposition without pivoting (Doolittle). */
static void kernel_lu(int n, DATA_TYPE POLYBENCH_2D(A, N, N, n, n))
{
  int i, j, k;

#pragma scop
  for (i = 0; i < _PB_N; i++) {
    for (j = 0; j < i; j++) {
      for (k = 0; k < j; k++)
        A[i][j] -= A[i][k] * A[k][j];
      A[i][j] /= A[j][j];
    }
    for (j = i; j < _PB_N; j++)
      for (k = 0; k < i; k++)
        A[i][j] -= A[i][k] * A[k][j];
  }
#pragma endscop
}

/* Cholesky factorization, lower triangle in place. */
static void kernel_cholesky(int n, DATA_TYPE POLYBENCH_2D(A, N, N, n, n))
{
  int i, j, k;

#pragma scop
  for (i = 0; i < _PB_N; i++) {
    for (j = 0; j < i; j++) {
      for (k = 0; k < j; k++)
        A[i][j] -= A[i][k] * A[j][k];
      A[i][j] /= A[j][j];
    }
    for (k = 0; k < i; k++)
      A[i][i] -= A[i][k] * A[i][k];
    A[i][i] = SQRT_FUN(A[i][i]);
  }
#pragma endscop
}

/* Forward substitution with a lower-triangular matrix. */
static void kernel_trisolv(int n, DATA_TYPE POLYBENCH_2D(L, N, N, n, n),
                           DATA_TYPE POLYBENCH_1D(x, N, n), DATA_TYPE POLYBENCH_1D(b, N, n))
{
  int i, j;

#pragma scop
  for (i = 0; i < _PB_N; i++) {
    x[i] = b[i];
    for (j = 0; j < i; j++)
      x[i] -= L[i][j] * x[j];
    x[i] = x[i] / L[i][i];
  }
#pragma endscop
}

/* All-pairs shortest paths. */
static void kernel_floyd_warshall(int n, int POLYBENCH_2D(path, N, N, n, n))
{
  int i, j, k;

#pragma scop
  for (k = 0; k < _PB_N; k++)
    for (i = 0; i < _PB_N; i++)
      for (j = 0; j < _PB_N; j++)
        path[i][j] = path[i][j] < path[i][k] + path[k][j] ? path[i][j] : path[i][k] + path[k][j];
#pragma endscop
}

#define max_score(s1, s2) ((s1 >= s2) ? s1 : s2)
#define match(b1, b2) (((b1) + (b2)) == 3 ? 1 : 0)

/* RNA folding (Nussinov): a dynamic program over a triangular table. */
static void kernel_nussinov(int n, char POLYBENCH_1D(seq, N, n), int POLYBENCH_2D(table, N, N, n, n))
{
  int i, j, k;

#pragma scop
  for (i = _PB_N - 1; i >= 0; i--) {
    for (j = i + 1; j < _PB_N; j++) {
      if (j - 1 >= 0)
        table[i][j] = max_score(table[i][j], table[i][j - 1]);
      if (i + 1 < _PB_N)
        table[i][j] = max_score(table[i][j], table[i + 1][j]);
      if (j - 1 >= 0 && i + 1 < _PB_N) {
        if (i < j - 1)
          table[i][j] = max_score(table[i][j], table[i + 1][j - 1] + match(seq[i], seq[j]));
        else
          table[i][j] = max_score(table[i][j], table[i + 1][j - 1]);
      }
      for (k = i + 1; k < j; k++)
        table[i][j] = max_score(table[i][j], table[i][k] + table[k + 1][j]);
    }
  }
#pragma endscop
}

/* Levinson-Durbin recursion for a Toeplitz system. */
static void kernel_durbin(int n, DATA_TYPE POLYBENCH_1D(r, N, n), DATA_TYPE POLYBENCH_1D(y, N, n))
{
  DATA_TYPE z[N];
  DATA_TYPE alpha, beta, sum;
  int i, k;

#pragma scop
  y[0] = -r[0];
  beta = SCALAR_VAL(1.0);
  alpha = -r[0];
  for (k = 1; k < _PB_N; k++) {
    beta = (1 - alpha * alpha) * beta;
    sum = SCALAR_VAL(0.0);
    for (i = 0; i < k; i++)
      sum += r[k - i - 1] * y[i];
    alpha = -(r[k] + sum) / beta;
    for (i = 0; i < k; i++)
      z[i] = y[i] + alpha * y[k - i - 1];
    for (i = 0; i < k; i++)
      y[i] = z[i];
    y[k] = alpha;
  }
#pragma endscop
}

/* Modified Gram-Schmidt QR. */
static void kernel_gramschmidt(int m, int n, DATA_TYPE POLYBENCH_2D(A, N, N, m, n),
                               DATA_TYPE POLYBENCH_2D(R, N, N, n, n), DATA_TYPE POLYBENCH_2D(Q, N, N, m, n))
{
  int i, j, k;
  DATA_TYPE nrm;

#pragma scop
  for (k = 0; k < _PB_N; k++) {
    nrm = SCALAR_VAL(0.0);
    for (i = 0; i < _PB_M; i++)
      nrm += A[i][k] * A[i][k];
    R[k][k] = SQRT_FUN(nrm);
    for (i = 0; i < _PB_M; i++)
      Q[i][k] = A[i][k] / R[k][k];
    for (j = k + 1; j < _PB_N; j++) {
      R[k][j] = SCALAR_VAL(0.0);
      for (i = 0; i < _PB_M; i++)
        R[k][j] += Q[i][k] * A[i][j];
      for (i = 0; i < _PB_M; i++)
        A[i][j] = A[i][j] - Q[i][k] * R[k][j];
    }
  }
#pragma endscop
}

static void init_matrix(int n, DATA_TYPE POLYBENCH_2D(A, N, N, n, n))
{
  int i, j;

  for (i = 0; i < n; i++)
    for (j = 0; j < n; j++)
      A[i][j] = (DATA_TYPE)((i * j + 1) % n) / n + (i == j ? n : 0);
}

int main(int argc, char **argv)
{
  int n = N, tsteps = TSTEPS;
  DATA_TYPE(*A)[N] = POLYBENCH_ALLOC_2D(DATA_TYPE, N, N);
  DATA_TYPE(*B)[N] = POLYBENCH_ALLOC_2D(DATA_TYPE, N, N);
  DATA_TYPE(*C)[N] = POLYBENCH_ALLOC_2D(DATA_TYPE, N, N);
  DATA_TYPE(*D)[N] = POLYBENCH_ALLOC_2D(DATA_TYPE, N, N);
  DATA_TYPE *x = POLYBENCH_ALLOC_1D(DATA_TYPE, N);
  DATA_TYPE *b = POLYBENCH_ALLOC_1D(DATA_TYPE, N);
  int(*path)[N] = POLYBENCH_ALLOC_2D(int, N, N);
  char *seq = POLYBENCH_ALLOC_1D(char, N);
  const char *which = argc > 1 ? argv[1] : "lu";

  init_matrix(n, A);
  polybench_start_instruments;
  if (!strcmp(which, "adi"))
    kernel_adi(tsteps, n, A, B, C, D);
  else if (!strcmp(which, "lu"))
    kernel_lu(n, A);
  else if (!strcmp(which, "cholesky"))
    kernel_cholesky(n, A);
  else if (!strcmp(which, "trisolv"))
    kernel_trisolv(n, A, x, b);
  else if (!strcmp(which, "floyd"))
    kernel_floyd_warshall(n, path);
  else if (!strcmp(which, "nussinov"))
    kernel_nussinov(n, seq, path);
  else if (!strcmp(which, "durbin"))
    kernel_durbin(n, b, x);
  else
    kernel_gramschmidt(n, n, A, B, C);
  polybench_stop_instruments;
  polybench_print_instruments;

  if (argc > 42)
    printf(DATA_PRINTF_MODIFIER "\n", A[n / 2][n / 2] + x[n / 2] + path[1][1]);

  POLYBENCH_FREE(A);
  POLYBENCH_FREE(B);
  POLYBENCH_FREE(C);
  POLYBENCH_FREE(D);
  POLYBENCH_FREE(x);
  POLYBENCH_FREE(b);
  POLYBENCH_FREE(path);
  POLYBENCH_FREE(seq);
  return 0;
}
