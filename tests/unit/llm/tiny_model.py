"""A tiny randomly-initialised Llama and a character tokenizer: the real engine code, no download."""

from __future__ import annotations

import torch

VOCAB = 96  # bytes 32..126 as ids 1..95; id 0 is EOS


class CharTokenizer:
    """One token per printable ASCII character; id 0 ends the text."""

    eos_token_id = 0
    pad_token_id = 0

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return [min(max(ord(c) - 31, 1), VOCAB - 1) for c in text]

    def decode(self, tokens: list[int], skip_special_tokens: bool = True) -> str:
        return "".join(chr(t + 31) for t in tokens if t != 0)

    def apply_chat_template(self, messages: list[dict], add_generation_prompt: bool = True, tokenize: bool = True):
        return self.encode("".join(f"<{m['role']}>{m['content']}" for m in messages) + "<assistant>")


def tiny_model(seed: int = 0, layers: int = 2):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=layers,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512, eos_token_id=0,
        pad_token_id=0, attn_implementation="sdpa",
    )
    model = LlamaForCausalLM(config).eval()
    # sharper logits than the default init, so greedy picks are far from ties
    with torch.no_grad():
        model.lm_head.weight.mul_(20)
        model.lm_head.weight[0].zero_()  # EOS (logit 0) never wins, so rows run to their token budget
    return model


def tiny_engine(seed: int = 0, llama_decoder: bool = False, **runtime):
    """An engine over `tiny_model`; ``llama_decoder``: through Medici's Llama decoder, as the replica loads it."""
    from deployments.llm.engine import Engine
    from deployments.llm.llama_decoder import use_llama_decoder
    from deployments.llm.settings import LLMRuntimeConfig

    model = tiny_model(seed)
    if llama_decoder:
        assert use_llama_decoder(model)
    return Engine(model, CharTokenizer(), torch.device("cpu"), LLMRuntimeConfig(**runtime))
