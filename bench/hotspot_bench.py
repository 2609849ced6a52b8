"""Hot spot benchmark (issue 5, item 1): Gi* with 999 permutations on 1,000,000 events.

Synthetic events, seeded: 85% in 300 clusters over Iraq's bounding box (centres uniform in the
box, sizes heavy-tailed, spreads 2-25 km), 15% spread evenly over the box. Ours is
tansiq.analysis.hotspots at H3 resolution 7, in its two halves: the binning (`study_counts`: the
H3 cell of each event, counts, the study area) timed apart from Gi* itself
(`gi_star_of_counts`: ring-1 neighbours, z-scores, 999 permutations, FDR, bins). The reference,
in the same process on the same counts and neighbours, is esda's G_Local(star=True,
transform="B", permutations=999, n_jobs=1) on every cell (no subset, no scaling), its libpysal W
built from our neighbour lists outside its timing (reported apart). Goal: ours no slower.

The draws (esda's legacy RandomState, O(permutations x cells)) are timed once more on their own,
to show their share of ours. Agreement is checked in the same run: z to esda's, and p to esda's
draw for draw (esda's folding rebuilt from our permutation counts; see
tansiq.analysis.hotspots on ties).

    .venv/bin/python -m bench.hotspot_bench [--events N] [--res R] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.taxii_bench import load, run_facts
from tansiq.analysis.events import EventArrays
from tansiq.analysis.hotspots import (
    HotspotResult,
    Neighbours,
    esda_draws,
    gi_star_of_counts,
    permutation_counts,
    ring_neighbours,
    study_counts,
)

REPO = Path(__file__).resolve().parents[1]
IRAQ_BOX = (29.06, 38.79, 37.38, 48.57)  # south, west, north, east
PERMUTATIONS = 999
SEED = 20261126


def synthetic_events(n: int, seed: int = SEED) -> EventArrays:
    """n clustered events over Iraq's box (see the module docstring)."""
    rng = np.random.default_rng(seed)
    south, west, north, east = IRAQ_BOX
    clusters = 300
    share = rng.pareto(1.2, clusters) + 1
    sizes = rng.multinomial(int(n * 0.85), share / share.sum())
    centre_lat = rng.uniform(south, north, clusters)
    centre_lon = rng.uniform(west, east, clusters)
    spread_deg = rng.uniform(2, 25, clusters) / 111.0
    clustered = sizes.sum()
    offsets = rng.normal(0, 1, (2, clustered)) * np.repeat(spread_deg, sizes)
    lat = np.concatenate(
        [np.repeat(centre_lat, sizes) + offsets[0], rng.uniform(south, north, n - clustered)]
    )
    lon = np.concatenate(
        [np.repeat(centre_lon, sizes) + offsets[1], rng.uniform(west, east, n - clustered)]
    )
    zeros = np.zeros(n, np.int32)
    return EventArrays(lat.round(5), lon.round(5), zeros, zeros)


def esda_run(counts: npt.NDArray[np.int64], graph: Neighbours) -> tuple[Any, float, float]:
    """esda's G_Local on the same counts and neighbours: the result, W build s, G_Local s."""
    from esda.getisord import G_Local
    from libpysal.weights import W

    started = time.perf_counter()
    w = W(graph.lists(), silence_warnings=True)
    built = time.perf_counter() - started
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # esda's notice that its default alternative changes
        started = time.perf_counter()
        result = G_Local(
            counts.astype(float),
            w,
            transform="B",
            star=True,
            permutations=PERMUTATIONS,
            seed=0,
            n_jobs=1,
            keep_simulations=False,
        )
        seconds = time.perf_counter() - started
    return result, built, seconds


def agreement(
    mine: HotspotResult, esda: Any, counts: npt.NDArray[np.int64], graph: Neighbours
) -> dict[str, Any]:
    """How far our z and p are from esda's. esda's p is rebuilt from our own permutation counts
    folded its way (a tie counted as "at least" only): equal means the same draws, draw for
    draw; our published p differs from esda's only where a permutation ties."""
    at_least, at_most = permutation_counts(counts, graph, PERMUTATIONS, 0)
    esda_way = (np.minimum(at_least, PERMUTATIONS - at_least) + 1) / (PERMUTATIONS + 1)
    ties = at_least + at_most > PERMUTATIONS
    return {
        "max_abs_z_difference": float(np.abs(mine.z - esda.Zs).max()),
        "max_abs_p_difference_esda_folding": float(np.abs(esda_way - esda.p_sim).max()),
        "max_abs_p_difference_where_no_tie": float(np.abs(mine.p - esda.p_sim)[~ties].max()),
        "cells_with_a_tie": int(ties.sum()),
        "cells_esda_puts_at_p_0_001_through_ties": int(
            ((esda.p_sim < 0.0011) & (mine.p > 0.0011)).sum()
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--res", type=int, default=7)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args()
    load_before = load()
    events = synthetic_events(args.events)

    started = time.perf_counter()
    cells, counts = study_counts(events, args.res)
    binning_s = time.perf_counter() - started
    started = time.perf_counter()
    mine = gi_star_of_counts(cells, counts, args.res, PERMUTATIONS, 0)
    ours_s = time.perf_counter() - started
    graph = ring_neighbours(cells)
    started = time.perf_counter()
    esda_draws(len(cells), int(graph.cardinalities().max()), PERMUTATIONS, 0)
    draws_s = time.perf_counter() - started
    esda, w_build_s, esda_s = esda_run(counts, graph)

    report = {
        **run_facts(load_before),
        "events": args.events,
        "res": args.res,
        "permutations": PERMUTATIONS,
        "cells": len(counts),
        "cells_with_events": int((counts > 0).sum()),
        "binning_s": round(binning_s, 3),
        "gi_star_s": round(ours_s, 3),
        "of_which_esda_draws_s": round(draws_s, 3),
        "esda_g_local_s": round(esda_s, 3),
        "esda_w_build_s": round(w_build_s, 3),
        "esda_over_ours": round(esda_s / ours_s, 2),
        "goal_ours_no_slower": esda_s >= ours_s,
        "hot_cells": int((mine.gi_bin > 0).sum()),
        "cold_cells": int((mine.gi_bin < 0).sum()),
        "agreement_with_esda": agreement(mine, esda, counts, graph),
    }
    print(json.dumps(report, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hotspot.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
