"""Training configuration (a plain dataclass, stored in every checkpoint and metrics file)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TrainConfig"]


@dataclass
class TrainConfig:
    """Everything that determines a training run.

    Two runs with equal configs (and the same software, device and thread count) produce the
    same metrics bit for bit, whether or not they were interrupted and resumed.

    Attributes:
        model: model name for :func:`steerable.models.build_model`.
        model_kwargs: keyword arguments of the model (``width``...).
        dataset: dataset name for :func:`steerable.datasets.get_dataset`.
        data_root: directory with dataset files (``root=``), if any.
        n_train, n_test: split sizes (``None``: the dataset's defaults).
        data_seed: seed of the dataset (split and rotation angles), fixed across training seeds.
        epochs: total epochs.
        batch_size: global batch size (split across processes under DDP).
        optimizer: ``'adam'`` (default) or ``'sgd'`` (with ``momentum``).
        lr: learning rate; lr_decay: multiplied into the rate after every epoch.
        weight_decay: weight decay.
        seed: seed of the model initialisation, the data order (``seed``, ``epoch``) and dropout.
        out: output directory (checkpoint, metrics).
        device: ``'auto'`` (cuda if available, else cpu), ``'cpu'``, ``'cuda'``, ``'cuda:1'``...
        dtype: ``'float32'`` or ``'float64'``.
        amp: mixed precision (float16 autocast + grad scaling on GPU; bfloat16 autocast on CPU).
        compile: ``torch.compile`` the model.
        eval_batch_size: batch size of evaluation.
    """

    model: str = "cnn"
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    dataset: str = "mnist-rot"
    data_root: str | None = None
    n_train: int | None = None
    n_test: int | None = None
    data_seed: int = 0
    epochs: int = 5
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = 2e-3
    lr_decay: float = 0.8
    weight_decay: float = 0.0
    momentum: float = 0.9
    seed: int = 0
    out: str = "runs/train"
    device: str = "auto"
    dtype: str = "float32"
    amp: bool = False
    compile: bool = False
    eval_batch_size: int = 500

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown config keys {sorted(unknown)}")
        return cls(**d)

    def validate(self) -> "TrainConfig":
        if self.epochs < 0:
            raise ValueError(f"epochs must be >= 0, got {self.epochs}")
        if self.batch_size < 1 or self.eval_batch_size < 1:
            raise ValueError(f"batch sizes must be >= 1, got {self.batch_size}, {self.eval_batch_size}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay}")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        return self

    # fields that may differ between an interrupted run and its resumption
    RESUMABLE_OVERRIDES = ("epochs", "out", "device", "compile")
