"""The `rollout` mode of torch_peer.py (`bench rollout`, issue 7): ETHOS's rollout method in PyTorch eager.

ETHOS (reference/ethos.md §3.1) answers a request by replicating the prompt into a batch of rollouts and, at every
generated token, running the whole window through the GPT forward again (no KV cache), sampling the next token of
each rollout from the last position's logits (ancestral sampling, temperature 1). A rollout ends at a stop token of
the task or when the token budget is spent, and leaves the batch. The window rule is FhirRisk's (docs/inference.md
"Long histories", ContextWindow.cs): the static prefix, then the most recent timeline tokens; on overflow the window
jumps so that it holds T - slide tokens. All rollouts of a request grow by one token per step, so they share one
window start and the batch stays rectangular.

The judge is the simple one: the ids the bench passes as stop ids end a rollout, and those also passed as positive
ids count it positive. It does not wait for the clock to move after a stop as FhirRisk's judge does, so its rollouts
can be a token or two shorter; the bench compares tokens per second as well as seconds per request.
"""
import time

import torch
import torch.nn.functional as F


class Window:
    """The first timeline token the model reads, moved by FhirRisk's jump rule."""

    def __init__(self, prefix_length: int, context_length: int, slide: int):
        self.prefix_length, self.context_length, self.slide = prefix_length, context_length, slide
        self.start = 0

    def fit(self, timeline_length: int) -> None:
        if self.prefix_length + timeline_length - self.start > self.context_length:
            self.start = timeline_length - (self.context_length - self.prefix_length - self.slide)


def last_logits(model, window: torch.Tensor) -> torch.Tensor:
    """(B, L) window -> (B, Vp) logits of its last position: the full causal forward, the output head on one row only."""
    t = model.transformer
    x = t.wte(window) + t.wpe(torch.arange(window.shape[1], device=window.device))
    for block in t.h:
        x = block(x)
    return F.linear(t.ln_f(x[:, -1]), t.wte.weight)  # tied output embedding


def run_request(model, prompt: torch.Tensor, args, stops: torch.Tensor, positives: torch.Tensor, seed: int) -> dict:
    """One request: args.batch rollouts of `prompt`, in one shrinking batch; returns its time and counts."""
    generator = torch.Generator(device=prompt.device).manual_seed(seed)
    start = time.perf_counter()
    prefix = prompt[:args.prefix_length]
    timeline = prompt[args.prefix_length:].repeat(args.batch, 1)  # (A, n): the active rollouts' timelines
    window = Window(args.prefix_length, model.cfg.block_size, args.slide)
    window.fit(timeline.shape[1])
    tokens = stopped = positive = 0
    for _ in range(args.max_new):
        active = timeline.shape[0]
        rows = torch.cat([prefix.expand(active, -1), timeline[:, window.start:]], dim=1)
        probabilities = F.softmax(last_logits(model, rows)[:, :args.sample_vocab], dim=-1)
        token = torch.multinomial(probabilities, 1, generator=generator)  # (A, 1)
        tokens += active
        ends = stops[token[:, 0]]
        stopped += int(ends.sum())
        positive += int(positives[token[:, 0]].sum())
        timeline = torch.cat([timeline, token], dim=1)[~ends]
        if timeline.shape[0] == 0:
            break
        window.fit(timeline.shape[1])
    if prompt.is_cuda:
        torch.cuda.synchronize(prompt.device)
    return {"seconds": time.perf_counter() - start, "rollouts": args.batch, "tokens": tokens, "stopped": stopped,
            "positive": positive}


def rollout(model, prompt: torch.Tensor, args, split) -> dict:
    """Next-token logits of the prompt (the bench compares them with its own), then a warm-up request on seed 0 and
    timed requests on seeds 1..args.requests."""
    if prompt.shape[0] > model.cfg.block_size:
        raise SystemExit(f"the prompt ({prompt.shape[0]} tokens) exceeds the context {model.cfg.block_size}")
    stops = torch.zeros(model.cfg.padded_vocab_size, dtype=torch.bool, device=prompt.device)
    stops[args.stop_ids] = True
    positives = torch.zeros(model.cfg.padded_vocab_size, dtype=torch.bool, device=prompt.device)
    positives[args.positive_ids] = True
    with torch.inference_mode():
        prompt_logits = last_logits(model, prompt[None])[0, :model.cfg.vocab_size].cpu()
        # The probe: full-window forwards of a whole request's batch, the steps that dominate a request.
        batch = prompt.repeat(args.batch, 1)
        split.choose(lambda: [last_logits(model, batch) for _ in range(8)])
        run_request(model, prompt, args, stops, positives, seed=0)
        requests = [run_request(model, prompt, args, stops, positives, seed) for seed in range(1, args.requests + 1)]
    return {"prompt_logits": prompt_logits.tolist(), "requests": requests}
