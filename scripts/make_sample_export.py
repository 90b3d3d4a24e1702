"""Write the synthetic sample export that exercises `chiso import` end to end.

    python scripts/make_sample_export.py --out data/sample-export [--scale 0.1] [--months 12]

It generates the demo province (`chiso.demo`, synthetic), then writes it as the example one-stop
system export documented in data/README.md and mapped by parameters/mappings/mot-cua-example.yaml:
`danh-muc.xlsx` (unit and procedure lists), one dossier file per month (Excel reports with title
rows, a two-level merged header and a totals row; every third month a UTF-8 CSV; the last month a
Windows-1258 CSV with semicolons, as older systems write) and `pakn.xlsx`. Made-up applicant names,
ID numbers, phones and addresses are included so that their removal at import is exercised.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from chiso.demo import generate
from chiso.export import EXAMPLE_MAPPING, export_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data/sample-export"))
    parser.add_argument("--scale", type=float, default=0.1, help="1.0 ≈ 300 k dossiers a year")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=20240701)
    parser.add_argument("--format", default="mixed", choices=("mixed", "xlsx", "csv"))
    args = parser.parse_args()
    started = time.perf_counter()
    ds = generate(seed=args.seed, scale=args.scale, months=args.months)
    export_dataset(ds, args.out, EXAMPLE_MAPPING, dossier_format=args.format)
    files = sorted(p.name for p in args.out.iterdir())
    print(f"Dữ liệu mô phỏng / synthetic data: {len(ds.dossiers):,} dossiers in {len(files)} files written to "
          f"{args.out} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
