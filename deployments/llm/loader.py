"""Loads the model and tokenizer for a replica: device and precision from what Ray gave it."""

from __future__ import annotations

import logging
import os
import time

import torch

from deployments.llm.engine import Engine
from deployments.llm.model_source import resolve
from deployments.llm.settings import LLMSettings

logger = logging.getLogger("ray.serve")

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def pick_device(setting: str) -> torch.device:
    """The GPU when Ray assigned one (CUDA_VISIBLE_DEVICES is set per replica), else the CPU."""
    if setting == "cpu" or (setting == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError("device=cuda but no GPU is visible to this replica (set num_gpus: 1)")
    return torch.device("cuda")


def pick_dtype(setting: str, device: torch.device) -> torch.dtype:
    if setting == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return _DTYPES[setting]


def configure_threads(setting: int | None) -> int:
    """Torch's CPU threads: the setting, else every core (Ray may have set OMP_NUM_THREADS lower)."""
    threads = setting or os.cpu_count() or 1
    torch.set_num_threads(threads)
    return threads


def load_engine(settings: LLMSettings, metrics=None) -> Engine:
    """The default engine factory: the model and tokenizer named by ``settings`` in a batching `Engine`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer  # heavy: only inside a replica

    started = time.perf_counter()
    source = resolve(settings.model, settings.allow_download)
    device = pick_device(settings.device)
    dtype = pick_dtype(settings.dtype, device)
    threads = configure_threads(settings.torch_threads)
    common = {"gguf_file": source.gguf_file, "local_files_only": source.local_only}
    tokenizer = AutoTokenizer.from_pretrained(source.path, **common)
    model = AutoModelForCausalLM.from_pretrained(source.path, dtype=dtype, **common).to(device).eval()
    logger.info(
        "loaded %s%s on %s as %s with %d CPU threads in %.1fs",
        source.path,
        f" ({source.gguf_file})" if source.gguf_file else "",
        device,
        dtype,
        threads,
        time.perf_counter() - started,
    )
    return Engine(model, tokenizer, device, metrics=metrics)
