#!/usr/bin/python3
"""PyTorch eager peer of `bench engine`, `bench decode` (issue 4) and `bench rollout` (issue 7).

Runs tools/reference/gpt_reference.py's model (the same GPT as FhirRisk.Model: tied embeddings, linears without bias,
LayerNorm with bias, tanh GELU, pre-LN, dropout 0) on the weights and tokens the C# bench wrote, and prints one JSON
object with its timings. The bench launches it with the library settings that make PyTorch fastest on this machine
(TorchPeerSetup.cs: OpenBLAS preloaded, OPENBLAS_CORETYPE unset, AVX-512 kernels, glibc malloc kept from returning
memory). ATen's thread pool and OpenBLAS's are separate and oversubscribe the cores when both use all of them, so
with a budget of --threads N the script times a short probe of each split (torch 1 + OpenBLAS N, torch N +
OpenBLAS 1, and both at 1: on a machine loaded by other work, small eager ops lose more to their pools' waits than
they gain from a second thread) and keeps the fastest for the measurement.

    train:  --steps-warmup W --steps N: W untimed, then N timed training steps (zero_grad, forward with loss,
            backward, AdamW step) on one (B, T) batch; prints every step's seconds and the losses.
    decode: greedy decoding of (B, prompt) with a preallocated KV cache: a prefill forward over the prompt, then
            --new steps of one token per sequence; --runs R timed runs after a short warm-up; writes the tokens.
    rollout: ETHOS's no-cache rollouts (rollout_peer.py) of one prompt (--tokens), --batch rollouts per request, the
            whole window recomputed at every token; --requests timed requests after a warm-up; prints the prompt's
            next-token logits for the bench to compare with its own.
"""
import argparse
import ctypes
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools" / "reference"))
from gpt_reference import Gpt, GptConfig, read_safetensors  # noqa: E402  (the path is set just above)
import rollout_peer  # noqa: E402  (beside this script)


def load_model(checkpoint: Path) -> Gpt:
    """The C# checkpoint folder (config.json + model.safetensors, PyTorch names) as the reference model."""
    config = json.loads((checkpoint / "config.json").read_text())
    tensors, _ = read_safetensors(checkpoint / "model.safetensors")
    padded = tensors["transformer.wte.weight"].shape[0]
    cfg = GptConfig(vocab_size=config["vocab_size"], padded_vocab_size=padded, n_layer=config["n_layer"],
                    n_head=config["n_head"], n_embd=config["n_embd"], block_size=config["block_size"])
    model = Gpt(cfg)
    model.load_state_dict({name: torch.from_numpy(array.copy()) for name, array in tensors.items()})
    return model


def read_tokens(path: Path, rows: int) -> torch.Tensor:
    """(rows, n / rows) int64 from the little-endian int32 file the bench wrote."""
    return torch.from_numpy(np.fromfile(path, dtype="<i4").astype(np.int64)).view(rows, -1)


class GpuThreads:
    """On a GPU the host threads only launch kernels: ATen keeps the budget, there is no BLAS pool to split."""

    def __init__(self, budget: int, device: str):
        self.budget, self.device = budget, device
        torch.set_num_threads(budget)

    def choose(self, probe) -> None:
        pass

    def describe(self) -> dict:
        return {"torch_threads": self.budget, "blas_threads": 0, "split_probe_seconds": {}, "device": self.device}


class ThreadSplit:
    """Sets ATen's intra-op threads and OpenBLAS's threads, and picks the fastest split of a thread budget."""

    def __init__(self, budget: int):
        self.budget = budget
        self.blas = ctypes.CDLL(loaded_library("libblas.so") or loaded_library("openblas"))
        self.probes = {}
        self.chosen = (1, budget)

    def set(self, split):
        torch.set_num_threads(split[0])
        self.blas.openblas_set_num_threads(split[1])

    def choose(self, probe) -> None:
        """Times `probe()` (best of 2) under each split and keeps the fastest."""
        candidates = [(1, self.budget)] if self.budget == 1 else [(1, self.budget), (self.budget, 1), (1, 1)]
        for split in candidates:
            self.set(split)
            self.probes[f"torch {split[0]} + OpenBLAS {split[1]}"] = min(timed(probe) for _ in range(2))
        self.chosen = min(candidates, key=lambda c: self.probes[f"torch {c[0]} + OpenBLAS {c[1]}"])
        self.set(self.chosen)

    def describe(self) -> dict:
        return {"torch_threads": self.chosen[0], "blas_threads": self.chosen[1],
                "split_probe_seconds": self.probes}


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------------------------------
# train: the step the C# side times (Gpt.ZeroGradients, Forward with targets, Backward, AdamW.Step).
# ---------------------------------------------------------------------------------------------------------------------

def train(args, split: ThreadSplit) -> dict:
    model = load_model(args.checkpoint)
    tokens, targets = read_tokens(args.tokens, args.batch), read_tokens(args.targets, args.batch)
    params = list(model.parameters())
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": args.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=args.lr, betas=(args.beta1, args.beta2), eps=args.eps,
                                  foreach=args.foreach)
    losses = []

    def step():
        optimizer.zero_grad(set_to_none=True)
        _, loss = model(tokens, targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    for _ in range(args.steps_warmup):
        step()
    # The probe steps train too: they are replayed by neither side, so the losses are compared over the warm-up only.
    warmup_losses = list(losses)
    split.choose(step)
    seconds = [timed(step) for _ in range(args.steps)]
    return {"step_seconds": seconds, "losses": warmup_losses}


# ---------------------------------------------------------------------------------------------------------------------
# decode: greedy generation with a KV cache of (B, NH, maxT, HS) per layer, preallocated once.
# ---------------------------------------------------------------------------------------------------------------------

class KvCacheDecoder:
    """The reference model's blocks run one position at a time over cached keys and values (inference, no grad)."""

    def __init__(self, model: Gpt, batch: int, max_positions: int):
        cfg = model.cfg
        self.model, self.cfg = model, cfg
        self.head_size = cfg.n_embd // cfg.n_head
        shape = (batch, cfg.n_head, max_positions, self.head_size)
        self.k = [torch.zeros(shape) for _ in range(cfg.n_layer)]
        self.v = [torch.zeros(shape) for _ in range(cfg.n_layer)]

    def prefill(self, prompt: torch.Tensor) -> torch.Tensor:
        """Runs the (B, T) prompt as one causal forward, filling positions [0, T); returns the next tokens (B)."""
        t = self.model.transformer
        B, T = prompt.shape
        x = t.wte(prompt) + t.wpe(torch.arange(T))
        future = torch.ones(T, T, dtype=torch.bool).triu(diagonal=1)
        for layer, block in enumerate(t.h):
            q, k, v = self._qkv(block, x, B, T)
            self.k[layer][:, :, :T] = k
            self.v[layer][:, :, :T] = v
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_size))
            y = F.softmax(scores.masked_fill(future, float("-inf")), dim=-1) @ v
            x = self._finish_block(block, x, y, B, T)
        return self._next_tokens(x[:, -1])

    def step(self, tokens: torch.Tensor, position: int) -> torch.Tensor:
        """Feeds one token per sequence at `position` (all sequences have the same length); returns the next (B)."""
        t = self.model.transformer
        B = tokens.shape[0]
        x = (t.wte(tokens) + t.wpe.weight[position]).unsqueeze(1)  # (B, 1, C)
        for layer, block in enumerate(t.h):
            q, k, v = self._qkv(block, x, B, 1)
            self.k[layer][:, :, position:position + 1] = k
            self.v[layer][:, :, position:position + 1] = v
            keys, values = self.k[layer][:, :, :position + 1], self.v[layer][:, :, :position + 1]
            scores = (q @ keys.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_size))  # (B, NH, 1, position + 1)
            y = F.softmax(scores, dim=-1) @ values
            x = self._finish_block(block, x, y, B, 1)
        return self._next_tokens(x[:, -1])

    def _qkv(self, block, x, B, T):
        q, k, v = block.attn.c_attn(block.ln_1(x)).split(self.cfg.n_embd, dim=2)
        return (a.view(B, T, self.cfg.n_head, self.head_size).transpose(1, 2) for a in (q, k, v))  # (B, NH, T, HS)

    def _finish_block(self, block, x, y, B, T):
        x = x + block.attn.c_proj(y.transpose(1, 2).reshape(B, T, self.cfg.n_embd))
        return x + block.mlp(block.ln_2(x))

    def _next_tokens(self, hidden):
        t = self.model.transformer
        logits = F.linear(t.ln_f(hidden), t.wte.weight)  # (B, Vp), tied output embedding
        return logits[:, :self.cfg.vocab_size].argmax(dim=-1)


def generate(decoder: KvCacheDecoder, prompt: torch.Tensor, new_tokens: int):
    """Returns (prefill seconds, generation seconds, (B, new_tokens) generated ids)."""
    start = time.perf_counter()
    token = decoder.prefill(prompt)
    prefill = time.perf_counter() - start
    generated = [token]
    start = time.perf_counter()
    for i in range(new_tokens):
        token = decoder.step(token, prompt.shape[1] + i)
        generated.append(token)
    generation = time.perf_counter() - start
    return prefill, generation, torch.stack(generated[:new_tokens], dim=1)


def decode(args, split: ThreadSplit) -> dict:
    model = load_model(args.checkpoint).eval()
    prompt = read_tokens(args.tokens, args.batch)
    prompt_length = prompt.shape[1]
    if prompt_length + args.new > model.cfg.block_size:
        raise SystemExit(f"prompt {prompt_length} + {args.new} new tokens exceed the context {model.cfg.block_size}")
    decoder = KvCacheDecoder(model, args.batch, model.cfg.block_size)
    prefill, generation = [], []
    with torch.no_grad():
        generate(decoder, prompt[:, :args.warmup_prompt], args.warmup_new)
        # The probe: 16 generation steps at the timed run's first positions (the cache contents do not change the cost).
        token = prompt[:, 0]
        split.choose(lambda: [decoder.step(token, prompt_length + i) for i in range(min(16, args.new))])
        for _ in range(args.runs):
            p, g, generated = generate(decoder, prompt, args.new)
            prefill.append(p)
            generation.append(g)
    generated.to(torch.int32).numpy().astype("<i4").tofile(args.generated)
    return {"prefill_seconds": prefill, "generation_seconds": generation}


def rollout(args, split: ThreadSplit) -> dict:
    device = torch.device(args.device)
    model = load_model(args.checkpoint).eval().to(device)
    prompt = torch.from_numpy(np.fromfile(args.tokens, dtype="<i4").astype(np.int64)).to(device)
    return rollout_peer.rollout(model, prompt, args, split)


# ---------------------------------------------------------------------------------------------------------------------

def cpu_capability() -> str:
    """The ATen kernel family in use (AVX2, AVX512), as torch 1.13 reports it in its build configuration."""
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"


def loaded_library(fragment: str) -> str:
    """The resolved path of the first mapped shared library whose name contains `fragment`, or ''."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if fragment in os.path.basename(path):
                return os.path.realpath(path)
    return ""


def ids(text: str) -> list:
    return [int(i) for i in text.split(",") if i]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("train", "decode", "rollout"))
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--tokens", type=Path, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True, help="thread budget, split between ATen and OpenBLAS")
    parser.add_argument("--device", default="cpu", help="rollout: where the model runs (cpu, cuda, cuda:N)")
    parser.add_argument("--targets", type=Path)
    parser.add_argument("--steps-warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--foreach", action="store_true", help="AdamW's multi-tensor implementation")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--beta1", type=float, default=0.9)
    parser.add_argument("--beta2", type=float, default=0.95)
    parser.add_argument("--eps", type=float, default=1e-8)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--new", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup-prompt", type=int, default=32)
    parser.add_argument("--warmup-new", type=int, default=8)
    parser.add_argument("--generated", type=Path)
    parser.add_argument("--prefix-length", type=int, help="rollout: the static prefix kept at the front of every window")
    parser.add_argument("--slide", type=int, help="rollout: timeline tokens a window jump leaves room for")
    parser.add_argument("--max-new", type=int, default=2048, help="rollout: token budget of one rollout")
    parser.add_argument("--sample-vocab", type=int, help="rollout: ids that may be sampled (the tokenizer's vocabulary)")
    parser.add_argument("--stop-ids", type=ids, default=[], help="rollout: comma-separated ids that end a rollout")
    parser.add_argument("--positive-ids", type=ids, default=[], help="rollout: stop ids that count a rollout positive")
    parser.add_argument("--requests", type=int, default=5, help="rollout: timed requests")
    args = parser.parse_args()

    torch.manual_seed(0)
    gpu = args.device != "cpu"
    if gpu and args.mode != "rollout":
        raise SystemExit(f"--device {args.device}: only the rollout mode runs on a GPU")
    split = GpuThreads(args.threads, args.device) if gpu else ThreadSplit(args.threads)
    result = {"train": train, "decode": decode, "rollout": rollout}[args.mode](args, split)
    result.update(split.describe())
    result.update({
        "torch_version": torch.__version__,
        "cpu_capability": torch.cuda.get_device_name(torch.device(args.device)) if gpu else cpu_capability(),
        "blas": "cuBLAS" if gpu else loaded_library("libblas.so") or loaded_library("openblas"),
        "allocator": "the CUDA caching allocator" if gpu else
                     loaded_library("jemalloc") or loaded_library("tcmalloc") or "glibc malloc",
    })
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
