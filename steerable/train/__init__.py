"""Training pipeline: deterministic, resumable, interruptible training with metrics and DDP support.

* :class:`TrainConfig` / :func:`train`: run a configuration (see :mod:`.trainer`);
* :func:`evaluate`, :func:`rotation_table`: test accuracy and the rotation-invariance test;
* :func:`run_compare`: the CNN-vs-equivariant comparison behind ``steerable compare``.
"""
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .config import TrainConfig
from .data import DataBundle, DataUnavailable, epoch_order, load_data
from .invariance import DEFAULT_ANGLES, format_table, parse_angles, plot_accuracy_vs_angle, rotate_images, rotation_table
from .trainer import (
    METRIC_FIELDS, TIMING_FIELDS, GracefulInterrupt, TrainingInterrupted, build_from_checkpoint, evaluate,
    resolve_device, train,
)

__all__ = [
    "TrainConfig", "train", "evaluate", "TrainingInterrupted", "GracefulInterrupt", "CheckpointError",
    "load_checkpoint", "save_checkpoint", "build_from_checkpoint", "resolve_device", "DataBundle", "DataUnavailable",
    "load_data", "epoch_order", "rotation_table", "rotate_images", "format_table", "plot_accuracy_vs_angle",
    "parse_angles", "DEFAULT_ANGLES", "METRIC_FIELDS", "TIMING_FIELDS",
]
