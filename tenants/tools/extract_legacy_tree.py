"""Extract one province's late-2024 unit tree from the `vietnamadminunits` dataset.

Run by hand when the source data changes; the portal reads only the CSV it writes:

    pip install vietnamadminunits==1.0.4
    python tenants/tools/extract_legacy_tree.py 38 "Tỉnh Thanh Hóa" > tenants/thanh-hoa/units.csv
"""

import csv
import sqlite3
import sys
from importlib.resources import files

KINDS = {
    "Tỉnh": "province",
    "Thành phố": "city",
    "Thị xã": "town",
    "Huyện": "rural_district",
    "Phường": "ward",
    "Thị trấn": "township",
    "Xã": "commune",
}


def main(province_code: str, province_name: str) -> None:
    dataset = files("vietnamadminunits").joinpath("data/dataset.db")
    conn = sqlite3.connect(str(dataset))
    rows = conn.execute(
        "SELECT provinceLat, provinceLon, districtCode, district, districtType, districtLat, districtLon,"
        " wardCode, ward, wardType, wardLat, wardLon FROM admin_units_legacy WHERE provinceCode = ?"
        " ORDER BY CAST(districtCode AS INTEGER), CAST(wardCode AS INTEGER)",
        (province_code,),
    ).fetchall()
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["code", "name", "kind", "level", "parent_code", "latitude", "longitude"])
    out.writerow([province_code, province_name, "province", "province", "", rows[0][0], rows[0][1]])
    seen = set()
    for p_lat, p_lon, d_code, d_name, d_type, d_lat, d_lon, w_code, w_name, w_type, w_lat, w_lon in rows:
        d_code = d_code.zfill(3)
        if d_code not in seen:
            seen.add(d_code)
            out.writerow([d_code, d_name, KINDS[d_type], "district", province_code, d_lat, d_lon])
    for p_lat, p_lon, d_code, d_name, d_type, d_lat, d_lon, w_code, w_name, w_type, w_lat, w_lon in rows:
        out.writerow([w_code.zfill(5), w_name, KINDS[w_type], "commune", d_code.zfill(3), w_lat, w_lon])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
