"""Video continuation with a Latent Video Transformer (Rakhimov, Volkhonskiy et al.).

config.py: model settings, checkpoint kinds and formats; vqvae.py: per-frame VQ-VAE with a codebook
split into n_c parts, EMA updates and a configurable grid factor; layout.py: the token order (frame
by frame, position by position, part by part); model.py: the causal transformer over one window of
codes, with a key/value cache; sampling.py: greedy or sampled continuation; task.py: both training
tasks for the shared trainer; loader.py: checkpoints; train.py, evaluate.py, cli.py
(``seqgen video ...``), gui_support.py (the Video tab's Qt-free side); mnist.py: Moving MNIST.
Never imports Qt.
"""
