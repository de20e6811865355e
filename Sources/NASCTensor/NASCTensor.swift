// NASCTensor: tensors, CPU kernels, reverse-mode autodiff, optimizers, checkpoints.
