"""Drawing cleanup: a U-Net turns scanned technical drawings into clean binary line art.

Qt-free API (the GUI's Cleanup tab and ``seqgen clean`` use the same calls)::

    from core.cleanup import load_model, plan_batch, run_batch, read_pages, predict, binarize_prob
    model = load_model()                       # shipped resources/models/cleanup_unet.pt (or a path)
    plan = plan_batch(paths, out_dir)          # jobs (src → dst); InputError if an input would be overwritten
    report = run_batch(plan, model, threshold=0.5, on_file=cb, state=TaskState(progress, token.is_set))
    prob = predict(model, read_pages(path)[0], state=state)   # before/after view; float32 in [0, 1]
    ink = binarize_prob(prob, threshold)                       # live threshold: uint8, 1 = ink

Training: ``train(UNetConfig(), TrainConfig(...))`` (core.train underneath, kind "cleanup-unet").
Data: ``synth.make_pair(seed, h, w)`` (synthetic drawings + scan degradations; held-out seeds 2**61 + i).
"""

from .batch import REPORT_NAME, BatchPlan, BatchReport, FileJob, clean_file, clean_paths, plan_batch, run_batch
from .config import UNetConfig
from .evaluate import all_metrics, evaluate_heldout, evaluate_pairs, f_measure, iou, otsu, psnr, sauvola
from .infer import (DEFAULT_OVERLAP, DEFAULT_THRESHOLD, DEFAULT_TILE, CleanupModel, binarize_prob, clean_image,
                    default_model_path, load_model, predict, to_paper)
from .model import UNet
from .scanio import count_pages, iter_pages, read_pages, write_pages
from .synth import Degradations, heldout_seeds, make_pair
from .task import KIND, CleanupTask
from .train import train

__all__ = ["REPORT_NAME", "BatchPlan", "BatchReport", "FileJob", "clean_file", "clean_paths", "plan_batch",
           "run_batch", "UNetConfig", "all_metrics", "evaluate_heldout", "evaluate_pairs", "f_measure", "iou",
           "otsu", "psnr", "sauvola", "DEFAULT_OVERLAP", "DEFAULT_THRESHOLD", "DEFAULT_TILE", "CleanupModel",
           "binarize_prob", "clean_image", "default_model_path", "load_model", "predict", "to_paper", "UNet",
           "count_pages", "iter_pages", "read_pages", "write_pages", "Degradations", "heldout_seeds", "make_pair",
           "KIND", "CleanupTask", "train"]
