"""G's convolutions for tiled inference: oneDNN conv3d, sub-pixel (nearest ×2 + conv) and lifted-slice convs."""

from __future__ import annotations

import torch
import torch.nn.functional as F

CL = torch.channels_last_3d  # measured ~1.5–2× faster for these convs with oneDNN on CPU


def conv3d(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None, padding: int = 0,
           mode: str = "zeros") -> torch.Tensor:
    """F.conv3d, but always through oneDNN on CPU: for thin inputs (a few planes) PyTorch's heuristic
    picks its slow im2col kernel instead (measured up to 10× slower on the slabs used here).
    ``mode`` "replicate": the input is padded with its edge values instead of zeros."""
    if padding and mode != "zeros":
        x = F.pad(x, (padding,) * 6, mode=mode).contiguous(memory_format=CL)
        padding = 0
    if x.device.type == "cpu" and torch.backends.mkldnn.is_available() and x.dtype in (torch.float32, torch.bfloat16):
        p = [padding] * 3
        return torch.ops.aten.mkldnn_convolution(x, w, b, p, [1, 1, 1], [1, 1, 1], 1)
    return F.conv3d(x, w, b, padding=padding)


def _tap_matrices():
    # nearest ×2 then a 3-tap conv: even outputs see (x[i-1], x[i]) with taps (k0, k1+k2),
    # odd outputs see (x[i], x[i+1]) with taps (k0+k1, k2).
    return [torch.tensor([[1.0, 0, 0], [0, 1, 1]]), torch.tensor([[1.0, 1, 0], [0, 0, 1]])]


def subpixel_kernels(weight: torch.Tensor) -> list[torch.Tensor]:
    """3×3×3 kernels (O,I,3,3,3) → the 8 phase kernels (O,I,2,2,2) of nearest-×2-upsample + conv."""
    m = [t.to(weight) for t in _tap_matrices()]
    return [torch.einsum("ai,bj,ck,oxijk->oxabc", m[pz], m[py], m[px], weight).contiguous()
            for pz in (0, 1) for py in (0, 1) for px in (0, 1)]


def subpixel_conv(x: torch.Tensor, kernels: list[torch.Tensor], mode: str = "zeros") -> torch.Tensor:
    """conv3d(upsample_nearest(x, 2), W, padding=1) computed from the low-resolution ``x``.
    Replicate padding commutes with nearest upsampling (the pad of the upsampled map at distance 1
    is the upsampled pad), so ``mode`` "replicate" is exact too; "reflect" would not be."""
    b, _, d, h, w = x.shape
    xp = F.pad(x, (1, 1, 1, 1, 1, 1), mode="constant" if mode == "zeros" else mode).contiguous(memory_format=CL)
    out = torch.empty((b, kernels[0].shape[0], 2 * d, 2 * h, 2 * w), dtype=x.dtype, device=x.device,
                      memory_format=CL)
    i = 0
    for pz in (0, 1):
        for py in (0, 1):
            for px in (0, 1):
                out[:, :, pz::2, py::2, px::2] = conv3d(
                    xp[:, :, pz:pz + d + 1, py:py + h + 1, px:px + w + 1], kernels[i])
                i += 1
    return out


def padded_depth_weight(w: torch.Tensor, mode: str) -> torch.Tensor:
    """w(d) with one value beyond either face, as G's padding sees it (zeros, replicate or reflect)."""
    pad = {"zeros": (w.new_zeros(1), w.new_zeros(1)), "replicate": (w[:1], w[-1:]),
           "reflect": (w[1:2], w[-2:-1])}[mode]
    return torch.cat([pad[0], w, pad[1]])


def depth_taps(wpad: torch.Tensor, z0: int, zd: int) -> torch.Tensor:
    """(zd, 4): w(d) under each of the three depth taps of planes z0..z0+zd, then 1 for the bias."""
    return torch.stack([wpad[z0 + kd:z0 + kd + zd] for kd in range(3)] + [wpad.new_ones(zd)], 1)


def lifted_maps(feat: torch.Tensor, w1l: torch.Tensor, bias: torch.Tensor, yr, xr, mode: str) -> torch.Tensor:
    """(4, Y·X, O): the first conv's weights on the lifted slice features f(y,x)·w(d), as three 2D convs
    of the slice (one per depth tap) over rows ``yr`` and columns ``xr``, plus the bias; channels last."""
    (y0, y1), (x0, x1) = yr, xr
    hs, ws = feat.shape[2:]
    f = feat[:, :, max(y0 - 1, 0):min(y1 + 1, hs), max(x0 - 1, 0):min(x1 + 1, ws)]
    f = torch.cat([f, torch.ones_like(f[:, :1])], 1)  # the w(d) channel: w · 1
    f = F.pad(f, (int(x0 == 0), int(x1 == ws), int(y0 == 0), int(y1 == hs)),
              mode="constant" if mode == "zeros" else mode)
    o = w1l.shape[0]
    k = torch.cat([w1l[:, :, kd] for kd in range(3)], 0)  # (3·O, cf+1, 3, 3)
    p = F.conv2d(f, k).view(3, o, (y1 - y0) * (x1 - x0))
    p = torch.cat([p, bias.view(1, o, 1).expand(1, o, p.shape[2])], 0)  # (4, O, Y·X)
    return p.transpose(1, 2).contiguous()
