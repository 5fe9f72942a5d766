"""Video continuation with a Latent Video Transformer (Rakhimov, Volkhonskiy et al.).

mnist.py: Moving MNIST from the shared digits (binding split); vqvae.py: per-frame VQ-VAE with a
codebook split into n_c parts and EMA updates; transformer.py: block-local autoregressive
transformer over the latent video; cli.py: ``seqgen video ...``. Never imports Qt.
"""
