"""Operating the platform: the commands that span every app (serve, demo, bench).

They live here rather than in one domain app so that ``grids`` keeps depending on nothing,
as DESIGN.md section 2 asks. This app has no models.
"""
