# SPDX-License-Identifier: Apache-2.0
"""Times one attention kernel of a dsim kernel list with PyTorch's scaled_dot_product_attention (used by
time_attention.py; needs torch with CUDA).

Backends are tried in the order cuDNN, Flash, memory-efficient; the first that runs the kernel (forward, and backward
for attention_backward) is timed and named in `method`. MLA's absorbed decode (one shared key/value head, head dims
over 256) is run with the heads folded into the query length, the way its kernels see it; if no SDPA backend takes
it, an explicit bmm + softmax + bmm stands in, and `method` says so.
"""
import math
import statistics
import warnings

# A sample lasts at least this long (as in dsim-calibrate), so event resolution stays under 1% of it.
MIN_SAMPLE_US = 200.0
MAX_INNER = 200
# Python queues a launch in tens of microseconds, more than a short kernel takes. Each sample starts behind a GPU
# spin of about this long per queued launch, so the launches are all queued before the first one runs and then run
# back to back, as in a real step.
QUEUE_US_PER_LAUNCH = 60.0


class AttentionTimer:
    def __init__(self, torch, device, warmup, repeats):
        self.torch = torch
        self.device = torch.device("cuda", device)
        self.warmup = warmup
        self.repeats = repeats
        from torch.nn.attention import SDPBackend  # noqa: PLC0415
        self.backends = [("cudnn", SDPBackend.CUDNN_ATTENTION), ("flash", SDPBackend.FLASH_ATTENTION),
                         ("efficient", SDPBackend.EFFICIENT_ATTENTION)]
        props = torch.cuda.get_device_properties(self.device)
        self.clock_ghz = (getattr(props, "clock_rate", 0) or 1_980_000) / 1e6  # kHz -> GHz, for the spin

    def time(self, e):
        """Returns {median_us, min_us, max_us, method} for list entry `e`; raises if nothing can run it."""
        # A backend that cannot take the shape warns before it raises; the refusal is reported from the exception.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return self._time(e)

    def _time(self, e):
        torch = self.torch
        if e["dtype"] != "bf16":
            raise ValueError("only bf16 attention is timed (PyTorch SDPA has no fp8 path)")
        backward = e["kind"] == "attention_backward"
        b, h, hk, ql, kl = e["batch"], e["heads"], e["kv_heads"], e["q_len"], e["kv_len"]
        dqk, dv = e["qk_dim"], e["v_dim"]
        folded = hk == 1 and max(dqk, dv) > 256
        notes = []
        if folded:
            # Every head attends to the same keys: one [heads * q_len] query block over one key/value head.
            q_shape, kv_heads, q_rows, gqa = (b, 1, h * ql, dqk), 1, h * ql, False
            notes.append("heads folded into the query length (MLA absorbed)")
            causal_mode = "none"
            if e["causal"] and ql > 1:
                notes.append("causal mask dropped by the fold")
        else:
            q_shape, kv_heads, q_rows, gqa = (b, h, ql, dqk), hk, ql, hk < h
            if not e["causal"] or ql == 1:
                causal_mode = "none"  # a single query sees every key
            elif ql == kl:
                causal_mode = "square"
            else:
                causal_mode = "lower_right"  # the last query sees every key (chunked prefill)
        dt = torch.bfloat16
        q = torch.randn(q_shape, dtype=dt, device=self.device, requires_grad=backward)
        k = torch.randn((b, kv_heads, kl, dqk), dtype=dt, device=self.device, requires_grad=backward)
        v = torch.randn((b, kv_heads, kl, dv), dtype=dt, device=self.device, requires_grad=backward)
        kwargs = {"enable_gqa": True} if gqa else {}
        if causal_mode == "square":
            kwargs["is_causal"] = True
        elif causal_mode == "lower_right":
            from torch.nn.attention.bias import causal_lower_right  # noqa: PLC0415
            kwargs["attn_mask"] = causal_lower_right(q_rows, kl)
        if gqa:
            notes.append("gqa")

        refusals = []
        for name, backend in self.backends:
            try:
                fn = self._prepare(lambda: self._sdpa(q, k, v, kwargs), backend, backward, q, k, v)
                t = self._measure(fn)
            except RuntimeError as err:
                refusals.append(f"{name}: {str(err).splitlines()[0][:120]}")
                continue
            method = f"torch {torch.__version__.split('+')[0]} sdpa {name}"
            return {**t, "method": ", ".join([method] + notes)}
        if not folded:
            raise RuntimeError("no SDPA backend ran it: " + "; ".join(refusals))
        fn = self._prepare(lambda: self._bmm_attention(q, k, v), None, backward, q, k, v)
        t = self._measure(fn)
        return {**t, "method": ", ".join(["bmm+softmax+bmm (no SDPA backend ran)"] + notes)}

    def _sdpa(self, q, k, v, kwargs):
        return self.torch.nn.functional.scaled_dot_product_attention(q, k, v, **kwargs)

    def _bmm_attention(self, q, k, v):
        torch = self.torch
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))
        probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        return torch.matmul(probs, v)

    def _prepare(self, forward, backend, backward, q, k, v):
        """Runs the kernel once under `backend` (raising RuntimeError if it cannot) and returns what to time:
        the forward call, or for backward only torch.autograd.grad over a forward made once."""
        torch = self.torch
        from torch.nn.attention import sdpa_kernel  # noqa: PLC0415

        def under_backend(f):
            if backend is None:
                return f()
            with sdpa_kernel([backend]):
                return f()

        out = under_backend(forward)
        if not backward:
            torch.cuda.synchronize(self.device)
            return lambda: under_backend(forward)
        dout = torch.randn_like(out)
        step = lambda: torch.autograd.grad(out, (q, k, v), dout, retain_graph=True)  # noqa: E731
        step()
        torch.cuda.synchronize(self.device)
        return step

    def _measure(self, fn):
        torch = self.torch
        for _ in range(self.warmup):
            fn()
        torch.cuda.synchronize(self.device)
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        probe = 3
        self._spin(probe)
        start.record()
        for _ in range(probe):
            fn()
        stop.record()
        torch.cuda.synchronize(self.device)
        estimate_us = max(start.elapsed_time(stop) * 1000.0 / probe, 1.0)
        inner = min(max(math.ceil(MIN_SAMPLE_US / estimate_us), 1), MAX_INNER)
        marks = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
                 for _ in range(self.repeats)]
        for s, t in marks:
            self._spin(inner)
            s.record()
            for _ in range(inner):
                fn()
            t.record()
        torch.cuda.synchronize(self.device)
        samples = sorted(s.elapsed_time(t) * 1000.0 / inner for s, t in marks)
        return {"median_us": statistics.median(samples), "min_us": samples[0], "max_us": samples[-1]}

    def _spin(self, launches):
        spin = getattr(self.torch.cuda, "_sleep", None)
        if spin is not None:
            spin(int(min(launches * QUEUE_US_PER_LAUNCH, 20_000.0) * self.clock_ghz * 1000.0))
