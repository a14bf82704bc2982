"""A Llama-architecture decoder forward written for the engine's two shapes: one row's prompt, one token per row.

transformers' generic modelling code runs about twenty small tensor operations per layer beside the
matrix products (rotary tables recomputed every forward, dtype casts, three query/key/value products,
per-call mask and GQA handling). With 4-bit weights on the CPU those operations, not the weights,
set most of a small model's decode step. This module keeps the same arithmetic and removes the rest:

- the query, key and value projections are one Linear layer, and so are the MLP's gate and up
  projections (one kernel call instead of three and two; each output column is computed as before);
- the rotary cos/sin come from a table built once with transformers' own formula;
- attention calls SDPA the way transformers' SDPA integration does (one query token: the query heads
  of each key/value head packed as its queries; a prompt: key/value heads repeated);
- a decode step (one token per row, over the engine's slot cache) runs all layers in one call of
  `decode_step.decode_layers` (``step``: "script" scripted by TorchScript, "python" as it is; "layers":
  layer by layer like a prefill).

Greedy outputs match transformers' forward on the same weights (tests/unit/llm/test_llama_decoder.py).
It is used only for configurations it reproduces (`supports`); any other model keeps transformers'
forward. Written by hand because no maintained library offers a CPU decode path for continuously
batched rows of different lengths (vLLM's CPU backend is a separate server, llama.cpp is not torch).
"""

from __future__ import annotations

from types import SimpleNamespace

import torch
import torch.nn.functional as F

from deployments.llm import decode_step


def supports(decoder: torch.nn.Module) -> bool:
    """True for a plain Llama decoder: default rotary embedding, SiLU MLP, no sliding window."""
    config = getattr(decoder, "config", None)
    if config is None or getattr(config, "model_type", None) != "llama":
        return False
    rope = getattr(config, "rope_parameters", None) or {}
    return (
        rope.get("rope_type", "default") == "default"
        and getattr(config, "hidden_act", None) == "silu"
        and not getattr(config, "pretraining_tp", 1) > 1
        and hasattr(decoder, "layers")
        and hasattr(decoder, "rotary_emb")
    )


def _fused(*linears: torch.nn.Linear) -> torch.nn.Linear:
    """One Linear layer whose output is the given layers' outputs side by side."""
    bias = any(linear.bias is not None for linear in linears)
    fused = torch.nn.Linear(linears[0].in_features, sum(x.out_features for x in linears), bias=bias,
                            dtype=linears[0].weight.dtype, device=linears[0].weight.device)
    with torch.no_grad():
        fused.weight.copy_(torch.cat([x.weight for x in linears]))
        if bias:
            fused.bias.copy_(torch.cat([x.bias if x.bias is not None else torch.zeros(x.out_features) for x in linears]))
    fused.requires_grad_(False)
    return fused


class _Layer(torch.nn.Module):
    def __init__(self, layer: torch.nn.Module) -> None:
        super().__init__()
        attention, mlp = layer.self_attn, layer.mlp
        self.input_norm = layer.input_layernorm
        self.post_norm = layer.post_attention_layernorm
        self.qkv = _fused(attention.q_proj, attention.k_proj, attention.v_proj)
        self.o_proj = attention.o_proj
        self.gate_up = _fused(mlp.gate_proj, mlp.up_proj)
        self.down_proj = mlp.down_proj
        self.split = (attention.q_proj.out_features, attention.k_proj.out_features, attention.v_proj.out_features)
        self.intermediate = mlp.gate_proj.out_features
        # the fused copies replace the originals: free each layer's as it is built, so loading never holds
        # two copies of every weight
        del attention.q_proj, attention.k_proj, attention.v_proj, mlp.gate_proj, mlp.up_proj


def _rms_norm(norm: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """transformers' LlamaRMSNorm, operation for operation (float32 statistics)."""
    return norm.weight * decode_step.normalize(x.to(torch.float32), norm.variance_epsilon).to(x.dtype)


class LlamaDecoder(torch.nn.Module):
    """Drop-in for a LlamaModel inside the engine: same call (ids, positions, 4D mask, slot cache)."""

    def __init__(self, decoder: torch.nn.Module, step: str = "script") -> None:
        super().__init__()
        config = decoder.config
        self.config = config
        self.embed_tokens = decoder.embed_tokens
        self.norm = decoder.norm
        self.layers = torch.nn.ModuleList(_Layer(layer) for layer in decoder.layers)
        self.heads = config.num_attention_heads
        self.kv_heads = getattr(config, "num_key_value_heads", None) or self.heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.heads
        self.scaling = self.head_dim**-0.5
        rotary = decoder.rotary_emb
        self.register_buffer("inv_freq", rotary.inv_freq.detach().clone(), persistent=False)
        self.attention_scaling = rotary.attention_scaling
        self._cos = self._sin = None
        self.step = step
        self._flat: decode_step.FlatLayers | None | bool = None
        self.reset_decode_step()  # built at the first decode step, after quantization has replaced the projections

    def reset_decode_step(self) -> None:
        """Build the decode step's flat weight lists again at the next step (after layers changed)."""
        self._flat = False if self.step in ("script", "python") else None

    def get_input_embeddings(self) -> torch.nn.Module:
        return self.embed_tokens

    def ensure_rotary(self, size: int) -> None:
        """The rotary table covers positions ``0..size-1`` (before a CUDA graph is captured: inside one, the
        table cannot be grown, nor the largest position read back)."""
        if self._cos is None or self._cos.shape[0] < size:
            self._rotary(torch.tensor([[size - 1]], device=self.inv_freq.device), self.inv_freq.dtype)

    def _rotary(self, positions: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """cos and sin at ``positions`` ([batch, tokens]), from a table grown to the largest position seen."""
        if self._cos is not None and positions.is_cuda and torch.cuda.is_current_stream_capturing():
            return self._cos[positions].to(dtype), self._sin[positions].to(dtype)  # `ensure_rotary` sized it
        needed = int(positions.max()) + 1
        if self._cos is None or self._cos.shape[0] < needed:
            size = max(needed, 2 * (0 if self._cos is None else self._cos.shape[0]), 256)
            # transformers' LlamaRotaryEmbedding formula, evaluated once per position
            freqs = torch.arange(size, device=self.inv_freq.device)[:, None].float() * self.inv_freq.float()
            emb = torch.cat((freqs, freqs), dim=-1)
            self._cos = emb.cos() * self.attention_scaling
            self._sin = emb.sin() * self.attention_scaling
        return self._cos[positions].to(dtype), self._sin[positions].to(dtype)

    def _decode_step(self, input_ids: torch.Tensor, position_ids: torch.Tensor, attention_mask: torch.Tensor,
                     view: tuple) -> torch.Tensor | None:
        """The last hidden state of one decode step through `decode_step`; None where its layers do not fit."""
        if self._flat is False:
            self._flat = decode_step.FlatLayers.build(self.layers)
        flat = self._flat
        if flat is None:
            return None
        hidden = self.embed_tokens(input_ids[:, 0])
        cos, sin = self._rotary(position_ids, hidden.dtype)  # [rows, 1, head_dim]: broadcast over heads
        kv, index, positions, rows, width = view
        hidden = decode_step.compiled(self.step == "script")(
            hidden, cos, sin, kv, index, positions, rows, width, attention_mask, flat.norms, flat.weights, flat.scales,
            flat.int8_t, flat.int8_scale, flat.smooth, flat.int8_rows, flat.dense, flat.bf16_rows, flat.group, flat.eps, self.heads, self.kv_heads,
            self.head_dim, flat.intermediate, self.scaling,
        )
        return _rms_norm(self.norm, hidden[:, None])

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor, attention_mask: torch.Tensor,
                past_key_values, use_cache: bool = True) -> SimpleNamespace:
        batch, tokens = input_ids.shape
        view = past_key_values.decode_view() if tokens == 1 and hasattr(past_key_values, "decode_view") else None
        if view is not None:
            last = self._decode_step(input_ids, position_ids, attention_mask, view)
            if last is not None:
                return SimpleNamespace(last_hidden_state=last)

        def attention(index: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            k, v = past_key_values.update(k, v, index)
            return self._attend(q, k, v, attention_mask)

        return SimpleNamespace(last_hidden_state=self._layers(input_ids, position_ids, attention))

    def prefill(self, input_ids: torch.Tensor, position_ids: torch.Tensor, segments: list[tuple[int, int, int, torch.Tensor]],
                cache) -> torch.Tensor:
        """Several prompts' new tokens as one sequence ``[1, tokens]``, each prompt a segment ``(slot, start,
        length, mask)`` of the slot cache; returns the final hidden states ``[1, tokens, hidden]``.

        Every projection runs once over all segments' tokens (one matmul of many rows instead of one per
        prompt; with `Int4Linear`'s dense weights, many rows is where the CPU is fastest). Attention alone
        runs per segment, over its own slot's cached prefix and new tokens, so each prompt's result is what
        its own prefill computes."""

        def attention(index: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            outs, offset = [], 0
            for slot, start, length, mask in segments:
                part = slice(offset, offset + length)
                cache.prefill_mode(slot, start, length)
                keys, values = cache.update(k[:, :, part], v[:, :, part], index)
                outs.append(self._attend(q[:, :, part], keys, values, mask))
                offset += length
            return torch.cat(outs, dim=1)

        return self._layers(input_ids, position_ids, attention)

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """SDPA as transformers' integration calls it; ``q`` [batch, heads, tokens, dim] -> [batch, tokens, heads*dim]."""
        batch, _, tokens, _ = q.shape
        groups = self.heads // self.kv_heads
        if groups > 1 and tokens == 1:  # one query token: each key/value head's query heads as its queries
            out = F.scaled_dot_product_attention(q.reshape(batch, self.kv_heads, groups, self.head_dim), k, v,
                                                 attn_mask=mask, scale=self.scaling)
        else:
            if groups > 1:
                k = k.repeat_interleave(groups, dim=1)
                v = v.repeat_interleave(groups, dim=1)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=self.scaling)
        return out.reshape(batch, -1, tokens, self.head_dim).transpose(1, 2).reshape(batch, tokens, -1)

    def _layers(self, input_ids: torch.Tensor, position_ids: torch.Tensor, attention) -> torch.Tensor:
        """Every layer, layer by layer; ``attention(layer index, q, k, v)`` stores the keys and values and
        attends (rotary already applied), returning ``[batch, tokens, heads*dim]``."""
        batch, tokens = input_ids.shape
        hidden = self.embed_tokens(input_ids)
        cos, sin = self._rotary(position_ids, hidden.dtype)
        cos, sin = cos[:, None], sin[:, None]  # broadcast over heads
        for index, layer in enumerate(self.layers):
            residual = hidden
            q, k, v = layer.qkv(_rms_norm(layer.input_norm, hidden)).split(layer.split, dim=-1)
            q = q.view(batch, tokens, -1, self.head_dim).transpose(1, 2)
            k = k.view(batch, tokens, -1, self.head_dim).transpose(1, 2)
            v = v.view(batch, tokens, -1, self.head_dim).transpose(1, 2)
            q = q * cos + decode_step.rotate_half(q) * sin
            k = k * cos + decode_step.rotate_half(k) * sin
            hidden = residual + layer.o_proj(attention(index, q, k, v))
            residual = hidden
            gate, up = layer.gate_up(_rms_norm(layer.post_norm, hidden)).split(layer.intermediate, dim=-1)
            hidden = residual + layer.down_proj(F.silu(gate) * up)
        return _rms_norm(self.norm, hidden)


def use_llama_decoder(model, step: str = "script") -> bool:
    """Replace ``model.model`` by a `LlamaDecoder` when it reproduces it; True if it did."""
    if not supports(model.model):
        return False
    model.model = LlamaDecoder(model.model, step)
    return True
