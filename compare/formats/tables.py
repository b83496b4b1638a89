"""CSV: the tables of each view, one table per file, UTF-8, a header row.

Columns are stable names (they are an interface, like the JSON keys);
fractions are 0-1 as in JSON."""

from __future__ import annotations

import csv
import io

from . import Options


def _csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def outline(view, options: Options) -> str:
    def rows():
        for s in view.speeches:
            for sec in s.walk():
                yield [s.source, s.title, sec.level, sec.marker, sec.heading, len(sec.sentences), sec.span[0], sec.span[1]]

    return _csv(["source", "title", "level", "marker", "heading", "sentences", "start", "end"], rows())


def summary(view, options: Options) -> str:
    """Key sentences: the summary's (part=key), each section's (part=section)
    and, against a corpus, what is new (part=new)."""

    def rows():
        for i, s in enumerate(view.summaries):
            head = [s.source, s.title, s.date, s.speaker]
            for k in s.sentences:
                yield head + ["key", "", k.rank, k.path, round(k.score, 6), k.start, k.end, k.text]
            for sec in s.sections:
                for k in sec.sentences:
                    yield head + ["section", f"{sec.path} {sec.heading}".strip(), k.rank, k.path, round(k.score, 6), k.start, k.end, k.text]
            if view.against:
                for k in view.against[i]["whats_new"]:
                    yield head + ["new", "", k["rank"], k["path"], k["score"], k["start"], k["end"], k["text"]]

    return _csv(["source", "title", "date", "speaker", "part", "section", "rank", "path", "score", "start", "end", "text"], rows())


def diff(view, options: Options) -> str:
    """One row per aligned row: its section pair, status, and each side."""

    def side(cell):
        return ["", "", ""] if cell is None else [cell["index"], cell["path"], cell["text"]]

    def rows():
        for sec in view.data["sections"]:
            path_a = sec["a"]["path"] if sec["a"] else ""
            path_b = sec["b"]["path"] if sec["b"] else ""
            for row in sec["rows"]:
                yield [sec["id"], path_a, path_b, row["status"], row["similarity"], *side(row["a"]), *side(row["b"])]

    return _csv(["section", "section_a", "section_b", "status", "similarity", "a_index", "a_path", "a_text",
                 "b_index", "b_path", "b_text"], rows())


def against(view, options: Options) -> str:
    rows = ([s["path"], int(s["heading"]), s["boilerplate"], int(s["reused"]), s["uses"], s["text"]] for s in view.data["sentences"])
    return _csv(["path", "heading", "boilerplate", "reused", "uses", "text"], rows)


def report(view, options: Options) -> str:
    """One of the report's tables (``options.table``): speeches (each
    speech's boilerplate share), pairs, or the phrasebook."""
    data = view.data()
    if options.table == "pairs":
        names = {s["id"]: s["source"] for s in data["speeches"]}
        return _csv(["a", "b", "a_source", "b_source", "shared_a", "shared_b", "jaccard"],
                    ([p["a"], p["b"], names[p["a"]], names[p["b"]], p["shared_a"], p["shared_b"], p["jaccard"]] for p in data["pairs"]))
    if options.table == "phrasebook":
        return _csv(["kind", "families", "variants", "speeches", "text"],
                    ([e["kind"], e["families"], e["variants"], " ".join(map(str, e["speeches"])), e["text"]] for e in data["phrasebook"]))
    return _csv(["id", "source", "title", "date", "speaker", "chars", "boilerplate", "near_duplicates"],
                ([s["id"], s["source"], s["title"], s["date"], s["speaker"], s["chars"], s["boilerplate"],
                  " ".join(map(str, s["near_duplicates"]))] for s in data["speeches"]))


def track(view, options: Options) -> str:
    """One row per cell of the variant table (row, witness), or with
    ``--numbers`` and table=figures one row per recurring figure frame."""
    data = view.data()
    if options.table == "figures":
        witnesses = data["witnesses"]
        header = ["frame", "unit", "support"] + [f"W{w['id']} {w['source']}" for w in witnesses]
        return _csv(header, ([f["frame"], f["unit"], f["support"]] + [v["text"] if v else "" for v in f["values"]]
                             for f in data.get("figures") or []))

    def rows():
        for n, row in enumerate(data["rows"], 1):
            for w, cell in zip(data["witnesses"], row["cells"]):
                yield [n, w["id"], w["source"], w["date"], cell["status"], int(cell["majority"]), cell.get("text", "")]

    return _csv(["row", "witness", "source", "date", "status", "majority", "text"], rows())
