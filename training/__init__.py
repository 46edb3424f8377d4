"""MNIST training: loading (training.data), the network (training.network), synthetic canvas
drawings (training.drawings) and training and evaluation (training.trainer). Plain Python;
TensorFlow is imported only inside functions."""
