"""The synthetic demo district of DESIGN.md section 10.

Everything here is sample data: every region, person and centre carries ``is_sample=True`` and
every name ends with :data:`SAMPLE_MARK`. The package has no models; it generates the district
(``district.py``, ``people.py``) as plain data and writes it through the ordinary services
(``build.py``, ``users.py``).
"""

DEMO_DISTRICT_CODE = "210199"  # fictitious: no county-level unit of Shenyang has sequence 99
DEMO_DISTRICT_NAME = "样例区（示例数据）"
SAMPLE_MARK = "（示例）"
DEFAULT_SEED = 20240901
DEMO_PASSWORD = "gridgov-demo"
