"""Scale: `index add` and `report` on synthetic corpora of 1,000 to 30,000
speeches, on this machine without a cluster (the default engine: a pool of
forked processes, one per core) and on a 2-worker Dask LocalCluster.

    python benchmarks/run.py scale
    SPEECHDIFF_SCALE_SIZES=1000,3000 python benchmarks/run.py scale   # a quick run
    SPEECHDIFF_SCALE_WORKERS=0 ...                                      # no cluster only (0,2: both)

Every command runs in a fresh child process that reports its own peak
memory (VmHWM); with --workers the child also asks each worker process for
its VmHWM before the cluster stops (the cluster's own report of its
processes); without a cluster, the largest pool process's peak (the
children's maximum resident size, getrusage). Times are wall seconds; the machine's load (``uptime``) is
printed with them, since other work shares its 2 cores.

The corpus (``scale_corpus``) is not recombined from a few samples: each
speech is written for one of a few hundred generated places and a year,
from sentence templates whose figures, places, projects and wording
(synonyms, clause order) vary, with the genre's stock phrases in varying
amounts, a series of yearly reports per place that reuse part of the
previous year, and about 3% reposted copies (a near-duplicate family).
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT

SIZES = (1000, 3000, 10000, 30000)
BATCH = 2000  # files per `index add` call (the command line stays short)

# ---------------------------------------------------------------- the corpus

_SYLLABLES = "安康宁远平江临川东阳西岭南山北湖清河永丰长乐新城白云青石金华玉溪红旗丰润嘉禾鹤鸣凤翔龙泉桃源松柏兴隆富民盛和泰来广济"
_SUFFIX = ["市", "县", "区", "镇"]
_SECTORS = {
    "交通": ["高速公路", "国省干线", "农村公路", "城市快速路", "综合客运枢纽", "物流园区"],
    "卫生": ["县级医院", "乡镇卫生院", "村卫生室", "疾控中心", "医共体", "家庭医生签约"],
    "教育": ["公办幼儿园", "义务教育学校", "职业教育", "寄宿制学校", "教师周转房", "校舍改造"],
    "农业": ["高标准农田", "设施农业", "现代农业产业园", "农产品加工", "冷链物流", "特色种植基地"],
    "工业": ["工业园区", "技术改造", "专精特新企业", "规上工业", "新型材料", "装备制造"],
    "生态": ["污水处理厂", "河道治理", "造林绿化", "大气污染防治", "土壤修复", "垃圾分类"],
    "民生": ["保障性住房", "老旧小区改造", "养老服务中心", "就业培训", "低保救助", "社区食堂"],
    "文旅": ["文化广场", "旅游景区", "乡村旅游", "非遗保护", "全民健身中心", "图书馆分馆"],
}
_VERB = ["推进", "推动", "加快", "着力推进", "全力推动", "持续推进", "扎实推进", "大力实施"]
_DONE = ["完成", "实现", "达到", "累计完成", "全年完成"]
_RISE = ["增长", "提高", "提升", "同比增长", "比上年增长"]
_ADJ = ["重点", "关键", "重大", "民生", "基础性", "示范性"]
# stock phrases of the genre (套话), used by most speeches in varying amounts and order
_STOCK = [
    "坚持以习近平新时代中国特色社会主义思想为指导",
    "全面贯彻党的二十大和二十届历次全会精神",
    "完整准确全面贯彻新发展理念",
    "坚持稳中求进工作总基调",
    "统筹发展和安全",
    "着力推动高质量发展",
    "切实增强人民群众获得感幸福感安全感",
    "以钉钉子精神抓好各项工作落实",
    "为全面建设社会主义现代化国家作出新的更大贡献",
    "深入学习贯彻党中央决策部署",
    "牢固树立以人民为中心的发展思想",
    "持续优化营商环境",
    "守住不发生规模性返贫的底线",
    "压紧压实各方责任",
    "确保各项目标任务圆满完成",
]
_HEADINGS = {
    "交通": ["加快交通基础设施建设", "完善综合交通网络", "提升交通运输服务水平"],
    "卫生": ["推进健康{p}建设", "深化医药卫生体制改革", "提升基层医疗服务能力"],
    "教育": ["办好人民满意的教育", "促进教育优质均衡发展", "加强教育基础设施建设"],
    "农业": ["全面推进乡村振兴", "加快农业现代化步伐", "巩固拓展脱贫攻坚成果"],
    "工业": ["做大做强实体经济", "推动工业转型升级", "培育壮大新兴产业"],
    "生态": ["持续改善生态环境", "深入打好污染防治攻坚战", "推进绿色低碳发展"],
    "民生": ["用心用情保障改善民生", "织密扎牢社会保障网", "办好群众身边实事"],
    "文旅": ["繁荣发展文化旅游事业", "推动文旅融合发展", "丰富群众精神文化生活"],
}
_NUMERALS = "一二三四五六七八九十"


def _place(rng: random.Random) -> str:
    return "".join(rng.sample(_SYLLABLES, 2)) + rng.choice(_SUFFIX)


def _figure(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(2, 980)}", f"{rng.randint(1, 99)}.{rng.randint(1, 9)}", f"{rng.randint(2, 60)}万"])


_MODIFIER = ["智慧", "数字化", "标准化", "一体化", "绿色", "示范", "综合", "新型", "高效", "普惠", "特色", "现代",
             "城乡", "区域", "社区", "县域", "片区", "流域", "全域", "立体", "共享", "便民", "安全", "低碳"]
_UNIT = ["处", "个", "座", "家", "条", "公里", "所", "套", "项", "户"]
_STAGE = ["开工建设", "建成投用", "完成主体", "通过验收", "进入招标", "完成选址", "试运行", "全面完工"]


def _local_sentence(rng: random.Random, place: str, year: int, sector: str) -> str:
    """A sentence only this speech has: its towns, projects, figures and
    wording (fixed stretches between the varying words are kept short, so
    two speeches share a sentence's 8-character runs only by reusing it)."""
    thing = rng.choice(_MODIFIER) + rng.choice(_SECTORS[sector])
    other = rng.choice(_MODIFIER) + rng.choice(_SECTORS[sector])
    town = "".join(rng.sample(_SYLLABLES, 2)) + rng.choice(["乡", "镇", "街道", "村", "社区", "园区"])
    unit = rng.choice(_UNIT)
    forms = [
        f"{year}年{rng.choice(_DONE)}{thing}投资{_figure(rng)}亿元，{rng.choice(_RISE)}{rng.randint(2, 35)}.{rng.randint(0, 9)}%",
        f"{rng.choice(_VERB)}{town}{thing}项目，新建{other}{rng.randint(2, 90)}{unit}",
        f"{town}{thing}覆盖率{rng.choice(_DONE)}{rng.randint(40, 99)}.{rng.randint(0, 9)}%，{rng.randint(2, 30)}个{rng.choice(_MODIFIER)}点位纳入{rng.choice(['省级', '市级', '国家级'])}试点",
        f"{rng.choice(['全年', '当年', '去年', '年内'])}{rng.choice(_DONE)}{other}{_figure(rng)}{unit}，{town}{rng.choice(['受益群众', '惠及人口', '服务对象'])}{rng.randint(1, 90)}万",
        f"{town}{thing}{rng.choice(['二期', '三期', '一期', '扩建', '改造'])}工程{rng.choice(_STAGE)}，{rng.choice(['总投资', '完成投资', '计划投资'])}{_figure(rng)}亿元",
        f"{rng.choice(['争取', '落实', '统筹'])}{rng.choice(['上级资金', '专项债券', '社会资本', '财政资金'])}{_figure(rng)}亿元用于{thing}和{other}",
        f"{rng.choice(['围绕', '聚焦', '紧盯', '针对'])}{other}{rng.choice(['短板', '弱项', '难点', '瓶颈'])}，{rng.choice(_VERB)}{rng.randint(2, 40)}个{rng.choice(_ADJ)}项目",
        f"{place}{rng.choice(['新增', '改造', '提升'])}{thing}{rng.randint(2, 300)}{unit}，{town}{rng.choice(['率先', '首批', '全面'])}{rng.choice(_STAGE)}",
    ]
    return rng.choice(forms)


def _speech(rng: random.Random, place: str, year: int, carried: list[str]) -> tuple[str, list[str]]:
    """One speech's text and its sentences (the next year's report reuses some)."""
    sectors = rng.sample(sorted(_SECTORS), rng.randint(3, 6))
    lines = [f"{place}{year}年政府工作报告" if rng.random() < 0.6 else f"在{place}{year}年{rng.choice(sectors)}工作会议上的讲话",
             f"{year}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"]
    opening = rng.sample(_STOCK, rng.randint(2, 6))
    lines.append("，".join(opening) + f"，{place}{rng.choice(['经济社会发展', '各项事业', '重点工作'])}取得新成效。")
    sentences = []
    for number, sector in enumerate(sectors):
        lines.append(f"{_NUMERALS[number]}、{rng.choice(_HEADINGS[sector]).format(p=place)}")
        for _ in range(rng.randint(4, 9)):
            parts = []
            for _ in range(rng.randint(2, 5)):
                roll = rng.random()
                if roll < 0.15:
                    parts.append(rng.choice(_STOCK))
                elif roll < 0.35 and carried:
                    parts.append(rng.choice(carried))  # last year's wording, kept
                else:
                    parts.append(_local_sentence(rng, place, year, sector))
            sentence = "，".join(parts) + "。"
            sentences.extend(parts)
            lines.append(sentence)
    lines.append("，".join(rng.sample(_STOCK, rng.randint(1, 4))) + "！")
    return "\n".join(lines) + "\n", sentences


def scale_corpus(folder: Path, n: int, seed: int = 2026) -> list[Path]:
    """``n`` speech files (see the module docstring), seeded: the same n
    gives the same corpus (the measured sizes are the first k files of the
    largest, so each smaller corpus is a prefix of the larger one)."""
    rng = random.Random(seed)
    places = list(dict.fromkeys(_place(rng) for _ in range(max(50, n // 8))))
    last: dict[str, tuple[int, list[str]]] = {}
    texts: list[str] = []
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        if texts and rng.random() < 0.03:
            # a repost: an earlier speech with a site's header and a few lines lost
            source = rng.choice(texts).splitlines()
            kept = [line for line in source if rng.random() > 0.05] or source
            text = f"来源：{rng.choice(['新闻网', '政府网', '日报'])}　浏览次数：{rng.randint(10, 9999)}\n" + "\n".join(kept) + "\n"
        else:
            place = rng.choice(places)
            year, carried = last.get(place, (rng.randint(2008, 2016), []))
            text, sentences = _speech(rng, place, year + 1, rng.sample(carried, min(len(carried), 12)))
            last[place] = (year + 1, sentences)
        texts.append(text)
        path = folder / f"{i:05d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


# ---------------------------------------------------------------- measuring a command

# The CLI in a child: its own VmHWM at exit, and each Dask worker's VmHWM
# read by the cluster (client.run) just before the engine closes it.
MEASURED = """
import atexit, json, sys
out = sys.argv[1]
peaks = {"main": 0, "workers": []}
def vmhwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) * 1024
def done():
    import resource
    peaks["main"] = vmhwm()
    if not peaks["workers"]:  # a local pool's processes (waited for at the engine's close): the largest one's peak
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        peaks["workers"] = [children] if children else []
    open(out, 'w').write(json.dumps(peaks))
atexit.register(done)
from compare import engine
close = engine.Engine.close
def measured_close(self):
    if self.client is not None:
        peaks["workers"] = sorted(self.client.run(vmhwm).values())
    close(self)
engine.Engine.close = measured_close
sys.argv = ['speechdiff'] + sys.argv[2:]
from compare.cli import main
main()
"""


def _command(args: list[str], cwd: Path, peaks: Path, tries: int = 2) -> tuple[float, dict]:
    """Wall seconds and peaks of one CLI run. A run that fails is run once
    more and says so (seen once with --workers on a machine running other
    clusters: exit status 1 after a complete `index add`, nothing on stderr
    but the totals line)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for attempt in range(tries):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", MEASURED, str(peaks), *args], cwd=cwd, env=env,
                                capture_output=True, text=True)
        wall = time.perf_counter() - start
        if not result.returncode:
            return wall, json.loads(peaks.read_text())
        errors = [line for line in result.stderr.splitlines() if "error" in line.lower()][:5]
        print(f"  (speechdiff {' '.join(args[:2])} exit {result.returncode}: {errors or result.stderr[-300:]!r}"
              f"{'; running it again' if attempt + 1 < tries else ''})", flush=True)
    raise SystemExit(f"speechdiff {' '.join(args[:3])} failed")


def _load() -> str:
    return open("/proc/loadavg").read().split()[:3].__str__()


def measure(folder: Path, paths: list[Path], size: int, workers: int | None) -> dict:
    """index add (in batches of BATCH files) and report --format json of
    the first ``size`` speeches; wall seconds and peak bytes per process."""
    db = folder / f"c{size}-{workers or 0}.sqlite"
    extra = ["--workers", str(workers)] if workers else []
    names = [str(p.relative_to(folder)) for p in paths[:size]]
    add_wall, add_main, add_workers = 0.0, 0, 0
    load_before = _load()
    for lo in range(0, size, BATCH):
        wall, peaks = _command(["index", "add", *names[lo : lo + BATCH], "--db", db.name, *extra], folder, folder / "peaks.json")
        add_wall += wall
        add_main = max(add_main, peaks["main"])
        add_workers = max([add_workers, *peaks["workers"]])
    out = folder / f"r{size}-{workers or 0}.json"
    wall, peaks = _command(["report", "--db", db.name, "--format", "json", "-o", out.name, *extra], folder, folder / "peaks.json")
    data = json.loads(out.read_text())
    row = {"size": size, "workers": workers or 0, "add": add_wall, "add_main": add_main, "add_workers": add_workers,
           "report": wall, "report_main": peaks["main"], "report_workers": max(peaks["workers"], default=0),
           "pairs": len(data["pairs"]), "families": len(data["near_duplicate_groups"]),
           "phrasebook": data["phrasebook_total"], "load": f"{load_before} -> {_load()}"}
    os.unlink(db)
    return row


def _gb(b: int) -> str:
    return f"{b / 2**30:.2f} GB" if b >= 2**30 else f"{b / 2**20:.0f} MB" if b else "-"


def _sizes(sizes) -> tuple[int, ...]:
    env = os.environ.get("SPEECHDIFF_SCALE_SIZES")
    if env:
        return tuple(int(s) for s in env.split(",") if s.strip())
    return tuple(sizes)


def run(sizes: tuple[int, ...] = SIZES) -> None:
    sizes = _sizes(sizes)
    with tempfile.TemporaryDirectory(prefix="speechdiff-scale-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        paths = scale_corpus(folder / "s", max(sizes))
        chars = sum(p.stat().st_size for p in paths) / len(paths) / 3
        print(f"scale: corpus of {max(sizes)} speeches (~{chars:.0f} characters each) made in {time.perf_counter() - t:.0f} s",
              flush=True)
        print("| speeches | engine | index add | add peak (main / worker) | report | report peak (main / worker) |"
              " pairs | families | phrasebook | load (1/5/15 min, before -> after) |")
        print("|---:|---|---:|---|---:|---|---:|---:|---:|---|")
        rows = []
        engines = [int(w) or None for w in os.environ.get("SPEECHDIFF_SCALE_WORKERS", "0,2").split(",")]
        for size in sizes:
            for workers in engines:
                r = measure(folder, paths, size, workers)
                rows.append(r)
                print(f"| {size:,} | {'2 Dask workers' if workers else 'this machine'} | {r['add']:.1f} s |"
                      f" {_gb(r['add_main'])} / {_gb(r['add_workers'])} | {r['report']:.1f} s |"
                      f" {_gb(r['report_main'])} / {_gb(r['report_workers'])} | {r['pairs']} | {r['families']} |"
                      f" {r['phrasebook']} | {r['load']} |", flush=True)
        for workers in (0, 2):
            mine = {r["size"]: r for r in rows if r["workers"] == workers}
            if len(mine) < 2:
                continue
            lo, hi = (3000, 30000) if {3000, 30000} <= set(mine) else (min(mine), max(mine))
            if lo < hi:
                for what in ("add", "report"):
                    k = math.log(mine[hi][what] / mine[lo][what]) / math.log(hi / lo)
                    print(f"  {'2 Dask workers' if workers else 'this machine'} {what}: time grows n^{k:.2f} from {lo:,} to {hi:,}")
        print(f"  uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
        shutil.rmtree(folder / "s", ignore_errors=True)


if __name__ == "__main__":
    run()
