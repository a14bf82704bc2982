"""Int8 activations for the 4-bit layers of many-row decode steps, smoothed by statistics of the model's own text.

At 8 rows or more the CPU multiplies int8 by int8 (`torch._int_mm`, VNNI instructions) several times faster
than torch's int4pack kernel, which unpacks the weights again for each small tile of rows. The inputs must
then be int8 too, with one scale per row, and a row's few large channels set that scale for all of its
channels: a layer's output moves several times more than the 4-bit weights themselves move it.

SmoothQuant (Xiao et al., 2023) moves that range into the weights: the input is divided channel by channel
by ``s = max|x|^alpha`` and the weight's columns multiplied by it, which leaves the product unchanged and
the input flatter. ``max|x|`` per channel needs activations. Here they come from text the model writes
itself from an empty chat turn (fixed seeds), so no corpus or domain enters the calibration and a replica
needs no data to build it.

Written by hand: torch.ao's quantizers calibrate per-tensor activation scales with observers over user data
and target their own int8 Linear modules, not these 4-bit layers; SmoothQuant's reference code is a
research repository for GPUs.

Used on CPUs with int8 dot products but no AMX tiles (`cpu_kernels.plan_kernels`): with tiles, the dense
bfloat16 copies are at least as fast from a few rows and round nothing but the activations to bfloat16.
"""

from __future__ import annotations

import logging
import time

import torch

from deployments.llm.int4 import Int4Linear
from deployments.llm.jobs import GenerationJob
from deployments.llm.llama_decoder import LlamaDecoder
from deployments.llm.runner import causal_mask

logger = logging.getLogger("ray.serve")

SAMPLES = 4  # texts the model writes for calibration
SAMPLE_TOKENS = 96


class _NoCache:
    """A prefill's keys and values, kept by nobody: calibration only needs the layers' inputs."""

    def update(self, keys: torch.Tensor, values: torch.Tensor, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return keys, values


def _targets(model: torch.nn.Module, layers: frozenset[str]) -> dict[str, Int4Linear]:
    return {name: module for name, module in model.named_modules()
            if isinstance(module, Int4Linear) and name.rsplit(".", 1)[-1] in layers}


def calibration_texts(engine, samples: int = SAMPLES, tokens: int = SAMPLE_TOKENS) -> list[list[int]]:
    """Prompts made of what the model writes after an empty user turn, sampled at temperature 1 with fixed seeds."""
    start = engine.chat_prompt([{"role": "user", "content": ""}])
    jobs = [GenerationJob(start, tokens, temperature=1.0, seed=seed) for seed in range(samples)]
    engine.generate(jobs)
    return [engine.chat_prompt([{"role": "user", "content": job.text}]) for job in jobs]


def channel_maxima(decoder: torch.nn.Module, targets: dict[str, Int4Linear], prompts: list[list[int]]) -> dict[str, torch.Tensor]:
    """Each target layer's largest absolute input per channel over the prefills of ``prompts``."""
    maxima: dict[str, torch.Tensor] = {}

    def recorder(name: str):
        def hook(module, inputs, output) -> None:
            seen = inputs[0].detach().reshape(-1, module.in_features).abs().amax(0).float()
            maxima[name] = seen if name not in maxima else torch.maximum(maxima[name], seen)
        return hook

    hooks = [module.register_forward_hook(recorder(name)) for name, module in targets.items()]
    try:
        with torch.inference_mode():
            for ids in prompts:
                positions = torch.arange(len(ids))
                decoder(torch.tensor([ids]), positions[None], causal_mask(positions, len(ids)), _NoCache())
    finally:
        for hook in hooks:
            hook.remove()
    return maxima


def enable_int8(engine, rows: int, layers: frozenset[str], alpha: float) -> int:
    """Give the engine's 4-bit ``layers`` int8 copies used from ``rows`` rows, smoothed with exponent ``alpha``;
    returns how many layers got one. Only Medici's Llama decoder can run a calibration prefill here."""
    decoder = engine.model.model
    if not isinstance(decoder, LlamaDecoder):
        return 0
    targets = _targets(decoder, layers)
    if not targets:
        return 0
    started = time.perf_counter()
    maxima = channel_maxima(decoder, targets, calibration_texts(engine))
    for name, module in targets.items():
        module.enable_int8(rows, maxima[name].clamp(min=1e-5).pow(alpha))
    decoder.reset_decode_step()  # the flat weight lists are rebuilt with the int8 copies
    logger.info("int8 copies of %d layers for steps of %d rows or more, calibrated in %.1fs",
                len(targets), rows, time.perf_counter() - started)
    return len(targets)
