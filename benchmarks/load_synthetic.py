"""Fill an empty gridgov database with the synthetic Voronoi grids (for benchmarking before or
without the demo district):

    GRIDGOV_DATA_DIR=/tmp/bench .venv/bin/gridgov migrate
    GRIDGOV_DATA_DIR=/tmp/bench .venv/bin/python benchmarks/load_synthetic.py
    GRIDGOV_DATA_DIR=/tmp/bench .venv/bin/gridgov bench locate
"""

import os
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
django.setup()

from django.db import transaction  # noqa: E402

from gridgov.grids.codes import level_of  # noqa: E402
from gridgov.grids.models import Region  # noqa: E402
from gridgov.grids.services import apply_boundary, bump_network_revision  # noqa: E402
from synthetic import voronoi_grids  # noqa: E402

GRIDS_PER_COMMUNITY = 100


def main() -> None:
    if Region.objects.exists():
        sys.exit("The database already has regions; use an empty one.")
    _, cells = voronoi_grids()
    with transaction.atomic():
        district = Region.objects.create(code="210199", name="合成区（样例）", level=level_of("210199"), is_sample=True)
        street = Region.objects.create(code="210199001", name="合成街道（样例）", level=level_of("210199001"), parent=district, is_sample=True)
        communities = {}
        grids = []
        for n, cell in enumerate(cells):
            community_code = f"210199001{n // GRIDS_PER_COMMUNITY + 1:03d}"
            if community_code not in communities:
                communities[community_code] = Region.objects.create(
                    code=community_code, name=f"合成社区{community_code[-3:]}", level=level_of(community_code), parent=street, is_sample=True
                )
            code = f"{community_code}{n % GRIDS_PER_COMMUNITY + 1:03d}"
            grid = Region(code=code, name=f"合成网格{n}", level=level_of(code), parent=communities[community_code], is_sample=True)
            apply_boundary(grid, cell)
            grids.append(grid)
        Region.objects.bulk_create(grids)
        bump_network_revision()
    print(f"{len(grids)} synthetic grids written")


if __name__ == "__main__":
    main()
