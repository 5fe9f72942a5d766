"""A stop asked for during a step ends the run at that step's end, without the step's check (issue 21:
the Rock tab's Stop took 77 s). The check can cost many steps' time; the checkpoint is all a stop waits for."""

import numpy as np
import pytest
import torch
from torch import nn

from core.errors import Cancelled
from core.jobs import CancelToken, TaskState
from core.train import LAST, TrainConfig, fit, load_checkpoint

torch.set_num_threads(1)


class StopInStep:
    """A toy task that asks for a stop inside step ``stop_at`` (as the Stop button does mid-step)."""

    kind = "toy-stop"
    format_version = 1

    def __init__(self, token: CancelToken, stop_at: int):
        self.token, self.stop_at, self.checked = token, stop_at, []

    def config_dict(self):
        return {}

    def build(self, device, cfg):
        net = nn.Linear(2, 1).to(device)
        return {"net": net}, {"net": torch.optim.SGD(net.parameters(), lr=0.1)}

    def sample(self, batch_size, rng):
        return torch.from_numpy(rng.standard_normal((batch_size, 2)).astype(np.float32))

    def train_step(self, batch, step, ctx):
        ctx.opts["net"].zero_grad()
        loss = ctx.nets["net"](ctx.to_device(batch)).pow(2).mean()
        ctx.backward(loss)
        ctx.step(ctx.opts["net"])
        if step + 1 == self.stop_at:
            self.token.cancel()
        return {"loss": loss.item()}

    def check(self, step, ctx):
        self.checked.append(step)
        return {"n": float(step)}


def test_a_stop_during_a_step_skips_its_check_and_saves_that_step(tmp_path):
    token = CancelToken()
    task = StopInStep(token, stop_at=4)
    cfg = TrainConfig(steps=100, batch_size=2, checkpoint_every=0, log_every=1, check_every=2, seed=0,
                      device="cpu", out_dir=str(tmp_path))
    with pytest.raises(Cancelled, match="step 4"):
        fit(task, cfg, state=TaskState(cancelled=token.is_set))
    assert task.checked == [2]                       # step 4's check is not waited for
    assert load_checkpoint(tmp_path / LAST)["step"] == 4
