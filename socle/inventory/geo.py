"""Where the ARC's communes are: the approximate position of each town centre (degrees,
WGS 84), for the public hotspot map's background and the demo's sites. Figures rounded
to three decimals (about 100 m): a drawing aid, not a survey."""

from __future__ import annotations

TOWN_CENTRES: dict[str, tuple[float, float]] = {
    "armancourt": (49.383, 2.783),
    "bethisy-saint-martin": (49.294, 2.819),
    "bethisy-saint-pierre": (49.303, 2.797),
    "bienville": (49.446, 2.835),
    "choisy-au-bac": (49.437, 2.877),
    "clairoix": (49.443, 2.851),
    "compiegne": (49.418, 2.826),
    "janville": (49.457, 2.861),
    "jaux": (49.391, 2.771),
    "jonquieres": (49.389, 2.729),
    "lachelle": (49.443, 2.742),
    "lacroix-saint-ouen": (49.357, 2.786),
    "le-meux": (49.367, 2.744),
    "margny-les-compiegne": (49.428, 2.818),
    "nery": (49.282, 2.776),
    "saint-jean-aux-bois": (49.344, 2.899),
    "saint-sauveur": (49.319, 2.782),
    "saint-vaast-de-longmont": (49.290, 2.712),
    "saintines": (49.302, 2.770),
    "venette": (49.414, 2.801),
    "verberie": (49.311, 2.732),
    "vieux-moulin": (49.392, 2.938),
}
