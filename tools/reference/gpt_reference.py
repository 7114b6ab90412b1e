#!/usr/bin/python3
"""Independent PyTorch reference for the C# GPT (DESIGN §5, issue 4 part 5).

Builds the same nanoGPT-style model as FhirRisk.Model in plain PyTorch, runs it on a tiny fixed batch, and writes
parameters, inputs, logits, loss, every gradient and a 10-step AdamW loss curve to one safetensors file. The C# tests
load the parameters into their flat buffers and must reproduce the rest (loss within 1e-5 relative, gradients within
1e-4). Everything is computed twice, in float32 and float64, from the same float32 parameters, so a test can compare
against the precision it runs in.

    /usr/bin/python3 tools/reference/gpt_reference.py            # writes fixtures/gpt-tiny.safetensors
    /usr/bin/python3 tools/reference/gpt_reference.py --verify   # re-reads the file and checks it
"""
import argparse
import copy
import json
import math
import struct
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "gpt-tiny.safetensors"
FORMAT_NAME = "fhirrisk-gpt-reference"
FORMAT_VERSION = "1"
IGNORE_INDEX = -100
IGNORED_POSITIONS = ((0, 0), (1, 5), (2, 7))  # (b, t) whose target is IGNORE_INDEX
F64_PREFIX = "f64/"


@dataclass(frozen=True)
class GptConfig:
    vocab_size: int = 37
    padded_vocab_size: int = 64  # vocab_size rounded up to a multiple of 64; columns >= vocab_size are masked
    n_layer: int = 2
    n_head: int = 2
    n_embd: int = 16
    block_size: int = 8
    batch_size: int = 3
    seed: int = 1234


@dataclass(frozen=True)
class AdamWConfig:
    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.95
    eps: float = 1e-8
    weight_decay: float = 0.1  # matrices only (every 2-D parameter), as in DESIGN §5
    steps: int = 10


# ---------------------------------------------------------------------------------------------------------------------
# Model: pre-LN GPT-2 without biases, tied embeddings, tanh GELU, dropout 0.
# ---------------------------------------------------------------------------------------------------------------------

class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: GptConfig):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=False)  # rows [0,C) q, [C,2C) k, [2C,3C) v
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=False)

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, hs).transpose(1, 2) for t in (q, k, v))  # (B, NH, T, HS)
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # (B, NH, T, T)
        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(diagonal=1)
        att = F.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)  # heads side by side, as the C# kernel writes them
        return self.c_proj(y)


class Mlp(nn.Module):
    def __init__(self, cfg: GptConfig):
        super().__init__()
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd, bias=False)
        self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd, bias=False)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, cfg: GptConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, eps=1e-5)
        self.attn = CausalSelfAttention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, eps=1e-5)
        self.mlp = Mlp(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Gpt(nn.Module):
    def __init__(self, cfg: GptConfig):
        super().__init__()
        self.cfg = cfg
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(cfg.padded_vocab_size, cfg.n_embd),
            wpe=nn.Embedding(cfg.block_size, cfg.n_embd),
            h=nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer)),
            ln_f=nn.LayerNorm(cfg.n_embd, eps=1e-5),
        ))

    def forward(self, tokens, targets):
        """Returns the raw logits (B, T, Vp) — padded columns included, as x·wteᵀ computes them — and the loss."""
        t = self.transformer
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = t.wte(tokens) + t.wpe(positions)
        for block in t.h:
            x = block(x)
        logits = F.linear(t.ln_f(x), t.wte.weight)  # tied output embedding
        padded = torch.arange(self.cfg.padded_vocab_size, device=tokens.device) >= self.cfg.vocab_size
        masked = logits.masked_fill(padded, float("-inf"))
        loss = F.cross_entropy(masked.view(-1, masked.shape[-1]), targets.view(-1), ignore_index=IGNORE_INDEX)
        return logits, loss


def initialise(model: Gpt, generator: torch.Generator) -> None:
    """GPT-2 init (std 0.02, residual projections 0.02/√(2L)). LayerNorm gains and biases are perturbed around 1 and 0
    so that a C# kernel that dropped them would not match; the padded vocabulary rows are random too, so a missing
    logit mask changes the loss."""
    residual_std = 0.02 / math.sqrt(2 * model.cfg.n_layer)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".ln_" in name or name.startswith("transformer.ln_f"):
                centre = 1.0 if name.endswith(".weight") else 0.0
                p.normal_(centre, 0.1, generator=generator)
            else:
                p.normal_(0.0, residual_std if name.endswith("c_proj.weight") else 0.02, generator=generator)


def expected_parameter_shapes(cfg: GptConfig) -> dict:
    """The checkpoint contract (PyTorch names, Linear weights as [out, in]), written out independently of the model."""
    C = cfg.n_embd
    shapes = {"transformer.wte.weight": [cfg.padded_vocab_size, C], "transformer.wpe.weight": [cfg.block_size, C]}
    for l in range(cfg.n_layer):
        h = f"transformer.h.{l}."
        shapes.update({
            h + "ln_1.weight": [C], h + "ln_1.bias": [C],
            h + "attn.c_attn.weight": [3 * C, C], h + "attn.c_proj.weight": [C, C],
            h + "ln_2.weight": [C], h + "ln_2.bias": [C],
            h + "mlp.c_fc.weight": [4 * C, C], h + "mlp.c_proj.weight": [C, 4 * C],
        })
    shapes.update({"transformer.ln_f.weight": [C], "transformer.ln_f.bias": [C]})
    return shapes


# ---------------------------------------------------------------------------------------------------------------------
# Running the model: one forward/backward, then an AdamW curve on the same batch.
# ---------------------------------------------------------------------------------------------------------------------

def make_batch(cfg: GptConfig, generator: torch.Generator):
    shape = (cfg.batch_size, cfg.block_size)
    tokens = torch.randint(0, cfg.vocab_size, shape, generator=generator)
    targets = torch.randint(0, cfg.vocab_size, shape, generator=generator)
    for b, t in IGNORED_POSITIONS:
        targets[b, t] = IGNORE_INDEX
    return tokens, targets


def adamw(model: Gpt, opt: AdamWConfig) -> torch.optim.AdamW:
    params = list(model.parameters())
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": opt.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=opt.lr, betas=(opt.beta1, opt.beta2), eps=opt.eps, foreach=False)


def run(model: Gpt, tokens, targets, opt: AdamWConfig) -> dict:
    """Logits, loss and gradients at the initial parameters, then `opt.steps` AdamW steps; `adamw/losses[k]` is the
    loss after k+1 steps, so together with `output/loss` every step's update is checked."""
    logits, loss = model(tokens, targets)
    loss.backward()
    out = {"output/logits": logits.detach().clone(), "output/loss": loss.detach().clone()}
    out.update({f"grad/{n}": p.grad.detach().clone() for n, p in model.named_parameters()})

    optimizer = adamw(model, opt)
    losses = []
    for _ in range(opt.steps):
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        _, loss = model(tokens, targets)
        loss.backward()
        losses.append(loss.detach().clone())
    out["adamw/losses"] = torch.stack(losses)
    return out


# ---------------------------------------------------------------------------------------------------------------------
# safetensors: 8-byte little-endian header length, JSON header (padded with spaces to 8 bytes), raw little-endian data.
# ---------------------------------------------------------------------------------------------------------------------

DTYPE_NAMES = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64", np.dtype("<i8"): "I64"}


def write_safetensors(path: Path, tensors: dict, metadata: dict) -> None:
    arrays = {n: np.asarray(a, dtype=a.dtype.newbyteorder("<")) for n, a in tensors.items()}  # tobytes() is C order
    # 8-byte types first (stable sort keeps insertion order within a type), so every tensor is aligned to its size.
    names = sorted(arrays, key=lambda n: -arrays[n].dtype.itemsize)
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in names:
        data = arrays[name].tobytes()
        header[name] = {"dtype": DTYPE_NAMES[arrays[name].dtype], "shape": list(arrays[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def build_fixture(cfg: GptConfig, opt: AdamWConfig):
    generator = torch.Generator().manual_seed(cfg.seed)
    model32 = Gpt(cfg)
    initialise(model32, generator)
    tokens, targets = make_batch(cfg, generator)
    model64 = copy.deepcopy(model32).double()  # the same float32 values, exactly representable in float64

    tensors = {f"param/{n}": p.detach().numpy().copy() for n, p in model32.named_parameters()}
    tensors["input/tokens"] = tokens.numpy()
    tensors["input/targets"] = targets.numpy()
    tensors.update({n: t.numpy() for n, t in run(model32, tokens, targets, opt).items()})
    tensors.update({F64_PREFIX + n: t.numpy() for n, t in run(model64, tokens, targets, opt).items()})
    metadata = {
        "format": FORMAT_NAME, "format_version": FORMAT_VERSION,
        "config": json.dumps(asdict(cfg)), "adamw": json.dumps(asdict(opt)),
        "ignore_index": str(IGNORE_INDEX), "torch_version": torch.__version__,
    }
    return tensors, metadata


# ---------------------------------------------------------------------------------------------------------------------
# --verify: an independent reader (struct + json + numpy) and checks on names, shapes and values.
# ---------------------------------------------------------------------------------------------------------------------

NUMPY_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8")}


def read_safetensors(path: Path):
    raw = path.read_bytes()
    (n,) = struct.unpack_from("<Q", raw, 0)
    assert 8 + n <= len(raw), f"header length {n} runs past the end of a {len(raw)}-byte file"
    assert n % 8 == 0, f"header length {n} is not padded to 8 bytes"
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__")
    data = memoryview(raw)[8 + n:]
    tensors, covered = {}, 0
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        dtype = NUMPY_DTYPES[entry["dtype"]]
        assert begin == covered, f"{name}: starts at {begin}, expected {covered} (hole or overlap)"
        assert end <= len(data), f"{name}: ends at {end} but the file holds {len(data)} data bytes (truncated)"
        assert begin % dtype.itemsize == 0, f"{name}: offset {begin} not aligned to {dtype.itemsize}"
        count = math.prod(entry["shape"])
        assert end - begin == count * dtype.itemsize, f"{name}: {end - begin} bytes for shape {entry['shape']}"
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(entry["shape"])
        covered = end
    assert covered == len(data), f"tensors cover {covered} of {len(data)} data bytes"
    return tensors, metadata


def reference_loss(logits: np.ndarray, targets: np.ndarray, vocab_size: int) -> float:
    """Masked softmax cross-entropy in float64, written without torch: mean over targets != IGNORE_INDEX."""
    z = logits.reshape(-1, logits.shape[-1])[:, :vocab_size].astype(np.float64)
    y = targets.reshape(-1)
    keep = y != IGNORE_INDEX
    z, y = z[keep], y[keep]
    m = z.max(axis=1)
    lse = m + np.log(np.exp(z - m[:, None]).sum(axis=1))
    return float(np.mean(lse - z[np.arange(len(y)), y]))


def verify(path: Path, cfg: GptConfig, opt: AdamWConfig) -> None:
    tensors, metadata = read_safetensors(path)
    assert metadata["format"] == FORMAT_NAME and metadata["format_version"] == FORMAT_VERSION, metadata
    assert json.loads(metadata["config"]) == asdict(cfg), metadata["config"]
    B, T, Vp = cfg.batch_size, cfg.block_size, cfg.padded_vocab_size

    params = expected_parameter_shapes(cfg)
    expected = {"input/tokens": ("I64", [B, T]), "input/targets": ("I64", [B, T])}
    for prefix, dtype in (("", "F32"), (F64_PREFIX, "F64")):
        expected[prefix + "output/logits"] = (dtype, [B, T, Vp])
        expected[prefix + "output/loss"] = (dtype, [])
        expected[prefix + "adamw/losses"] = (dtype, [opt.steps])
        expected.update({f"{prefix}grad/{n}": (dtype, s) for n, s in params.items()})
    expected.update({f"param/{n}": ("F32", s) for n, s in params.items()})
    assert set(tensors) == set(expected), sorted(set(tensors) ^ set(expected))
    for name, (dtype, shape) in expected.items():
        a = tensors[name]
        assert a.dtype == NUMPY_DTYPES[dtype] and list(a.shape) == shape, f"{name}: {a.dtype} {a.shape}"
        assert np.all(np.isfinite(a)), f"{name} has a non-finite value"

    tokens, targets = tensors["input/tokens"], tensors["input/targets"]
    assert tokens.min() >= 0 and tokens.max() < cfg.vocab_size
    assert (targets == IGNORE_INDEX).sum() == len(IGNORED_POSITIONS)
    for prefix in ("", F64_PREFIX):
        recomputed = reference_loss(tensors[prefix + "output/logits"], targets, cfg.vocab_size)
        stored = float(tensors[prefix + "output/loss"])
        assert abs(recomputed - stored) <= 1e-6 * abs(stored), f"{prefix}loss {stored} vs numpy {recomputed}"
        padded_rows = tensors[f"{prefix}grad/transformer.wte.weight"][cfg.vocab_size:]
        assert not padded_rows.any(), "the padded vocabulary rows of wte got a gradient: the logit mask leaks"
        assert np.all(np.diff(tensors[prefix + "adamw/losses"]) < 0), f"{prefix}AdamW losses do not decrease"

    # The float32 run is within the tolerances the C# tests use of the float64 run, so those tolerances are fair.
    loss32, loss64 = float(tensors["output/loss"]), float(tensors[F64_PREFIX + "output/loss"])
    assert abs(loss32 - loss64) <= 1e-5 * abs(loss64), (loss32, loss64)
    grad_gap = max(np.abs(tensors[f"grad/{n}"] - tensors[f"{F64_PREFIX}grad/{n}"]).max() for n in params)
    assert grad_gap <= 1e-4, grad_gap

    # Rerunning the model from the stored parameters reproduces the stored results bit for bit, in both precisions.
    model = Gpt(cfg)
    model.load_state_dict({n: torch.from_numpy(tensors[f"param/{n}"].copy()) for n in params})
    for prefix, replica in (("", copy.deepcopy(model)), (F64_PREFIX, copy.deepcopy(model).double())):
        rerun = run(replica, torch.from_numpy(tokens.copy()), torch.from_numpy(targets.copy()), opt)
        for name, value in rerun.items():
            assert np.array_equal(value.numpy(), tensors[prefix + name]), f"{prefix}{name} differs when recomputed"

    max_grad = max(np.abs(tensors[f"grad/{n}"]).max() for n in params)
    print(f"ok: {len(tensors)} tensors, loss f32 {loss32:.9g} f64 {loss64:.12g}, max |grad| {max_grad:.6g}, "
          f"max |grad f32 - grad f64| {grad_gap:.3g}, AdamW losses {tensors['adamw/losses'][0]:.6g} → "
          f"{tensors['adamw/losses'][-1]:.6g}, {path.stat().st_size} bytes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verify", action="store_true", help="check the existing fixture instead of writing it")
    parser.add_argument("--out", type=Path, default=FIXTURE, help=f"fixture path (default {FIXTURE})")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    cfg, opt = GptConfig(), AdamWConfig()
    if args.verify:
        verify(args.out, cfg, opt)
    else:
        tensors, metadata = build_fixture(cfg, opt)
        write_safetensors(args.out, tensors, metadata)
        print(f"wrote {args.out} ({args.out.stat().st_size} bytes); loss {float(tensors['output/loss']):.9g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
