"""Benchmark (not a test): import a province-year of one-stop exports (≈ 305 k dossiers, 12 months).

Writes the demo province (scale 1.0) as the example export twice, all-Excel (report layout) and
all-CSV, then times `import_export` on each and prints rows per second and peak memory. Each
import runs in a fresh process so the peak-memory figure is the import's own.

    python benchmarks/bench_import.py --work data/bench-import [--scale 1.0]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

IMPORT_ONE = """
import json, resource, sys, time
from chiso.importer import import_export
from chiso.mapping import load_mapping
t = time.perf_counter()
result = import_export(sys.argv[1], load_mapping(sys.argv[2]))
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, **result.totals(),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    from chiso.demo import generate
    from chiso.export import EXAMPLE_MAPPING, export_dataset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("data/bench-import"))
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    ds = generate(scale=args.scale)
    print(f"{len(ds.dossiers):,} dossiers, {len(ds.petitions):,} petitions, 12 months")
    for fmt in ("xlsx", "csv"):
        folder = args.work / fmt
        t = time.perf_counter()
        export_dataset(ds, folder, EXAMPLE_MAPPING, dossier_format=fmt)
        size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
        print(f"{fmt}: export written in {time.perf_counter() - t:.1f} s ({size:.0f} MB)")
        out = subprocess.run([sys.executable, "-c", IMPORT_ONE, str(folder), str(EXAMPLE_MAPPING)],
                             capture_output=True, text=True, check=True)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{fmt}: import {figures['read']:,} rows in {figures['seconds']:.1f} s "
              f"({figures['read'] / figures['seconds']:,.0f} rows/s), kept {figures['kept']:,}, "
              f"quarantined {figures['quarantined']:,}, peak memory {figures['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
