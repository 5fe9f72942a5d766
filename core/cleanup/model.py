"""The U-Net: conv blocks down, transposed convs up, skip connections, BatchNorm + ReLU after each.

    level 0 (full res)  [conv-BN-ReLU ×2] ─────────────── skip ──────────────→ concat → [conv-BN-ReLU ×2] → 1×1 → logit
         ↓ max-pool 2                                                                ↑ convT 2×2 s2-BN-ReLU
    level 1             [conv-BN-ReLU ×2] ──── skip ────→ concat → [conv-BN-ReLU ×2]
         ↓ …                                                     ↑ …
    bottleneck          [conv-BN-ReLU ×2]

Any input size works: ``forward`` pads (reflect) to a multiple of 2**depth and crops back.
The output is one logit per pixel (line/ink when > 0); train with BCE-with-logits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import UNetConfig
from .widen import widen_state


def conv_bn_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class Block(nn.Sequential):
    """Two 3×3 conv + BN + ReLU."""

    def __init__(self, cin: int, cout: int):
        super().__init__(conv_bn_relu(cin, cout), conv_bn_relu(cout, cout))


class Up(nn.Module):
    """Transposed conv (×2) + BN + ReLU, concatenate the skip, then a Block."""

    def __init__(self, cin: int, cskip: int, cout: int):
        super().__init__()
        self.up = nn.Sequential(nn.ConvTranspose2d(cin, cout, 2, stride=2, bias=False), nn.BatchNorm2d(cout),
                                nn.ReLU(inplace=True))
        self.block = Block(cout + cskip, cout)

    def forward(self, x, skip):
        return self.block(torch.cat([self.up(x), skip], 1))


class UNet(nn.Module):
    def __init__(self, cfg: UNetConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.widths()
        self.down = nn.ModuleList([Block(cfg.in_channels, w[0])] +
                                  [Block(w[i - 1], w[i]) for i in range(1, cfg.depth)])
        self.bottom = Block(w[cfg.depth - 1], w[cfg.depth])
        self.up = nn.ModuleList([Up(w[i + 1], w[i], w[i]) for i in reversed(range(cfg.depth))])
        self.head = nn.Conv2d(w[0], 1, 1)

    def grow_state_dict(self, state: dict, config: dict) -> dict:
        """``state`` of a U-Net with settings ``config`` as weights of this one: widened (same function)
        when this one is wider (``--init`` from a narrower model), else unchanged."""
        old = UNetConfig.from_dict(config)
        if old.widths() == self.cfg.widths():
            return state
        return widen_state(state, old, self.cfg)

    def forward_aligned(self, x: torch.Tensor) -> torch.Tensor:
        """Forward for inputs whose height and width are multiples of 2**depth (no padding)."""
        skips = []
        for blk in self.down:
            x = blk(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottom(x)
        for up, skip in zip(self.up, reversed(skips)):
            x = up(x, skip)
        return self.head(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) → (N, 1, H, W) logits for any H, W (reflect-padded to a multiple of 2**depth)."""
        h, w = x.shape[-2:]
        m = self.cfg.multiple
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:
            mode = "reflect" if (h > ph and w > pw) else "replicate"
            x = F.pad(x, (0, pw, 0, ph), mode=mode)
        return self.forward_aligned(x)[..., :h, :w]


def fuse_for_inference(net: UNet) -> nn.Module:
    """A copy with each BatchNorm folded into the conv before it (eval mode only): ~25 % faster on CPU."""
    import copy

    from torch.nn.utils.fusion import fuse_conv_bn_eval

    net = copy.deepcopy(net).eval()
    for mod in net.modules():
        if isinstance(mod, nn.Sequential) and len(mod) == 3 and isinstance(mod[1], nn.BatchNorm2d):
            if isinstance(mod[0], nn.Conv2d):
                mod[0] = fuse_conv_bn_eval(mod[0], mod[1])
                mod[1] = nn.Identity()
            elif isinstance(mod[0], nn.ConvTranspose2d):
                mod[0] = fuse_conv_bn_eval(mod[0], mod[1], transpose=True)
                mod[1] = nn.Identity()
    return net


def count_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


class _ConvReLU(nn.Module):
    """Conv (BatchNorm already folded in) + ReLU as one oneDNN call (the ReLU is a post-op: no extra pass)."""

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        self.weight = nn.Parameter(conv.weight.detach().contiguous(memory_format=torch.channels_last),
                                   requires_grad=False)
        self.bias = nn.Parameter(conv.bias.detach().clone(), requires_grad=False)
        self.args = (list(conv.padding), list(conv.stride), list(conv.dilation), conv.groups)

    def forward(self, x):
        p, s, d, g = self.args
        return torch.ops.mkldnn._convolution_pointwise(x, self.weight, self.bias, p, s, d, g, "relu", [None], "")


def _pointwise_ok() -> bool:
    """Whether this torch build has the oneDNN conv+ReLU op and it matches conv → ReLU."""
    try:
        conv = nn.Conv2d(2, 3, 3, padding=1).eval()
        x = torch.rand(1, 2, 8, 8).contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            return bool(torch.allclose(_ConvReLU(conv)(x), torch.relu(conv(x)), atol=1e-5))
    except Exception:  # an internal op: absent or different in some builds
        return False


def cpu_inference_net(fused: nn.Module, dtype: torch.dtype = torch.float32) -> nn.Module:
    """A fused (BN-folded) U-Net for CPU inference: channels-last, ``dtype`` weights, conv+ReLU in one call.

    Falls back to plain modules when the oneDNN op is missing; the maths is the same either way.
    """
    fused = fused.to(memory_format=torch.channels_last)
    if _pointwise_ok():
        for mod in fused.modules():
            if (isinstance(mod, nn.Sequential) and len(mod) == 3 and isinstance(mod[0], nn.Conv2d)
                    and isinstance(mod[2], nn.ReLU)):
                mod[0] = _ConvReLU(mod[0])
                mod[2] = nn.Identity()
    return fused.to(dtype)
