"""Times .tflite files in TensorFlow's own tf.lite.Interpreter (XNNPACK, the runtime a phone's
TFLite uses), side by side: batch 1, one thread, rounds interleaved across the files so that
a busy machine slows all of them alike; prints one JSON line per file with the median.

    python bench/tflite_interpreter.py [--rounds 9] [--invokes 300] FILE.tflite ...

Run by bench/tflite-vs-converter.ts with the Python that has TensorFlow (PEER_PYTHON).
"""
import argparse, json, os, statistics, time, warnings

import numpy as np
import tensorflow as tf

warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")
p = argparse.ArgumentParser()
p.add_argument("--rounds", type=int, default=9)
p.add_argument("--invokes", type=int, default=300)
p.add_argument("files", nargs="+")
a = p.parse_args()


def interpreter(path):
    it = tf.lite.Interpreter(model_path=path, num_threads=1)
    it.allocate_tensors()
    inp = it.get_input_details()[0]
    x = np.random.default_rng(0).uniform(-1, 1, inp["shape"]).astype(np.float32)
    if inp["dtype"] in (np.int8, np.uint8):
        s, z = inp["quantization"]
        x = np.clip(np.round(x / s + z), np.iinfo(inp["dtype"]).min, np.iinfo(inp["dtype"]).max)
    it.set_tensor(inp["index"], x.astype(inp["dtype"]))
    for _ in range(20):
        it.invoke()
    return it


runs = {f: interpreter(f) for f in a.files}
per_round = {f: [] for f in a.files}
for _ in range(a.rounds):
    for f, it in runs.items():
        t0 = time.perf_counter()
        for _ in range(a.invokes):
            it.invoke()
        per_round[f].append((time.perf_counter() - t0) * 1000 / a.invokes)
for f in a.files:
    print(json.dumps({"file": os.path.basename(f), "bytes": os.path.getsize(f),
                      "median_ms": round(statistics.median(per_round[f]), 4),
                      "min_ms": round(min(per_round[f]), 4), "rounds": a.rounds,
                      "invokes": a.invokes, "tf": tf.__version__}), flush=True)
