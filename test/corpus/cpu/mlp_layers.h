// A small MLP's layer class, declared in a header as C++ projects do; its methods are defined in
// mlp_layers.cpp.
#ifndef MLP_LAYERS_H
#define MLP_LAYERS_H
#include <vector>

typedef double real;

class Dense {
public:
    Dense(int in_size, int out_size);
    void forward(const std::vector<real>& in, std::vector<real>& out) const;
    void backward(const std::vector<real>& delta, std::vector<real>& prev_delta) const;
    int in_size, out_size;
    std::vector<std::vector<real> > weights;  // [out][in]
    std::vector<real> bias;
};

#endif
