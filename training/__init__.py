"""MNIST training: loading (training.data), the network (training.network), synthetic canvas
drawings (training.drawings), training (training.trainer) and how a network is judged
(training.evaluation). Plain Python;
TensorFlow is imported only inside functions."""
