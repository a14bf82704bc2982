"""Loads the model and tokenizer for a replica: device and precision from what Ray gave it."""

from __future__ import annotations

import logging
import os
import time

import torch

from deployments.llm.cpu_kernels import AMX_HEAD_BF16_ROWS, CpuFeatures, cpu_features, enable_bf16, plan_kernels
from deployments.llm.engine import Engine
from deployments.llm.head import int8_dynamic, quantize_head_int8
from deployments.llm.int4 import quantize_int4
from deployments.llm.int8_calibration import enable_int8
from deployments.llm.llama_decoder import use_llama_decoder
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


def pick_quantize(setting: str, device: torch.device, gguf_file: str | None) -> str:
    """auto: 4-bit layers on the CPU when the weights came from a GGUF file, whose Linear weights are 4-bit
    blocks already; a dense checkpoint stays as it is unless quantization is asked for."""
    if setting != "auto":
        return setting
    return "int4" if device.type == "cpu" and gguf_file is not None else "none"


def configure_threads(setting: int | None, interop: int | None = None) -> int:
    """Torch's CPU threads: the setting, else every core but one (Ray may have set OMP_NUM_THREADS lower).

    The decode loop runs in its own thread while the replica's event loop, the Serve proxy and the
    tokenizer need a core too; on a small machine a decode team spread over every core contends with them
    (bench/engine_speed.py's t1/t2 variants and bench/vs_llamacpp.py measure the choice)."""
    threads = setting or max(1, (os.cpu_count() or 1) - 1)
    torch.set_num_threads(threads)
    if interop is not None and torch.get_num_interop_threads() != interop:
        try:
            torch.set_num_interop_threads(interop)
        except RuntimeError:  # torch allows it once, before any inter-op work; later calls keep the first
            logger.warning("torch inter-op threads already fixed at %d", torch.get_num_interop_threads())
    return threads


def quantize_int8(model):
    """The decoder's Linear layers as int8 weights with per-batch dynamic activation scales: a quarter of
    float32's bytes read per decode step, the step's bound on CPU. The embedding stays float32 (an
    embedding lookup reads one row per token, not the matrix); the head is `quantize_head_int8`'s."""
    model.model = int8_dynamic(model.model)
    return model


def pick_head(setting: bool | None, quantize: str) -> bool:
    """auto (None): an int8 head whenever the decoder's layers are quantized, i.e. on the CPU for a GGUF."""
    return quantize != "none" if setting is None else setting


def load_engine(settings: LLMSettings, metrics=None, features: CpuFeatures | None = None) -> Engine:
    """The default engine factory: the model and tokenizer named by ``settings`` in a batching `Engine`.

    ``features``: the CPU's flags as the kernel choice sees them (None: read from /proc/cpuinfo; benches pass
    fewer to compare the kernels another CPU would get)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer  # heavy: only inside a replica

    started = time.perf_counter()
    source = resolve(settings.model, settings.allow_download)
    device = pick_device(settings.device)
    dtype = pick_dtype(settings.dtype, device)
    quantize = pick_quantize(settings.quantize, device, source.gguf_file)
    if quantize != "none":
        if device.type != "cpu":
            raise ValueError(f"quantize={quantize} is a CPU setting; this replica runs on {device}")
        dtype = torch.float32  # quantized layers take float32 inputs (int4 casts its own to bfloat16)
    threads = configure_threads(settings.torch_threads, settings.torch_interop_threads)
    common = {"gguf_file": source.gguf_file, "local_files_only": source.local_only}
    tokenizer = AutoTokenizer.from_pretrained(source.path, **common)
    model = AutoModelForCausalLM.from_pretrained(source.path, dtype=dtype, **common).to(device).eval()
    # before quantizing: it fuses layers
    own_decoder = settings.llama_decoder and use_llama_decoder(model, settings.decode_step)
    if quantize == "int8":
        model = quantize_int8(model)
    elif quantize == "int4":
        error = quantize_int4(model.model, dense_rows=settings.int4_dense_rows)
        logger.info("4-bit Linear layers: largest weight change %.3g", error)
    head = pick_head(settings.quantize_lm_head, quantize)
    if head:  # 8-bit, as a GGUF stores it: a 4-bit head loses too much
        if device.type != "cpu":
            raise ValueError(f"quantize_lm_head is a CPU setting; this replica runs on {device}")
        model = quantize_head_int8(model, settings.lm_head_exact_top_k)
    logger.info(
        "loaded %s%s on %s as %s%s%s%s with %d CPU threads in %.1fs",
        source.path,
        f" ({source.gguf_file})" if source.gguf_file else "",
        device,
        dtype,
        f" ({quantize} Linear layers)" if quantize != "none" else "",
        f", int8 head rescoring the best {settings.lm_head_exact_top_k}" if head else "",
        f", Medici's Llama decoder (decode step: {settings.decode_step})" if own_decoder else "",
        threads,
        time.perf_counter() - started,
    )
    engine = Engine(model, tokenizer, device, metrics=metrics)
    if quantize == "int4" and own_decoder:
        choose_decode_kernels(engine, settings, features or cpu_features())
    return engine


def choose_decode_kernels(engine: Engine, settings: LLMSettings, features: CpuFeatures) -> None:
    """The 4-bit decode step's kernel per layer group from the CPU's flags (`cpu_kernels`), logged at load:
    bfloat16 on AMX tiles, else calibrated int8 copies on VNNI (int4_int8_*), else the 4-bit kernel alone."""
    plan = plan_kernels(features, settings.int4_int8_rows, frozenset(settings.int4_int8_layers))
    if plan.bf16_rows:
        enable_bf16(engine.model.model, plan.bf16_rows)
    elif plan.int8_rows:
        enable_int8(engine, plan.int8_rows, plan.int8_groups, settings.int4_int8_smoothing)
    head = engine.model.get_output_embeddings()
    head_kernel = (f"int8 dynamic (fbgemm), best {head.exact_top_k} rescored in float32"
                   if hasattr(head, "exact_top_k") else "as loaded")
    if plan.bf16_rows and hasattr(head, "enable_bf16"):
        head.enable_bf16(AMX_HEAD_BF16_ROWS)
        head_kernel += f"; bfloat16 on AMX tiles from {AMX_HEAD_BF16_ROWS} rows"
    logger.info("decode kernels on %s: %s; head: %s", features.describe(), plan.describe(), head_kernel)
