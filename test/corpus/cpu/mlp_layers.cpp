// Methods of the header's Dense layer, a per-layer update loop and a mini-batch driver.
#include "mlp_layers.h"
#include <cstdlib>

Dense::Dense(int in, int out) : in_size(in), out_size(out), weights(out, std::vector<real>(in, 0.01)), bias(out, 0.0) {}

void Dense::forward(const std::vector<real>& in, std::vector<real>& out) const {
    for (int j = 0; j < out_size; ++j) {
        real sum = bias[j];
        for (int k = 0; k < in_size; ++k) sum += weights[j][k] * in[k];
        out[j] = sum;
    }
}

// the transposed product walks a column of `weights` in its inner loop
void Dense::backward(const std::vector<real>& delta, std::vector<real>& prev_delta) const {
    for (int k = 0; k < in_size; ++k) {
        real sum = 0;
        for (int j = 0; j < out_size; ++j) sum += weights[j][k] * delta[j];
        prev_delta[k] = sum;
    }
}

struct Layer {
    int in, out;
    std::vector<std::vector<real> > W, gradW;
    std::vector<real> delta, a;
};

// each pass of `l` names another layer: nothing is re-read across layers
void apply_gradients(std::vector<Layer>& net, real lr) {
    for (size_t l = 0; l < net.size(); ++l) {
        Layer& L = net[l];
        for (int o = 0; o < L.out; ++o)
            for (int i = 0; i < L.in; ++i) {
                L.W[o][i] -= lr * L.gradW[o][i];
                L.gradW[o][i] = 0.0;
            }
    }
}

// one dense layer over a batch of samples: the whole weight matrix is swept for every sample
void dense_batch(const real* X, const real* W, real* Y, int batch, int in, int out) {
    for (int b = 0; b < batch; ++b)
        for (int o = 0; o < out; ++o) {
            real s = 0.0;
            for (int i = 0; i < in; ++i) s += X[b * in + i] * W[o * in + i];
            Y[b * out + o] = s;
        }
}

int main(int argc, char** argv) {
    const int batch = argc > 1 ? atoi(argv[1]) : 64;
    const int in = 784, out = 1024, n = 60000;
    std::vector<real> X((size_t)n * in), W((size_t)out * in), Y((size_t)batch * out);
    for (int s = 0; s + batch <= n; s += batch)
        dense_batch(X.data() + (size_t)s * in, W.data(), Y.data(), batch, in, out);
    return 0;
}
