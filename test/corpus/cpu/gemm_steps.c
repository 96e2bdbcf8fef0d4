/* Single-precision GEMM in steps, each step a routine: C += A * B, row-major, m x k times k x n. */
#include <stddef.h>

#define AT(i, p) A[(size_t)(i) * lda + (p)]
#define BT(p, j) B[(size_t)(p) * ldb + (j)]
#define CT(i, j) C[(size_t)(i) * ldc + (j)]
#define NC 512
#define KC 256

static void dot_col(int k, const float *a, const float *b, int ldb, float *c) {
  float acc = *c;
  for (int p = 0; p < k; ++p) acc += a[p] * b[(size_t)p * ldb];
  *c = acc;
}

static void micro_1x4(int k, const float *a, const float *b, int ldb, float *c) {
  dot_col(k, a, b + 0, ldb, c + 0);
  dot_col(k, a, b + 1, ldb, c + 1);
  dot_col(k, a, b + 2, ldb, c + 2);
  dot_col(k, a, b + 3, ldb, c + 3);
}

void sgemm_step1(int m, int n, int k, const float *A, int lda, const float *B, int ldb, float *C, int ldc) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j)
      dot_col(k, &AT(i, 0), &BT(0, j), ldb, &CT(i, j));
}

void sgemm_step2(int m, int n, int k, const float *A, int lda, const float *B, int ldb, float *C, int ldc) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; j += 4)
      micro_1x4(k, &AT(i, 0), &BT(0, j), ldb, &CT(i, j));
}

static void macro_kernel(int m, int n, int k, const float *A, int lda, const float *B, int ldb, float *C, int ldc) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; j += 4)
      micro_1x4(k, &AT(i, 0), &BT(0, j), ldb, &CT(i, j));
}

void sgemm_step3(int m, int n, int k, const float *A, int lda, const float *B, int ldb, float *C, int ldc) {
  for (int jc = 0; jc < n; jc += NC) {
    int nb = n - jc < NC ? n - jc : NC;
    for (int pc = 0; pc < k; pc += KC) {
      int kb = k - pc < KC ? k - pc : KC;
      macro_kernel(m, nb, kb, &AT(0, pc), lda, &BT(pc, jc), ldb, &CT(0, jc), ldc);
    }
  }
}
