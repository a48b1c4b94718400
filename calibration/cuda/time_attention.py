#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Times the attention kernels of a dsim kernel list with PyTorch SDPA and adds them to a kernel table.

The list and table formats are those of docs/calibration.md. dsim-calibrate times the GEMM and memory kernels and
writes the table; this script appends one entry per attention_forward / attention_backward kernel of the list and
refuses to overwrite an entry that is already there.

Exit codes: 0 done; 1 some kernels could not be timed (the others are written); 2 bad input or no PyTorch;
3 no CUDA GPU.
"""
import argparse
import datetime
import json
import os
import sys
import tempfile

ATTENTION_KINDS = ("attention_forward", "attention_backward")
ATTENTION_KEYS = ("dtype", "batch", "heads", "kv_heads", "q_len", "kv_len", "qk_dim", "v_dim", "causal")
KEYS_BY_KIND = {
    "gemm": ("dtype", "groups", "m", "n", "k"),
    "memory": ("bytes",),
    "attention_forward": ATTENTION_KEYS,
    "attention_backward": ATTENTION_KEYS,
}


class InputError(Exception):
    """Bad input: the message names the file and the JSON pointer."""


class NoGpu(Exception):
    """No CUDA device for PyTorch."""


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise InputError(f"{path}: cannot read the file ({e.strerror})") from e
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: parse error at line {e.lineno}, column {e.colno}: {e.msg}") from e


def entry_key(entry):
    """The kind and key fields of a list or table entry, as a hashable tuple (docs/calibration.md)."""
    kind = entry.get("kind")
    return (kind,) + tuple(json.dumps(entry.get(k)) for k in KEYS_BY_KIND.get(kind, ()))


def attention_kernels(path, doc):
    """The list's attention entries as (json path, entry), each checked field by field."""
    if not isinstance(doc, dict) or doc.get("format") != "dsim-kernel-list":
        raise InputError(f'{path}: /format: must be "dsim-kernel-list" (is this a kernel list?)')
    if doc.get("version") != 1:
        raise InputError(f"{path}: /version: must be 1")
    if not isinstance(doc.get("kernels"), list):
        raise InputError(f"{path}: /kernels: must be an array")
    found = []
    for i, e in enumerate(doc["kernels"]):
        at = f"/kernels/{i}"
        if not isinstance(e, dict):
            raise InputError(f"{path}: {at}: must be an object")
        if e.get("kind") not in ATTENTION_KINDS:
            continue  # dsim-calibrate checks and times the other kinds
        for key in ATTENTION_KEYS:
            if key not in e:
                raise InputError(f"{path}: {at}: missing key '{key}'")
        for key in ATTENTION_KEYS[1:-1]:
            v = e[key]
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise InputError(f"{path}: {at}/{key}: must be a positive integer")
        if not isinstance(e["causal"], bool):
            raise InputError(f"{path}: {at}/causal: must be true or false")
        if e["dtype"] not in ("bf16", "fp8"):
            raise InputError(f"{path}: {at}/dtype: must be one of bf16, fp8")
        if e["heads"] % e["kv_heads"] != 0:
            raise InputError(f"{path}: {at}/kv_heads: must divide heads")
        found.append((at, e))
    return found


def check_table(path, table, kernels, list_path):
    if not isinstance(table, dict) or table.get("format") != "dsim-kernel-table":
        raise InputError(f'{path}: /format: must be "dsim-kernel-table" (run dsim-calibrate first)')
    if not isinstance(table.get("entries"), list):
        raise InputError(f"{path}: /entries: must be an array")
    existing = {entry_key(e): j for j, e in enumerate(table["entries"]) if isinstance(e, dict)}
    for at, e in kernels:
        if entry_key(e) in existing:
            raise InputError(f"{path}: /entries/{existing[entry_key(e)]} already has the key of {list_path}: {at}; "
                             "remove it or start from a fresh table")


def write_atomically(path, text):
    """A temporary file in the same folder, then os.replace: readers never see half a table."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def flops(e):
    """Matrix FLOPs: 2 per multiply-add of q k^T and of p v, halved when causal over a square score matrix. Backward
    counts 2.5 times forward (its four products plus the recomputed q k^T), the usual FlashAttention convention."""
    f = 2.0 * e["batch"] * e["heads"] * e["q_len"] * e["kv_len"] * (e["qk_dim"] + e["v_dim"])
    if e["causal"] and e["q_len"] == e["kv_len"]:
        f *= 0.5
    return f * (2.5 if e["kind"] == "attention_backward" else 1.0)


def format_row(label, time_us, rate, unit, method):
    return f"  {label:<44}{time_us:12.2f} us{rate:10.1f} {unit:<7}{method}"


def label_of(e):
    return (f"{e['kind']} b{e['batch']} h{e['heads']}/{e['kv_heads']} q{e['q_len']} kv{e['kv_len']} "
            f"d{e['qk_dim']}/{e['v_dim']}{' causal' if e['causal'] else ''}")


def main(argv):
    parser = argparse.ArgumentParser(
        prog="time_attention.py",
        description="Time a dsim kernel list's attention kernels with PyTorch SDPA (bf16, CUDA) and add them to "
                    "the kernel table written by dsim-calibrate (docs/calibration.md).")
    parser.add_argument("--kernels", required=True, metavar="LIST.json", help="the kernel list")
    parser.add_argument("--table", required=True, metavar="TABLE.json", help="the kernel table to add entries to")
    parser.add_argument("--warmup", type=int, default=10, help="untimed runs before each kernel (default 10)")
    parser.add_argument("--repeats", type=int, default=30, help="timed samples per kernel; median kept (default 30)")
    parser.add_argument("--device", type=int, default=0, help="CUDA device index (default 0)")
    parser.add_argument("--mla-decode", action="store_true",
                        help="also time MLA's absorbed decode attention (one latent head, head dims over 256) through "
                             "SDPA's fallbacks; off by default: on an H100 they reach ~100 TFLOPS where FlashMLA, "
                             "the kernel DeepSeek serves with, reaches 580-660 TFLOPS on an H800, so such an entry "
                             "would make decode look several times slower than it is")
    args = parser.parse_args(argv)
    if args.warmup < 0 or args.repeats < 1:
        raise InputError("--warmup must be at least 0 and --repeats at least 1")

    kernels = attention_kernels(args.kernels, read_json(args.kernels))
    if not args.mla_decode:
        skipped = [(at, e) for at, e in kernels if e["kv_heads"] == 1 and max(e["qk_dim"], e["v_dim"]) > 256]
        for at, e in skipped:
            print(f"  {label_of(e):<44} skipped: MLA absorbed decode (no FlashMLA here; --mla-decode times SDPA's "
                  f"fallback)")
        kernels = [k for k in kernels if k not in skipped]
    table = read_json(args.table)
    check_table(args.table, table, kernels, args.kernels)
    if not kernels:
        print("no attention kernels in the list; the table is unchanged")
        return 0

    try:
        import torch  # noqa: PLC0415 (imported late so that --help and input errors work without PyTorch)
    except ImportError as e:
        raise InputError(f"PyTorch is not installed ({e}); this script needs torch with CUDA") from e
    from attention_timing import AttentionTimer  # noqa: PLC0415 (needs torch)

    if not torch.cuda.is_available() or args.device >= torch.cuda.device_count():
        raise NoGpu(f"no CUDA device {args.device} for PyTorch")
    name = torch.cuda.get_device_name(args.device)
    table_device = table.get("device", {}).get("name")
    if table_device != name:
        raise InputError(f"{args.table}: /device/name: the table was measured on '{table_device}', this GPU is "
                         f"'{name}'")

    timer = AttentionTimer(torch, args.device, args.warmup, args.repeats)
    print(f"PyTorch {torch.__version__}, {name}")
    new_entries, failures = [], []
    for at, e in kernels:
        try:
            t = timer.time(e)
        except Exception as err:  # noqa: BLE001 (one kernel's failure must not lose the others)
            failures.append(f"{args.kernels}: {at} ({label_of(e)}): {err}")
            print(f"  {label_of(e):<44}NOT TIMED: {err}", flush=True)
            continue
        entry = {"kind": e["kind"], **{k: e[k] for k in ATTENTION_KEYS}}
        entry.update(time_us=round(t["median_us"], 3), min_us=round(t["min_us"], 3), max_us=round(t["max_us"], 3),
                     method=t["method"], tflops=round(flops(e) / (t["median_us"] * 1e-6) / 1e12, 1))
        new_entries.append(entry)
        print(format_row(label_of(e), entry["time_us"], entry["tflops"], "TFLOPS", entry["method"]), flush=True)

    # Read the table again just before writing, so that the check and the append see the same file.
    table = read_json(args.table)
    check_table(args.table, table, kernels, args.kernels)
    table["entries"].extend(new_entries)
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    table.setdefault("provenance", {})["attention"] = {
        "tool": "calibration/cuda/time_attention.py", "torch": torch.__version__, "cudnn": cudnn,
        "measured_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "warmup": args.warmup, "repeats": args.repeats}
    write_atomically(args.table, json.dumps(table, indent=2) + "\n")
    print(f"added {len(new_entries)} attention entries to {args.table}")
    if failures:
        print(f"time_attention.py: {len(failures)} kernel(s) not timed (the table has the rest):", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        sys.exit(main(sys.argv[1:]))
    except InputError as err:
        print(f"time_attention.py: {err}", file=sys.stderr)
        sys.exit(2)
    except NoGpu as err:
        print(f"time_attention.py: {err}", file=sys.stderr)
        sys.exit(3)
