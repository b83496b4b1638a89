"""Many speeches: phrasebook, families, report, SQLite index and --against."""

import json
from collections import defaultdict
import sqlite3
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opencc import OpenCC

import compare
from compare import arrays, corpus, store

from .browser import inspect_page
from .conftest import ROOT, SAMPLES, needs_chromium, run, speeches_of
from . import oracles
from .oracles import _true_runs

# A hand-built corpus where the true reuse is known.
PEOPLE = "要坚持以人民为中心的发展思想，把人民群众的获得感、幸福感、安全感作为一切工作的出发点和落脚点。"
TEMPLATE = "刚才，{}同志通报了全市安全生产形势，我完全同意，请大家认真抓好落实。"
CLAUSE = "压紧压实各级党委政府的属地责任"


def speech(*sentences: str) -> str:
    return "同志们：\n" + "\n".join(sentences)


TEXTS = {
    "a": speech(
        TEMPLATE.format("XX"),
        PEOPLE,
        "今年我市新建高标准农田十二万亩，粮食总产量连续五年稳定在八十万吨以上。",
        "汉江二桥将于十月建成通车，届时城区交通拥堵问题将明显缓解。",
    ),
    "b": speech(
        TEMPLATE.format("王建国"),
        PEOPLE,
        f"各县区要{CLAUSE}，确保防汛物资在六月底前全部到位。",
        "白河县三个易地搬迁安置点的配套学校必须在秋季开学前投入使用。",
    ),
    "c": speech(
        TEMPLATE.format("李华"),
        PEOPLE,
        "新区管委会要抓紧完成数据中心二期的土地征收，年底前实现开工。",
    ),
    "d": speech(
        f"林业部门要{CLAUSE}，严防春季森林火灾发生。",
        "全市新增造林面积三万亩，义务植树四百万株，森林覆盖率达到百分之六十八。",
        "石泉县古堰景区的门票收入比上年增长两成。",
    ),
}


def hand_built():
    speeches = [compare.load_text(text, name)[0] for name, text in TEXTS.items()]
    # a traditional-character copy of speech a: the same speech, not reuse
    speeches.append(compare.load_text(OpenCC("s2t").convert(TEXTS["a"]), "a_copy")[0])
    return speeches


@pytest.fixture(scope="module")
def small():
    return corpus.analyze_corpus(hand_built())


def entry_containing(book, needle):
    found = [e for e in book if needle in e.text]
    assert found, f"no phrasebook entry contains {needle!r}"
    return found[0]


def test_copies_form_one_family(small):
    assert small.families == [[0, 4]]


def test_phrasebook_counts_known_reuse(small):
    book = small.phrasebook
    people = entry_containing(book, "以人民为中心")
    assert people.kind == "sentence" and people.families == 3 and people.speeches == [0, 1, 2, 4]
    template = entry_containing(book, "通报了全市安全生产形势")
    # placeholder XX and the names that fill it are one sentence in three wordings
    assert template.kind == "sentence" and template.families == 3 and template.variants == 3
    clause = entry_containing(book, CLAUSE)
    assert clause.kind == "phrase" and clause.families == 2 and clause.speeches == [1, 3]
    # what only one speech (or only a speech and its copy) says is not boilerplate
    for needle in ("汉江二桥", "白河县", "数据中心", "森林覆盖率"):
        assert not [e for e in book if needle in e.text], needle
    assert len(book) == 3


def test_boilerplate_share_and_whats_new(small):
    by_source = {r.speech.source: r for r in small.speeches}
    d = by_source["d#1"]
    assert d.boilerplate < 0.25  # only its reused clause
    a = by_source["a#1"]
    assert 0.3 < a.boilerplate < 0.8
    new_a = " ".join(k.text for k in a.new)
    assert "汉江二桥" in new_a and "以人民为中心" not in new_a
    assert a.summary.sentences  # the plain TextRank summary is there too
    assert by_source["a_copy#1"].boilerplate == pytest.approx(a.boilerplate, abs=0.02)


def test_distinctive_keywords_are_not_shared_words(small):
    by_source = {r.speech.source: r for r in small.speeches}
    words = [k.word for k in by_source["d#1"].distinctive]
    assert words[0] == "森林"  # twice in d (森林火灾, 森林覆盖率), in no other speech
    assert "人民" not in [k.word for k in by_source["b#1"].distinctive]


def test_lsh_candidates_agree_with_all_pairs_on_the_samples(sample_corpus):
    speeches = [r.speech for r in sample_corpus.speeches]
    lsh = corpus.analyze_corpus(speeches, exact_limit=0)
    assert lsh.families == sample_corpus.families
    top = lambda c: [(p.a, p.b) for p in sorted(c.pairs, key=lambda p: -p.shared)[:2]]
    assert top(lsh) == top(sample_corpus)


def lsh_candidates_one_sketch_at_a_time(hash_sets, threshold):
    """The earlier lsh_candidates: a MinHash built from scratch (its
    permutations redrawn) for every set; the oracle for the shared-permutation one."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=corpus.NUM_PERM)
    for i, hashes in enumerate(hash_sets):
        m = MinHash(num_perm=corpus.NUM_PERM, hashfunc=lambda v: v, scheme="affine64")
        m.update_batch(hashes)
        for j in lsh.query(m):
            yield int(j), i
        lsh.insert(i, m)


def test_the_tabled_lsh_layouts_need_no_datasketch(monkeypatch):
    # a report's driver asks for these layouts: importing datasketch (and
    # scipy.integrate) would cost it 0.3-0.6 s
    monkeypatch.setitem(sys.modules, "datasketch", None)  # any import of it raises ImportError
    for threshold, num_perm in corpus._LAYOUTS:
        assert num_perm == corpus.NUM_PERM
        assert corpus._lsh_layout.__wrapped__(threshold)[:2] == corpus._LAYOUTS[threshold, num_perm]
    with pytest.raises(ImportError):
        corpus._lsh_layout.__wrapped__(0.3)


def test_the_lsh_layouts_and_permutations_are_datasketchs():
    # the table that spares a report importing datasketch, against datasketch
    from datasketch import MinHash, MinHashLSH

    # the thresholds the corpus asks for are in the table, for the NUM_PERM it uses
    assert (corpus.CANDIDATE, corpus.NUM_PERM) in corpus._LAYOUTS
    assert (corpus.WORDING_THRESHOLD, corpus.NUM_PERM) in corpus._LAYOUTS
    for (threshold, num_perm), layout in corpus._LAYOUTS.items():
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert layout == (lsh.b, lsh.r)
    for seed in (1, 7):
        a, b = MinHash(num_perm=corpus.NUM_PERM, seed=seed, scheme="affine64").permutations
        mine = corpus._affine64(corpus.NUM_PERM, seed)
        assert np.array_equal(mine[0], a) and np.array_equal(mine[1], b)
        assert mine[0].dtype == a.dtype and mine[1].dtype == b.dtype
    # a threshold outside the table is asked of datasketch
    lsh = MinHashLSH(threshold=0.3, num_perm=corpus.NUM_PERM)
    assert corpus._lsh_layout(0.3)[:2] == (lsh.b, lsh.r)
    assert corpus._lsh_layout(0.5)[:2] == corpus._LAYOUTS[0.5, corpus.NUM_PERM]


def test_lsh_candidates_as_arrays_match_datasketch_sketch_by_sketch():
    speeches = [s for path in sorted(SAMPLES.glob("*.txt")) for s in speeches_of(path.stem)]
    prints = [corpus.fingerprint(s) for s in speeches]
    sets = [p.set for p in prints]
    expected = sorted(lsh_candidates_one_sketch_at_a_time(sets, corpus.CANDIDATE))
    assert corpus.lsh_candidates(sets, corpus.CANDIDATE) == expected and expected
    # the phrasebook's use: every sentence key of the samples, as 3-character shingles
    keys = sorted({k for p in prints for k in p.keys if len(k) >= corpus.MIN_PHRASE})
    sentence_sets = [corpus.shingles(k, 3) for k in keys]
    expected = sorted(lsh_candidates_one_sketch_at_a_time(sentence_sets, 0.5))
    assert corpus.lsh_candidates(iter(sentence_sets), 0.5) == expected
    assert len(expected) > 50  # the samples reuse sentences in several wordings


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=10), max_size=10), st.integers(1, 30))
def test_sketches_made_in_blocks_are_datasketchs_minhashes(sets, chunk):
    # _sketches cuts the sets' hashes into blocks of about `chunk` (so a
    # block's product stays in the cache): any cut, empty sets and a set
    # longer than a block included, gives each set datasketch's own values
    from datasketch import MinHash

    _, _, a, b = corpus._lsh_layout(0.5)
    got = corpus._sketches([np.array(s, dtype=np.uint64) for s in sets], a, b, chunk)
    assert got.shape == (len(sets), len(a))
    for row, hashes in zip(got.tolist(), sets):
        m = MinHash(num_perm=corpus.NUM_PERM, hashfunc=lambda v: v, scheme="affine64")
        if hashes:
            m.update_batch(hashes)
        assert row == m.hashvalues[: len(a)].tolist()


def covered_by(key_length: int, flags) -> list[bool]:
    """Plain-Python oracle: character i of a key is covered when a flagged
    run (they start at every position, each as wide as the key allows) holds it."""
    width = key_length - len(flags) + 1
    return [any(flag and j <= i < j + width for j, flag in enumerate(flags)) for i in range(key_length)]


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_fingerprints_never_raise_and_cover_within_bounds(text):
    key = corpus.key(text)
    runs = corpus.shingles(key)
    assert len(runs) == (0 if len(key) < corpus.MIN_KEY else max(1, len(key) - corpus.SHINGLE + 1))
    for speech in compare.load_text(text, "t"):
        fp = corpus.fingerprint(speech)
        covered = corpus.covered_chars(fp, np.ones(len(fp.runs), dtype=bool))
        assert len(covered) == fp.chars
        for u in range(len(fp.keys)):
            part = covered[fp.offsets[u] : fp.offsets[u + 1]]
            assert part.all() if len(fp.runs_of(u)) else not part.any()


STABLE_PROBE = """
import json, sys
from compare import arrays, corpus, store
keys = json.loads(sys.stdin.read())
print(json.dumps([[corpus.shingles(k).tolist(), store.key_hash(k)] for k in keys]))
"""


def test_fingerprints_are_stable_across_processes():
    # stored in SQLite and compared with speeches indexed by earlier runs: must
    # not depend on Python's per-process hash seed (str hash is salted per process)
    import os
    import subprocess
    import sys

    keys = ["坚持以人民为中心的发展思想", "压紧压实各级党委政府的属地责任XX", "abcd", "同志们"]
    here = [[corpus.shingles(k).tolist(), store.key_hash(k)] for k in keys]
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", STABLE_PROBE], input=json.dumps(keys), env=env,
                             capture_output=True, text=True, check=True).stdout
        assert json.loads(out) == here, seed
    assert corpus.shingles("abcd").dtype == np.uint64
    # pinned: a stored database stays readable by later versions only if this never changes
    assert store.key_hash("坚持以人民为中心的发展思想") == -4136914407045892219


# ----- the samples


@pytest.fixture(scope="module")
def sample_corpus():
    speeches = [s for path in sorted(SAMPLES.glob("*.txt")) for s in speeches_of(path.stem)]
    return corpus.analyze_corpus(speeches)


def index_of(c, source):
    return [r.speech.source for r in c.speeches].index(source)


def test_samples_template_and_web_copy_are_near_duplicates(sample_corpus):
    template = index_of(sample_corpus, "city_health_2022_template.txt#1")
    web_copy = index_of(sample_corpus, "web_health_speeches_trad.txt#3")
    assert [template, web_copy] in sample_corpus.families
    assert len(sample_corpus.families) == 1


def test_samples_ankang_speeches_strongly_related(sample_corpus):
    a = index_of(sample_corpus, "ankang_2020_transport_and_health.txt#1")
    b = index_of(sample_corpus, "ankang_2020_transport_and_health.txt#2")
    ranked = [p for p in sorted(sample_corpus.pairs, key=lambda p: -p.shared) if p.jaccard < corpus.NEAR_DUPLICATE]
    assert (ranked[0].a, ranked[0].b) == (a, b)
    assert ranked[0].shared >= corpus.RELATED
    shared = [e for e in sample_corpus.phrasebook if a in e.speeches and b in e.speeches]
    texts = " ".join(e.text for e in shared)
    assert "一分部署、九分落实" in texts and "习近平总书记强调" in texts


def test_samples_copies_do_not_make_boilerplate(sample_corpus):
    # the template's own text, mirrored on the web, is not corpus boilerplate
    template = sample_corpus.speeches[index_of(sample_corpus, "city_health_2022_template.txt#1")]
    assert template.boilerplate < 0.3
    assert template.new


# ----- the SQLite index


def write_corpus(tmp_path):
    paths = []
    for name, text in TEXTS.items():
        p = tmp_path / f"{name}.txt"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths


def test_index_is_idempotent(tmp_path):
    paths = write_corpus(tmp_path)
    conn = store.connect(tmp_path / "c.sqlite")
    assert [store.add_file(conn, p)[0] for p in paths] == ["added"] * 4
    before = store.counts(conn)
    assert [store.add_file(conn, p)[0] for p in paths] == ["unchanged"] * 4
    assert store.counts(conn) == before
    copy = tmp_path / "copy_of_a.txt"
    copy.write_text(TEXTS["a"], encoding="utf-8")
    assert store.add_file(conn, copy)[0].startswith("duplicate of")
    paths[3].write_text(TEXTS["d"] + "\n新增一句：全市将新建五座污水处理厂。", encoding="utf-8")
    assert store.add_file(conn, paths[3])[0] == "updated"
    after = store.counts(conn)
    assert after["files"] == 4 and after["speeches"] == 4 and after["sentences"] == before["sentences"] + 1


def test_interrupted_index_leaves_database_consistent(tmp_path, monkeypatch):
    paths = write_corpus(tmp_path)
    db = tmp_path / "c.sqlite"
    conn = store.connect(db)
    store.add_file(conn, paths[0])
    calls = {"n": 0}
    real = store.key_hash

    def failing(k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C mid-file
        return real(k)

    monkeypatch.setattr(store, "key_hash", failing)
    with pytest.raises(KeyboardInterrupt):
        store.add_file(conn, paths[1])
    monkeypatch.undo()
    fresh = sqlite3.connect(db)
    assert fresh.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 1
    assert fresh.execute("SELECT COUNT(*) FROM speeches").fetchone()[0] == 1
    assert fresh.execute("PRAGMA foreign_key_check").fetchall() == []
    assert store.add_file(conn, paths[1])[0] == "added"


def test_against_marks_corpus_boilerplate(tmp_path):
    paths = write_corpus(tmp_path)
    conn = store.connect(tmp_path / "c.sqlite")
    for p in paths[:3]:
        store.add_file(conn, p)
    new = compare.load_text(speech(PEOPLE, "今年要建成汉阴至石泉的快速通道，全长四十二公里。", f"全市各级要{CLAUSE}。"), "new")[0]
    m = store.mark(conn, new)
    assert m.corpus_size == 3
    by_text = {u.text: (label, score, uses) for u, label, score, uses in zip(m.fingerprint.units, m.labels.labels, m.scores, m.uses)}
    assert by_text[PEOPLE] == ("boilerplate", 1.0, 3)
    label, score, uses = by_text["今年要建成汉阴至石泉的快速通道，全长四十二公里。"]
    assert label == "local" and score == 0 and uses == 0
    label, clause_score, _ = by_text[f"全市各级要{CLAUSE}。"]
    # the reused clause is most of this short sentence: a stock sentence lightly edited
    assert label in ("edited", "boilerplate") and clause_score >= 0.5
    assert m.nearest[0].speech.source in {"a.txt#1", "b.txt#1", "c.txt#1"}
    # a speech already in the corpus is not compared with itself
    again = store.mark(conn, compare.load(paths[0])[0])
    assert again.corpus_size == 2


# ----- CLI



def test_cli_index_add_list_and_against(tmp_path):
    paths = write_corpus(tmp_path)
    db = tmp_path / "c.sqlite"
    result = run("index", "add", *paths[:3], "--db", db)
    assert result.exit_code == 0, result.output
    assert result.output.count("added:") == 3
    again = run("index", "add", *paths[:3], "--db", db)
    assert again.output.count("unchanged:") == 3
    listed = run("index", "list", "--db", db)
    assert listed.exit_code == 0 and listed.output.count("\n") == 3
    removed = run("index", "remove", paths[2], tmp_path / "never_indexed.txt", "--db", db)
    assert removed.exit_code == 0 and "removed:" in removed.output and "not indexed:" in removed.output
    assert run("index", "list", "--db", db).output.count("\n") == 2
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM sentences s LEFT JOIN speeches p ON s.speech_id = p.id"
                                       " WHERE p.id IS NULL").fetchone()[0] == 0  # no orphans
    assert run("index", "add", paths[2], "--db", db).output.startswith("added:")
    diffed = run("diff", paths[3], "--against", db, "--format", "json")
    assert diffed.exit_code == 0, diffed.output
    view = json.loads(diffed.output)
    assert set(view) == {"source", "title", "corpus_size", "share", "shares", "nearest", "whats_new", "sentences"}
    assert abs(sum(view["shares"].values()) - 1) < 1e-3
    assert {s["label"] for s in view["sentences"]} <= {"boilerplate", "edited", "local"}
    for s in view["sentences"]:  # the spans are the sentence's own runs, in order
        pos = 0
        for x in s["spans"]:
            pos = s["text"].index(x["text"], pos) + len(x["text"])
    assert view["corpus_size"] == 3 and view["share"] < 0.3
    assert any(s["reused"] for s in view["sentences"])
    summary = run("summarize", paths[1], "--against", db, "--format", "json")
    assert summary.exit_code == 0, summary.output
    item = json.loads(summary.output)[0]
    assert item["against"]["corpus_size"] == 2 and "白河县" in " ".join(k["text"] for k in item["against"]["whats_new"])
    for fmt in ("text", "md", "html"):
        out = run("summarize", paths[1], "--against", db, "--format", fmt)
        assert out.exit_code == 0 and "白河县" in out.output, fmt
    text = run("diff", paths[3], "--against", db)
    assert text.exit_code == 0 and "森林覆盖率" in text.output
    html = tmp_path / "against.html"
    assert run("diff", paths[3], "--against", db, "--format", "html", "-o", html).exit_code == 0
    assert "森林覆盖率" in html.read_text(encoding="utf-8")


def test_cli_index_reports_bad_files_and_keeps_going(tmp_path):
    paths = write_corpus(tmp_path)
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    result = run("index", "add", paths[0], tmp_path / "missing.txt", empty, paths[1], "--db", tmp_path / "c.sqlite")
    assert result.exit_code == 2
    assert result.output.count("added:") == 2
    assert "missing.txt" in result.output and "empty" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["report"], "give speech files"),
        (["report", SAMPLES / "ankang_2021_midyear.txt"], "need at least 2"),
        (["report", SAMPLES / "missing.txt", SAMPLES / "ankang_2021_midyear.txt"], "no such file"),
        (["report", "--db", SAMPLES / "nothing.sqlite"], "no such corpus database"),
        (["report", "--db", SAMPLES / "ankang_2021_midyear.txt"], "not a speechdiff corpus database"),
        (["diff", SAMPLES / "ankang_2021_midyear.txt", "--against", SAMPLES / "nothing.sqlite"], "no such corpus database"),
        (["diff", SAMPLES / "ankang_2021_midyear.txt"], "missing B"),
        (["diff", SAMPLES / "ankang_2021_midyear.txt", SAMPLES / "ankang_2021_midyear.txt", "--against", "x.sqlite"], "not both"),
        (["index", "add", SAMPLES / "ankang_2021_midyear.txt", "--db", SAMPLES / "ankang_2021_midyear.txt"], "input file"),
        (["report", SAMPLES / "ankang_2021_midyear.txt", f"{SAMPLES / 'ankang_2020_transport_and_health.txt'}#1",
          "-o", SAMPLES / "ankang_2021_midyear.txt"], "overwrite"),
    ],
)
def test_cli_report_and_index_errors(args, message):
    before = (SAMPLES / "ankang_2021_midyear.txt").read_bytes()
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert (SAMPLES / "ankang_2021_midyear.txt").read_bytes() == before
    assert not (SAMPLES / "nothing.sqlite").exists()
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(p.name for p in SAMPLES.glob("*.txt"))  # nothing written


def test_cli_report_json_schema(tmp_path):
    paths = write_corpus(tmp_path)
    result = run("report", *paths, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"version", "settings", "speeches", "pairs", "near_duplicate_groups", "phrasebook", "phrasebook_total", "series"}
    s = data["speeches"][0]
    assert set(s) == {"id", "label", "source", "title", "date", "speaker", "chars", "boilerplate", "shares", "near_duplicates",
                      "summary", "keywords", "whats_new", "distinctive_keywords"}
    assert sum(s["shares"].values()) == pytest.approx(1, abs=1e-3)
    assert s["id"] == 1 and 0 <= s["boilerplate"] <= 1
    assert set(data["pairs"][0]) == {"a", "b", "jaccard", "shared_a", "shared_b", "diff"}
    assert set(data["phrasebook"][0]) == {"kind", "text", "frame", "speeches", "families", "variants", "wordings", "occurrences"}
    kwic = data["phrasebook"][0]["occurrences"][0]
    assert set(kwic) == {"speech", "unit", "start", "end", "left", "match", "right"}
    assert data["phrasebook"][0]["families"] == 3  # 以人民为中心 or the filled template, both in a, b, c


def test_cli_report_html_escapes_and_links_diffs(tmp_path):
    paths = write_corpus(tmp_path)
    evil = tmp_path / "evil.txt"
    evil.write_text(speech(PEOPLE, "网页里的<script>alert(1)</script>要当作文字显示。"), encoding="utf-8")
    out = tmp_path / "out" / "report.html"
    result = run("report", *paths, evil, "-o", out)
    assert result.exit_code == 0, result.output
    assert str(out.resolve()) in result.output
    html = out.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
    assert "http://" not in html and "https://" not in html
    diffs = sorted((tmp_path / "out" / "report_diffs").glob("*.html"))
    assert len(diffs) == 10  # five speeches: every pair
    assert 'href="report_diffs/001-002.html"' in html


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="党委政府要坚持以人民为中心的发展思想XxAB12，。、", min_size=0, max_size=40), min_size=1, max_size=8))
def test_speech_fingerprint_equals_per_sentence_shingles(sentences):
    speech = compare.load_text("同志们：\n" + "\n".join(s + "。" for s in sentences), "p")
    if not speech:
        return
    fp = corpus.fingerprint(speech[0])
    for u, k in enumerate(fp.keys):
        assert fp.runs_of(u).tolist() == corpus.shingles(k).tolist()
    flags = np.arange(len(fp.runs)) % 2 == 0
    covered = corpus.covered_chars(fp, flags)
    for u, k in enumerate(fp.keys):
        expected = covered_by(len(k), flags[fp.run_offsets[u] : fp.run_offsets[u + 1]].tolist())
        assert covered[fp.offsets[u] : fp.offsets[u + 1]].tolist() == expected


@needs_chromium
def test_against_page_in_headless_chromium(tmp_path):
    paths = write_corpus(tmp_path)
    db = tmp_path / "c.sqlite"
    assert run("index", "add", *paths[:3], "--db", db).exit_code == 0
    out = tmp_path / "against_hand_built.html"
    assert run("diff", paths[3], "--against", db, "--format", "html", "-o", out).exit_code == 0
    report = inspect_page(out, {
        # the clause recurs inside a longer sentence: the rule calls it edited boilerplate, not new
        "reused": "[...document.querySelectorAll('.sent.bp, .sent.ed')].map(e => e.textContent).join('')",
        "new": "[...document.querySelectorAll('.sent.lo')].map(e => e.textContent).join('')",
    })
    assert report.console_errors == [] and report.network_requests == []
    assert CLAUSE in report.values["reused"] and "森林覆盖率" in report.values["new"]


def test_cli_report_over_a_database_and_files(tmp_path):
    paths = write_corpus(tmp_path)
    db = tmp_path / "c.sqlite"
    assert run("index", "add", *paths[:3], "--db", db).exit_code == 0
    result = run("report", paths[3], "--db", db, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [s["source"] for s in data["speeches"]] == ["d.txt#1", "a.txt#1", "b.txt#1", "c.txt#1"]
    assert any(set(e["speeches"]) == {1, 3} for e in data["phrasebook"])  # d and b share the clause


def test_large_report_lists_neighbours_instead_of_a_matrix(tmp_path, monkeypatch):
    from compare import render

    monkeypatch.setattr(render, "MATRIX_LIMIT", 3)
    paths = write_corpus(tmp_path)
    out = tmp_path / "report.html"
    assert run("report", *paths, "-o", out, "--diffs", "none").exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert 'class="matrix"' not in html and "最相近的讲话" in html
    assert not (tmp_path / "report_diffs").exists()


@settings(max_examples=200)
@given(st.lists(st.lists(st.booleans(), max_size=30), max_size=8), st.integers(1, 10))
def test_runs_found_in_all_units_at_once_are_the_runs_of_each_unit(units, shortest):
    mask = np.array([f for u in units for f in u], dtype=bool)
    offsets = np.r_[0, np.cumsum([len(u) for u in units], dtype=np.int64)]
    one_by_one = [(u, a, b) for u, flags in enumerate(units) for a, b in _true_runs(np.array(flags, dtype=bool))
                  if b - a >= shortest]
    assert corpus._unit_runs(mask, offsets, shortest) == one_by_one


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from("改革 发展 创新 开放 共享 协调 绿色 安全 民生 就业 教育 医疗".split()),
                       st.integers(1, 9), max_size=12),
       st.dictionaries(st.sampled_from("改革 发展 创新 开放 共享 协调".split()), st.integers(1, 30)),
       st.integers(1, 40), st.integers(0, 6))
def test_distinctive_keywords_scored_and_ordered_as_one_by_one(candidates, families, total, n):
    import math

    from compare import analyze

    rec = corpus.SpeechRecord(None, None, [], candidates, sum(candidates.values()))
    scored = [analyze.Keyword(w, c / rec.candidate_total * math.log((1 + total) / (1 + families.get(w, 1))))
              for w, c in candidates.items()]
    scored.sort(key=lambda k: (-k.score, k.word))
    assert corpus._distinctive(rec, families, total, n) == [k for k in scored[:n] if k.score > 0]


def _holders(sets: list, family: list[int], keys: list[str], min_families: int, split: int):
    """Holders of ``keys`` as the run computes them: the family table from
    ``sets``, the index, two partitions (speeches before ``split``, after)."""
    from compare.fingerprint import lookup

    held: dict[int, set[int]] = defaultdict(set)
    for s, hs in enumerate(sets):
        for h in hs.tolist():
            held[h].add(family[s])
    table = np.array(sorted(h for h, f in held.items() if len(f) >= 2), dtype=np.uint64)
    counts = np.array([len(held[h]) for h in table.tolist()], dtype=np.int64)
    index, kept = corpus.phrase_index(keys, lambda hashes: lookup(hashes, table, counts), min_families)
    found: list[set[int]] = [set() for _ in keys]
    for part, first in ((sets[:split], 0), (sets[split:], split)):
        for k, s in zip(*(a.tolist() for a in corpus.holders_in(part, first, index))):
            found[kept[k]].add(s)
    return found, set(kept.tolist())


@settings(max_examples=150)
@given(st.lists(st.lists(st.text("改革开放发展稳定", min_size=8, max_size=20), max_size=4), min_size=1, max_size=6),
       st.data())
def test_holders_of_a_key_are_the_speeches_holding_every_shingle_of_it(speeches, data):
    """Every key that may have holders in min_families families gets exactly
    the speeches holding all its shingles (tests/oracles.holders_loop);
    a key left out has them in fewer families."""
    from compare.fingerprint import key_runs

    texts = [t for ts in speeches for t in ts]
    keys = data.draw(st.lists(st.one_of(
        st.text("改革开放发展稳定", min_size=8, max_size=12),
        st.sampled_from(texts or ["改革开放发展稳定"]).flatmap(lambda t: st.integers(0, max(0, len(t) - 8)).map(lambda a: t[a:]))),
        min_size=1, max_size=6))
    family = data.draw(st.lists(st.integers(0, 3), min_size=len(speeches), max_size=len(speeches)))
    min_families = data.draw(st.integers(1, 3))
    split = data.draw(st.integers(0, len(speeches)))
    sets = [arrays.unique(key_runs(ts)[0]) if ts else np.zeros(0, np.uint64) for ts in speeches]
    from unittest import mock

    with mock.patch.object(corpus, "PHRASE_BLOCK", data.draw(st.integers(1, 40))):  # keys indexed block by block
        found, kept = _holders(sets, family, keys, min_families, split)
    expected = oracles.holders_loop(sets, keys)
    # the keys checked: those whose least held shingle is in min_families families or more
    least = []
    for key in keys:
        runs = key_runs([key])[0].tolist()
        fams = [len({family[s] for s, hs in enumerate(sets) if r in set(hs.tolist())}) for r in runs]
        fams = [f if f >= 2 else (1 if min_families < 2 else 0) for f in fams]  # the table keeps f >= 2
        least.append(min(fams) if fams else -1)
    assert kept == {k for k, m in enumerate(least) if m >= min_families}
    for k, (got, want) in enumerate(zip(found, expected)):
        if k in kept:
            assert got == want
        else:
            assert not got and len({family[s] for s in want}) < min_families


def test_holders_found_for_keys_taken_from_the_speeches():
    from compare.fingerprint import key_runs

    speeches = [["坚持稳中求进工作总基调", "推动高质量发展"], ["坚持稳中求进工作总基调"], ["全面深化改革开放"],
                ["要求进工作总基调和谐"], ["要求进工作总基调和谐"]]
    sets = [arrays.unique(key_runs(ts)[0]) for ts in speeches]
    keys = ["坚持稳中求进工作总基调", "稳中求进工作总基调", "全面深化改革开放", "推动高质量发展与改革", "坚持稳中求进工作总基调和"]
    # each speech its own family, a key needs one: every key is checked.
    # The last key: speeches 0 and 1 hold every shingle of it but its last,
    # which speeches 3 and 4 hold (as many: the pivot is a shingle of 0 and 1)
    found, kept = _holders(sets, [0, 1, 2, 3, 4], keys, 1, 2)
    assert kept == {0, 1, 2, 3, 4}
    assert found == [{0, 1}, {0, 1}, {2}, set(), set()]
    # two families needed: 全面深化改革开放 is in one speech only, so it is
    # not checked; speeches 3 and 4 as one family: the last key's rarest
    # shingle is then held by one family, not checked either
    found, kept = _holders(sets, [0, 1, 2, 3, 3], keys, 2, 3)
    assert kept == {0, 1}
    assert found == [{0, 1}, {0, 1}, set(), set(), set()]


@settings(max_examples=200)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=40), st.lists(st.integers(0, 2**64 - 1), max_size=40),
       st.sampled_from([np.uint64, np.int64, np.uint32]))
def test_set_operations_by_sorting_equal_numpys(a, b, dtype):
    from compare import arrays

    info = np.iinfo(dtype)
    a = np.array([x % (int(info.max) + 1) if info.min == 0 else x % (int(info.max) + 1) for x in a], dtype=np.uint64).astype(dtype)
    b = np.array([x % (int(info.max) + 1) for x in b], dtype=np.uint64).astype(dtype)
    b = np.concatenate([b, a[::3]])  # some values in both
    assert np.array_equal(arrays.unique(a), np.unique(a)) and arrays.unique(a).dtype == np.unique(a).dtype
    assert np.array_equal(arrays.isin(a, b), np.isin(a, b))
    assert np.array_equal(arrays.intersect1d(a, b), np.intersect1d(a, b))
    table = np.sort(b)  # (duplicates included: the leftmost place, as numpy's)
    assert np.array_equal(arrays.positions(table, a), np.searchsorted(table, a))


# near and at halves of the last place kept: k + 0.5 scaled down, and the
# doubles either side of it (where scaling up may carry a value across)
_HALVES = st.tuples(st.integers(-10**6, 10**6), st.integers(0, 6), st.sampled_from([-1, 0, 1])).map(
    lambda t: float(np.nextafter((t[0] + 0.5) / 10.0 ** t[1], np.inf * t[2]) if t[2] else (t[0] + 0.5) / 10.0 ** t[1]))


@settings(max_examples=300)
@given(st.lists(st.floats() | _HALVES, max_size=30), st.integers(-3, 6) | st.sampled_from([22, 23, 30, 400]))
def test_rounded_is_pythons_round(values, places):
    """arrays.rounded (a report's shares, vectorized) gives the doubles
    Python's round gives, NaN, infinities, huge values and halves included,
    at any number of places (outside 0-22, Python's own)."""
    from compare import arrays

    assert [repr(x) for x in arrays.rounded(np.array(values, dtype=np.float64), places)] == \
        [repr(round(x, places)) for x in values]


# (𠮷 is outside the BMP: the key file's UTF-32 must keep it one character)
WORDING_KEYS = st.lists(st.text(st.sampled_from(list("全年地区生产总值增长Xx县镇𠮷") + ["Ⓧ"]), max_size=14), min_size=2, max_size=12)


@settings(max_examples=100, deadline=None)
@given(WORDING_KEYS, st.data())
def test_linking_wordings_on_index_pairs_link_the_groups_of_the_pairwise_check(keys, data):
    """The wordings check on (j, i) index pairs, normalizing each key once,
    in process and through the key file a pool task reads, finds only
    pairs that _same_sentence(keys[j], keys[i]) finds, and enough of them
    to make the same groups."""
    import os
    import tempfile

    n = len(keys)
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30))
    rows = np.array([j for j, _ in pairs], np.int64)
    cols = np.array([i for _, i in pairs], np.int64)
    expected = [corpus._same_sentence(keys[j], keys[i]) for j, i in pairs]
    assert oracles.same_wordings_loop(keys, rows.tolist(), cols.tolist()) == expected

    def links_as(found, same):
        """The pairs found link the groups the same pairs make, and only same pairs."""
        assert all(s for f, s in zip(found, same) if f)
        groups = lambda flags: corpus.component_labels(n, rows[np.array(flags, bool)], cols[np.array(flags, bool)])  # noqa: E731
        assert groups(found) == groups(same)

    links_as(corpus.linking_wordings(keys, rows, cols).tolist(), expected)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "keys.npz")
        corpus._KeyFile.write(path, keys)
        assert [corpus._KeyFile(path)[i] for i in range(n)] == keys
        assert all(corpus._KeyFile(path).block(a, b) == keys[a:b] for a in range(n + 1) for b in range(a, n + 1))
        assert corpus.same_sentences((path, rows, cols)).tolist() == corpus.linking_wordings(keys, rows, cols).tolist()
        # the same path written again with other keys (of the same size) is read anew
        other = [k[::-1] for k in keys]
        corpus._KeyFile.write(path, other)
        links_as(corpus.same_sentences((path, rows, cols)).tolist(), [corpus._same_sentence(other[j], other[i]) for j, i in pairs])


def test_linking_wordings_skips_a_pair_already_joined():
    keys = ["全年地区生产总值增长", "全年地区生产总值增长Ⓧ", "全年地区生产总值增长ⓍⓍ", "县镇"]
    rows, cols = np.array([0, 1, 0, 0]), np.array([1, 2, 2, 3])
    assert oracles.same_wordings_loop(keys, rows.tolist(), cols.tolist()) == [True, True, True, False]
    assert corpus.linking_wordings(keys, rows, cols).tolist() == [True, True, False, False]


@settings(max_examples=150)
@given(st.lists(st.text("改革开放发展稳定XX12", max_size=14), max_size=12), st.integers(1, 40), st.sampled_from([3, 8]))
def test_key_runs_are_each_keys_shingles_whatever_the_block(keys, block, k):
    """key_runs hashes blocks of keys joined: the same runs as shingles()
    of each key, for any block size (one key per block, all in one)."""
    from unittest import mock

    from compare import fingerprint

    with mock.patch.object(fingerprint, "KEY_BLOCK", block):
        runs, offsets = fingerprint.key_runs(keys, k)
    assert len(offsets) == len(keys) + 1
    for i, key in enumerate(keys):
        assert runs[offsets[i] : offsets[i + 1]].tolist() == fingerprint.shingles(key, k).tolist()


@settings(max_examples=200)
@given(st.lists(st.text("改革X", max_size=9), max_size=30), st.integers(1, 20))
def test_key_blocks_cut_where_the_key_by_key_loop_did(keys, limit):
    from compare import fingerprint

    assert list(fingerprint.key_blocks(keys, limit)) == list(oracles.key_blocks_loop(keys, limit))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sets(st.integers(0, 2**64 - 1) | st.integers(0, 40).map(lambda x: x << 58 | x)), min_size=2, max_size=8),
       st.integers(1, 4), st.data())
def test_pair_overlaps_are_the_exact_counts_of_shared_hashes(sets, buckets, data):
    """The overlaps stage counts shared hashes by their numbers (the
    frequent stage's sorted distinct tables, part_ids), the frequent ones
    as bits (or, dense, every shared one): the sets' exact intersections,
    within a partition and across two, whatever the frequent cap and
    however many pairs' bitsets are ANDed at once."""
    import tempfile
    from unittest import mock

    arrays_ = [np.array(sorted(s), dtype=np.uint64) for s in sets]
    split = data.draw(st.integers(1, len(sets) - 1))
    parts = {"pa": arrays_[:split], "pb": arrays_[split:]}
    with tempfile.TemporaryDirectory() as work, mock.patch.object(corpus, "_sets", parts.__getitem__):
        for i, name in enumerate(parts):
            corpus.part_df((name, buckets, f"{work}/df/{i}"))
        distinct = [f"{work}/distinct-{b}.npy" for b in range(buckets)]
        cap = data.draw(st.integers(0, 3))  # hashes in more speeches than this are counted as bits
        reduced = [corpus.bucket_frequent(([f"{work}/df/{i}-{b}.npz" for i in range(2)], cap, distinct[b])) for b in range(buckets)]
        offsets = np.concatenate(([0], np.cumsum([size for _, size in reduced])))
        bit_offsets = np.concatenate(([0], np.cumsum([len(f) for f, _ in reduced])))
        assert offsets[-1] == len(set().union(*sets))
        assert bit_offsets[-1] == sum(sum(h in s for s in sets) > cap for h in set().union(*sets))
        dense = data.draw(st.booleans())
        for i, name in enumerate(parts):
            corpus.part_ids((name, buckets, distinct, offsets, bit_offsets, f"{work}/ids/{i}", dense))
        pairs = sorted({(a, b) for a in range(len(sets)) for b in range(a + 1, len(sets))})
        if data.draw(st.booleans()):
            chosen = [(a, b) for a, b in pairs if b < split]  # (a speech is never paired with itself)
            task = (f"{work}/ids/0", 0, f"{work}/ids/0", 0)
        else:
            chosen = [(a, b) for a, b in pairs if a < split <= b]
            task = (f"{work}/ids/0", 0, f"{work}/ids/1", split)
        with mock.patch.object(corpus, "BITS_BLOCK", data.draw(st.sampled_from([1, 3, corpus.BITS_BLOCK]))):
            got = corpus.block_overlaps((*task, np.array([a << 32 | b for a, b in chosen], dtype=np.int64)))
    assert got.tolist() == [len(sets[a] & sets[b]) for a, b in chosen]


@settings(max_examples=150)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60)),
                max_size=30))
def test_pairs_as_arrays_read_as_the_pair_objects(rows):
    """corpus.Pairs (a run's pairs as arrays) gives the Pair objects the
    library path makes, ranks them as sorting those objects does (ties on
    shared broken by a, b) and makes the same families."""
    rows = sorted({(a, b): (a, b, both, sa, sb) for a, b, both, sa, sb in rows if a < b}.values())
    cols = [np.array(c, dtype=np.int64) for c in zip(*rows)] if rows else [np.zeros(0, np.int64)] * 5
    a, b, both, sa, sb = cols
    pairs = corpus.Pairs(a, b, np.minimum(both, np.minimum(sa, sb)), sa, sb)
    objects = [corpus._pair(x, y, s, t, min(c, s, t)) for x, y, c, s, t in rows]
    assert list(pairs) == objects and pairs[:] == objects and len(pairs) == len(objects)
    assert [pairs[i] for i in range(len(pairs))] == objects
    assert pairs.jaccard().tolist() == [p.jaccard for p in objects]
    assert list(corpus.ranked_pairs(pairs)) == list(corpus.ranked_pairs(objects)) \
        == sorted(objects, key=lambda p: (-p.shared, p.a, p.b))
    for threshold in (0.3, 0.8):
        assert corpus.families(10, pairs, threshold) == corpus.families(10, objects, threshold)


def test_pairs_ranked_on_a_tie_by_the_first_speech_then_the_second():
    one = np.ones(3, dtype=np.int64)
    pairs = corpus.Pairs(np.array([0, 1, 1]), np.array([5, 2, 3]), one, 2 * one, 2 * one)
    assert [(p.a, p.b) for p in corpus.ranked_pairs(pairs)] == [(0, 5), (1, 2), (1, 3)]


@settings(max_examples=100)
@given(st.lists(st.text("改革开放发展稳定", max_size=12), max_size=25), st.integers(1, 60), st.sampled_from([None, 2]))
def test_key_pairs_are_the_pairs_of_the_keys_runs_whatever_the_block(keys, block, cap):
    """key_lsh_pairs sketches the keys block by block: the same pairs as
    lsh_pairs over all their runs at once."""
    from unittest import mock

    from compare import fingerprint

    runs, offsets = fingerprint.key_runs(keys, 3)
    whole = corpus.lsh_pairs(np.split(runs, offsets[1:-1]) if keys else [], 0.5, cap)
    with mock.patch.object(corpus, "KEY_BLOCK", block):
        assert corpus.key_lsh_pairs(keys, 3, 0.5, cap).tolist() == whole.tolist()


def _towns(count: int) -> list:
    """``count`` speeches sharing one stock sentence and one clause inside
    otherwise different sentences, each with its own figures and places."""
    places = "东西南北中上下前后左右内外新老大小高低长青红白黄绿金银山水"
    speeches = []
    for i in range(count):
        place = places[i % len(places)] + places[(i * 7 + 3) % len(places)] + "镇"
        text = (f"在{place}{2000 + i}年工作会议上的讲话\n\n"
                f"一、{place}过去一年的工作\n\n"
                f"{place}全年完成固定资产投资{10 + i}亿元，新建{place}第{i + 1}中学和{i + 3}所幼儿园。"
                "坚持以人民为中心的发展思想，推动经济社会持续健康发展。"
                f"我们在{place}大力实施乡村振兴战略加快推进农业农村现代化，新修道路{i * 3 + 5}公里。\n\n"
                f"二、{place}今年的主要任务\n\n"
                f"{place}要抓好{i + 2}个重点项目，确保{place}工业园区年底前投产见效。")
        speeches += compare.load_text(text, source=f"town{i:02d}.txt")
    return speeches


def test_phrasebook_contexts_read_back_are_those_of_the_texts():
    """Without the texts kept (full=False, as above FULL_LIMIT speeches) each
    entry's first CONTEXTS_KEPT keyword-in-context lines are read back from
    the partitions' files: the report's phrasebook is the one computed with
    the texts at hand, and every occurrence shown has its context."""
    from compare import views

    speeches = _towns(corpus.CONTEXTS_KEPT + 6)
    assert len(speeches) == corpus.CONTEXTS_KEPT + 6
    kept, bare = corpus.analyze_corpus(speeches, full=True), corpus.analyze_corpus(speeches, full=False)
    assert views.OCCURRENCES_SHOWN <= corpus.CONTEXTS_KEPT
    stock = [e for e in bare.phrasebook if len(e.speeches) > corpus.CONTEXTS_KEPT]
    assert stock and all(o.context for e in stock for o in e.occurrences[: corpus.CONTEXTS_KEPT])
    assert views.report_data(bare)["phrasebook"] == views.report_data(kept)["phrasebook"]
    assert any(o["left"] and o["right"] for e in views.report_data(bare)["phrasebook"] for o in e["occurrences"])


def test_a_record_decodes_to_the_words_it_was_made_with_each_sentence_split_when_asked():
    speech = compare.load(SAMPLES / "ankang_2021_midyear.txt")[0]
    made = corpus.speech_record(speech)
    blob = corpus.encode_record(made)
    back = corpus.decode_record(blob)
    assert isinstance(back.words, corpus.SentenceWords) and back.words._parts is None  # nothing split yet
    assert len(back.words) == len(made.words) == len(speech.sentences)
    assert back.words[3] == made.words[3] and back.words[-1] == made.words[-1]
    assert back.words[2:5] == made.words[2:5]
    assert list(back.words) == made.words and back.words == made.words
    with pytest.raises(IndexError):
        back.words[len(made.words)]
    assert corpus.encode_record(back) == blob  # a decoded record encodes to the same bytes


def test_a_speech_packed_for_the_driver_unpacks_to_the_same_speech():
    # a labels or series task in another process receives or sends its
    # speeches packed (fields and outline offsets); every sample and
    # realworld speech comes back equal, outline, sentences and headings
    # included
    import pickle

    from compare.model import packed as pack, unpacked

    for path in sorted(SAMPLES.glob("*.txt")) + sorted((SAMPLES.parent / "tests" / "realworld").glob("*.txt")):
        for speech in compare.load(path):
            packed = pack(speech)
            back = unpacked(pickle.loads(pickle.dumps(packed)))
            assert back == speech and back.sentences == speech.sentences
            assert len(pickle.dumps(packed)) < len(pickle.dumps(speech))


@pytest.mark.parametrize("change", [{"sentences": 2}, {"sentences": "3"}, {"sentences": -1}, {"words": 7}])
def test_a_record_whose_words_do_not_match_its_sentences_is_not_a_record(change):
    import json
    import zlib

    speech = compare.load(SAMPLES / "ankang_2021_midyear.txt")[0]
    head = json.loads(zlib.decompress(corpus.encode_record(corpus.speech_record(speech))))
    head.update(change)
    with pytest.raises(ValueError, match="not a speech record|do not match"):
        corpus.decode_record(zlib.compress(json.dumps(head, ensure_ascii=False).encode()))


@settings(max_examples=150)
@given(st.integers(1, 40), st.integers(1, 4), st.integers(1, 3), st.sampled_from([None, 2, 3, 5]), st.randoms(),
       st.booleans())
def test_band_pairs_are_each_buckets_pairs_or_its_chain_past_the_cap(n, bands, rows, cap, rnd, collide):
    """Plain-loop oracle: per band, the keys whose band values are equal form
    a bucket; a bucket gives every pair of its members, or past ``cap``
    members only each member with the next (in index order). ``collide``:
    the bands' 64-bit mix replaced by one that gives different bands the
    same value (the sort must notice and sort by the values)."""
    from unittest import mock

    signature = np.array([[rnd.randrange(3) for _ in range(bands * rows)] for _ in range(n)], dtype=np.uint64)
    expected = set()
    for band in range(bands):
        buckets = defaultdict(list)
        for i in range(n):
            buckets[tuple(signature[i, band * rows : (band + 1) * rows].tolist())].append(i)
        for members in buckets.values():
            if cap is not None and len(members) > cap:
                expected |= {(a, b) for a, b in zip(members, members[1:])}
            else:
                expected |= {(a, b) for k, a in enumerate(members) for b in members[k + 1 :]}
    clash = (lambda v: v[:, 0] if v.shape[1] == 1 else v[:, 0] % np.uint64(2)) if collide else corpus._band_key
    with mock.patch.object(corpus, "_band_key", clash):
        found = corpus._band_pairs(signature, bands, rows, cap)
    assert [(int(p >> 32), int(p & 0xFFFFFFFF)) for p in found] == sorted(expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text("改革开放发展稳定创新", min_size=0, max_size=30), max_size=30), st.integers(1, 80))
def test_blocks_read_from_a_key_file_give_what_the_keys_give_in_this_process(keys, block):
    """The engine's path (``run``): the keys written to a key file, each
    block of them read back by a ``key_block`` task. The sentence keys'
    LSH pairs and the phrase index are those of the keys in this process,
    whatever the blocks."""
    import tempfile
    from unittest import mock

    hashes = np.unique(np.concatenate([corpus.shingles(k) for k in keys] + [np.zeros(0, np.uint64)]))
    table, counts = hashes[::2], (np.arange(len(hashes[::2])) % 4).astype(np.int64)  # some held by 2+ families

    def families_of(found):
        from compare.fingerprint import lookup

        return lookup(found, table, counts)

    pairs_here = corpus.key_lsh_pairs(keys, 3, 0.5, 2).tolist()  # one block each
    here, kept_here = corpus.phrase_index(keys, families_of, 2)
    with tempfile.TemporaryDirectory() as folder, \
            mock.patch.object(corpus, "KEY_BLOCK", block), mock.patch.object(corpus, "PHRASE_BLOCK", block):
        path = f"{folder}/keys.npz"
        corpus._KeyFile.write(path, keys)
        corpus._key_file.cache_clear()
        via_file = lambda fn, blocks: [corpus.key_block((path, at, stop, fn)) for at, stop in blocks]  # noqa: E731
        assert corpus.key_lsh_pairs(keys, 3, 0.5, 2, map_blocks=via_file).tolist() == pairs_here
        there, kept_there = corpus.phrase_index(keys, families_of, 2, via_file)
        assert kept_there.tolist() == kept_here.tolist()
        for name in ("runs", "offsets", "pivots", "by_pivot"):
            assert getattr(there, name).tolist() == getattr(here, name).tolist(), name
        corpus._key_file.cache_clear()


def test_wording_tasks_keep_the_keys_forms_only_while_the_key_file_is_the_same(tmp_path):
    """same_sentences (a task of the wordings stage) checks pairs of the key
    file's keys, keeping their normalized forms for the next task of the
    same file; a file written anew at the same path is read anew, and
    _forget_key_file lets both go."""
    first = ["全市完成固定资产投资Ⓧ亿元", "全市完成固定资产投资ⓍⓍ亿元", "坚持稳中求进工作总基调"]
    second = ["坚持稳中求进工作总基调", "全市完成固定资产投资Ⓧ亿元", "扎实推进乡村振兴战略实施"]
    rows, cols = np.array([0, 0, 1]), np.array([1, 2, 2])
    path = str(tmp_path / "keys.npz")
    corpus._KeyFile.write(path, first)
    assert corpus.same_sentences((path, rows, cols)).tolist() == [True, False, False]
    kept = corpus._NORMALIZED[1]
    assert corpus.same_sentences((path, rows[1:], cols[1:])).tolist() == [False, False] and corpus._NORMALIZED[1] is kept
    corpus._KeyFile.write(path, second)
    assert corpus.same_sentences((path, rows, cols)).tolist() == corpus.linking_wordings(second, rows, cols).tolist() \
        == [False, False, False]
    assert corpus._NORMALIZED[1] is not kept
    corpus._forget_key_file()
    assert corpus._NORMALIZED == [None, None] and corpus._key_file.cache_info().currsize == 0


def test_candidate_texts_read_back_from_the_speech_text_are_the_units_own(tmp_path):
    """part_texts gives each candidate the wording its unit holds and the
    context around it in the speech: from the speech's text kept once, and
    for a unit whose text is not that slice of it (a heading "(1) 进一步…"
    whose unit reads "(1)进一步…") from the unit's own text, kept beside."""
    import os
    import tempfile
    from pathlib import Path

    from compare.align import units_of

    speech = compare.load(Path(__file__).parent / "realworld" / "hk_legco_speech_environment_secretary_policy_address_debate_2013_json.txt")[0]
    units = units_of(speech)
    odd = corpus._odd_units(speech.text, units)
    assert odd == [[j, u.start, u.text] for j, u in enumerate(units) if speech.text[u.start : u.end] != u.text]
    assert odd and any(not o[2].startswith(speech.text[o[1] : o[1] + len(o[2])]) for o in odd)
    # the labels stage writes them beside the text (two copies: their sentences recur, so they are candidates)
    with tempfile.TemporaryDirectory() as work:
        corpus.analyze_corpus([speech, speech], work_dir=work)
        written = corpus._read_parquet(os.path.join(work, "stages", "texts", "0.parquet"))
    assert written["text"] == [speech.text] * 2
    assert [json.loads(o) for o in written["odd"]] == [odd, odd]
    sentences, runs = corpus._Found(), corpus._Found()
    want_words, want_contexts = [], []
    for j, u in enumerate(units):
        spans = [(0, len(u.text))] + ([(1, len(u.text) - 1)] if len(u.text) > 3 else [])
        for a, b in spans:
            found = sentences if (a, b) == (0, len(u.text)) else runs
            found.add(["key"], 7, [j], [u.start + a], [u.start + b])
    for found in (sentences, runs):
        for _, j, start, end in found.where.tolist():
            u = units[j]
            want_words.append(u.text[start - u.start : end - u.start])
            want_contexts.append(corpus._context(speech.text, start, end))
    cands = corpus.Candidates.written(str(tmp_path / "c.parquet"), 7, sentences, runs, [speech.text], [odd])
    rows = np.arange(len(want_words))
    show = rows % 3 == 0
    words, contexts = corpus.part_texts((cands.path, cands.first, cands.where(rows), show))
    assert words == want_words
    assert contexts == [c if s else None for c, s in zip(want_contexts, show.tolist())]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 30)), max_size=120), st.integers(1, 3), st.integers(2, 8))
def test_band_buckets_pair_their_speeches_as_the_definition_says(rows, files, cap):
    """bucket_candidates (groups of each size paired at once) gives the
    pairs of the definition (tests/oracles.band_candidates_loop): every
    pair of a group up to BAND_CAP speeches, neighbours in a larger one,
    however the (band value, speech) rows are spread over the partitions'
    files."""
    import tempfile
    from unittest import mock

    from .oracles import band_candidates_loop

    keys = np.array([k for k, _ in rows], dtype=np.uint64)
    owners = np.array([o for _, o in rows], dtype=np.int64)
    with tempfile.TemporaryDirectory() as work, mock.patch.object(corpus, "BAND_CAP", cap):
        paths = []
        for i in range(files):
            part = slice(i, None, files)
            paths.append(f"{work}/{i}.npz")
            np.savez(paths[-1], key=keys[part], owner=owners[part])
        got = corpus.bucket_candidates((paths,))
    assert got.tolist() == band_candidates_loop(keys.tolist(), owners.tolist(), cap)


def test_found_candidates_keep_equal_keys_as_one_object_and_their_places_in_order():
    same: dict[str, str] = {}
    sentences, runs = corpus._Found(same), corpus._Found(same)
    assert sentences.where.shape == (0, 4) and sentences.keys == []
    sentences.add(["".join(["甲", "乙"]), "丙丁"], 3, [0, 2], [0, 10], [5, 14])
    runs.add([], 3, [], [], [])
    runs.add(["".join(["甲", "乙"])], 4, [1], [7], [9])
    assert sentences.keys == ["甲乙", "丙丁"] and runs.keys[0] is sentences.keys[0]
    assert sentences.where.tolist() == [[3, 0, 0, 5], [3, 2, 10, 14]] and runs.where.tolist() == [[4, 1, 7, 9]]
    assert sentences.where.dtype == np.int64
