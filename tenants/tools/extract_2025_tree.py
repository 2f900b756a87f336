"""Extract one province's 2025 unit tree, its lineage from the late-2024 tree and the default areas from
the `vietnamadminunits` dataset.

Run by hand when the source data changes; the portal reads only the CSV files it writes:

    pip install vietnamadminunits==1.0.4
    python tenants/tools/extract_2025_tree.py 38 tinhthanhhoa tenants/thanh-hoa

Writes, into the province's folder:
- `units-2025.csv`: the commune-level units of the 2025 tree, each under its area;
- `areas.csv`: the default areas, one per former district (a province may regroup them by hand);
- `lineage.csv`: every old commune → its new unit(s): `whole` (joined whole) or a split's parts, with
  the default successor and each part's share of the successors' area.

It checks every new unit against its lineage and prints the units whose code is not the code of a
predecessor that joined whole: those are decided by the lineage (their area is the former district
most of their whole predecessors came from), never by the code.
"""

import csv
import json
import sqlite3
import sys
from collections import Counter
from importlib.resources import files
from pathlib import Path

KINDS = {"Phường": "ward", "Xã": "commune"}


def _load(province_code: str, province_key: str):
    data = files("vietnamadminunits").joinpath("data")
    conn = sqlite3.connect(str(data.joinpath("dataset.db")))
    legacy = {
        f"{pk}_{dk}_{wk}": {"code": code.zfill(5), "district": dcode.zfill(3), "district_name": dshort}
        for pk, dk, wk, code, dcode, dshort in conn.execute(
            "SELECT provinceKey, districtKey, wardKey, wardCode, districtCode, districtShort"
            " FROM admin_units_legacy WHERE provinceCode = ?",
            (province_code,),
        )
    }
    new = {
        key: {"code": code.zfill(5), "name": name, "kind": KINDS[kind], "lat": lat, "lon": lon, "km2": km2}
        for key, code, name, kind, lat, lon, km2 in conn.execute(
            "SELECT wardKey, wardCode, ward, wardType, wardLat, wardLon, wardAreaKm2 FROM admin_units"
            " WHERE provinceCode = ? ORDER BY CAST(wardCode AS INTEGER)",
            (province_code,),
        )
    }
    converter = json.loads(data.joinpath("converter_2025.json").read_text(encoding="utf-8"))
    whole = converter["DICT_PROVINCE_WARD_NO_DIVIDED"][province_key]
    split = converter["DICT_PROVINCE_WARD_DIVIDED"][province_key]
    return legacy, new, whole, split


def _lineage(legacy, new, whole, split) -> list[dict]:
    rows = []
    for new_key, old_keys in whole.items():
        for old_key in old_keys:
            rows.append({"old_code": legacy[old_key]["code"], "new_code": new[new_key]["code"], "default": "1"})
    for old_key, parts in split.items():
        total = sum(p["newWardAreaKm2"] for p in parts)
        for part in parts:
            rows.append(
                {
                    "old_code": legacy[old_key]["code"],
                    "new_code": new[part["newWardKey"]]["code"],
                    "default": "1" if part["isDefaultNewWard"] else "0",
                    "share": f"{part['newWardAreaKm2'] / total:.3f}",
                }
            )
    return sorted(rows, key=lambda r: (r["old_code"], r["default"] != "1", r["new_code"]))


def _area_of(new_key, new, whole, legacy) -> tuple[str, str]:
    """The former district of the predecessor whose code the unit kept; where none did (a split's
    code, or another code), the district most of its whole predecessors came from."""
    predecessors = [legacy[k] for k in whole.get(new_key, [])]
    kept = [p for p in predecessors if p["code"] == new[new_key]["code"]]
    if kept:
        return kept[0]["district"], "kept"
    district = Counter(p["district"] for p in predecessors).most_common(1)[0][0]
    return district, "lineage"


def main(province_code: str, province_key: str, folder: str) -> None:
    legacy, new, whole, split = _load(province_code, province_key)
    out = Path(folder)
    lineage = _lineage(legacy, new, whole, split)
    covered = Counter(r["old_code"] for r in lineage if r["default"] == "1")
    assert len(covered) == len(legacy) and set(covered.values()) == {1}, "every old commune: one default successor"
    districts = {v["district"]: v["district_name"] for v in legacy.values()}
    areas, decided = {}, []
    for key, unit in new.items():
        district, how = _area_of(key, new, whole, legacy)
        areas[key] = district
        if how == "lineage":
            decided.append(f"{unit['code']} {unit['name']}: area of former district {district}")
    with (out / "areas.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["code", "name", "former_district_code"])
        for district in sorted(set(areas.values())):
            writer.writerow([f"KV{district}", f"Khu vực {districts[district]}", district])
    with (out / "units-2025.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["code", "name", "kind", "level", "parent_code", "latitude", "longitude", "area_km2"])
        for key, unit in new.items():
            row = [unit["code"], unit["name"], unit["kind"], "commune", f"KV{areas[key]}"]
            writer.writerow([*row, unit["lat"], unit["lon"], unit["km2"]])
    with (out / "lineage.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, ["old_code", "new_code", "default", "share"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(lineage)
    kinds = Counter(u["kind"] for u in new.values())
    print(f"{len(new)} units ({kinds['commune']} xã, {kinds['ward']} phường); {len(legacy)} old communes")
    print(f"lineage: {len(whole and [k for v in whole.values() for k in v])} joined whole, {len(split)} split")
    print("decided by the lineage, not the code:", *decided, sep="\n  ")


if __name__ == "__main__":
    main(*sys.argv[1:4])
