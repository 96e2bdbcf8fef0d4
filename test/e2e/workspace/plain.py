# Plain Python with no Triton: Kernel Advisor must stay quiet here, even on a loop nest.


def matmul(a, b):
    n, m, p = len(a), len(b), len(b[0])
    c = [[0.0] * p for _ in range(n)]
    for i in range(n):
        for j in range(p):
            for k in range(m):
                c[i][j] += a[i][k] * b[k][j]
    return c


def relu(values):
    return [max(v, 0.0) for v in values]


if __name__ == "__main__":
    print(relu(matmul([[1.0, -2.0]], [[3.0], [4.0]])[0]))
