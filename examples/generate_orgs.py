"""Generate examples/orgs.csv: a sample county's Party organizations with three years of assessments.

    python examples/generate_orgs.py            # rewrites examples/orgs.csv (deterministic: seeded)
    python examples/generate_orgs.py --check    # exit 1 if examples/orgs.csv differs from what it would write

The county (样例县) has five townships and ~300 organizations of every level and domain, assessed in
2024, 2025 and 2026. The 2024 and 2025 designations in the file are what ``domain.designation``
computes with the default policy, so the history is consistent with the rules; their acceptance
outcomes are planted so that every memory rule fires at least once for the 2026 designation:

    V3007  低分三年，2024、2025 连续被认定         → designated_repeatedly (连续两年被认定)
    V4005  2024、2025 被认定且验收均不合格           → failed_acceptance (三年内两次验收不合格, across years)
    C5003  2025 被认定，验收两轮不合格后通过          → failed_acceptance (across rounds; not designated in 2026)
    V2011  2024、2026 全县农村末位                   → last_place (三年内两次排名末位)

and every direct criterion is present in 2026: V1012 secretary vacant since 2026-03-01 (V2020 since
2026-09-15: not long enough), V3020 and E5002 flagged by other departments, S2002 rated two stars,
a few organizations classed 三类. N1001 and N5002 tie on the lowest social-organization score of 2026
(the tie is broken by the imported rank, then the code).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.designation import DesignationPolicy, designate
from domain.directory import (
    Assessment,
    HistoryRecord,
    Level,
    Organization,
    OrgClass,
    OrgDomain,
)
from domain.memory import MemoryPolicy

OUT = Path(__file__).resolve().parent / "orgs.csv"
SEED = 20261122
YEARS = (2024, 2025, 2026)

TOWNSHIPS = [  # name, leader, {domain: count}
    ("城关镇", "li.county", {"village": 30, "community": 8, "organ": 6, "school": 5, "enterprise": 8, "social_org": 5, "other": 2}),
    ("河西镇", "zhou.county", {"village": 45, "community": 2, "organ": 4, "school": 4, "enterprise": 6, "social_org": 2, "other": 1}),
    ("柳林乡", "wu.county", {"village": 50, "organ": 3, "school": 3, "enterprise": 3, "social_org": 1, "other": 1}),
    ("青山镇", "sun.county", {"village": 40, "community": 2, "organ": 4, "school": 4, "enterprise": 5, "social_org": 2, "other": 1}),
    ("东湖街道", "qian.county", {"village": 5, "community": 20, "organ": 4, "school": 4, "enterprise": 8, "social_org": 5, "other": 1}),
]
PREFIX = {"village": "V", "community": "C", "organ": "G", "school": "S", "enterprise": "E", "social_org": "N", "other": "X"}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力德福生海林成春荣志忠利民永才庆"
PLACE_A = "东西南北上下前后大小新老中高杨柳桃李石马牛龙凤云"
PLACE_B = "庄湾岭坪沟河桥营寨屯店铺集堡岗坡塘园"
ORGANS = ["镇机关", "财政所", "司法所", "派出所", "卫生院", "农业服务中心", "文化站", "市场监管所"]
SCHOOLS = ["中心小学", "第一中学", "第二小学", "职业中学", "幼儿园", "实验小学"]
ENTERPRISES = ["建材有限公司", "农业科技公司", "食品有限公司", "物流有限公司", "纺织有限公司", "电子有限公司",
               "茶业合作社", "机械制造公司", "光伏科技公司", "商贸有限公司"]
SOCIAL = ["个体劳动者协会", "商会", "志愿者协会", "养老服务中心", "律师事务所", "社会工作服务站"]
OTHERS = ["敬老院", "水库管理所"]
COMMUNITY = ["阳光", "幸福", "和平", "建设", "解放", "人民", "团结", "胜利", "朝阳", "新华", "文化", "光明", "民主",
             "友谊", "繁荣", "康乐", "长青", "锦绣", "滨河", "翠苑", "金桥", "育才", "花园", "东方", "振兴", "红旗",
             "向阳", "兴旺", "安康", "和谐", "青年", "永安", "富民"]

HEADER = ["编码", "名称", "层级", "领域", "上级", "乡镇", "书记", "书记缺职起始", "包联领导", "部门标记",
          "年度", "考核得分", "排名", "星级", "类别", "被认定", "验收结果", "验收不合格次数", "书记项目评价"]
LEVEL_ZH = {Level.COMMITTEE: "党委", Level.GENERAL_BRANCH: "党总支", Level.BRANCH: "党支部"}
DOMAIN_ZH = {"village": "农村", "community": "社区", "organ": "机关", "school": "学校", "enterprise": "企业",
             "social_org": "社会组织", "other": "其他"}
CLASS_ZH = {OrgClass.FIRST: "一类", OrgClass.SECOND: "二类", OrgClass.THIRD: "三类"}
RATING_ZH = {"good": "好", "medium": "中", "poor": "差"}


def star_for(score: float) -> int:
    return 5 if score >= 92 else 4 if score >= 86 else 3 if score >= 66 else 2 if score >= 58 else 1


def class_for(star: int) -> OrgClass:
    return OrgClass.FIRST if star >= 4 else OrgClass.SECOND if star == 3 else OrgClass.THIRD


def build() -> str:
    rng = random.Random(SEED)
    people: set[str] = set()

    def person() -> str:
        while True:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
            if name not in people:
                people.add(name)
                return name

    places = [a + b for a in PLACE_A for b in PLACE_B]
    rng.shuffle(places)
    community_names = list(COMMUNITY)
    rng.shuffle(community_names)

    orgs: list[dict] = []  # code, name, level, domain, parent, region, leader, flags, vacant
    for t, (township, leader, counts) in enumerate(TOWNSHIPS, start=1):
        committee = f"T{t}"
        orgs.append({"code": committee, "name": f"{township}党委", "level": Level.COMMITTEE, "domain": "organ",
                     "parent": None, "region": township, "leader": leader, "flags": [], "vacant": None})
        for domain, count in counts.items():
            for i in range(1, count + 1):
                code = f"{PREFIX[domain]}{t}{i:03d}"
                level = Level.BRANCH
                if domain == "village":
                    name = f"{township}{places.pop()}村党支部"
                    if i % 8 == 0:
                        level, name = Level.GENERAL_BRANCH, name.replace("党支部", "党总支")
                elif domain == "community":
                    name = f"{township}{community_names.pop()}社区党支部"
                    if i % 5 == 0:
                        level, name = Level.GENERAL_BRANCH, name.replace("党支部", "党总支")
                elif domain == "organ":
                    name = f"{township}{ORGANS[(i - 1) % len(ORGANS)]}党支部"
                elif domain == "school":
                    name = f"{township}{SCHOOLS[(i - 1) % len(SCHOOLS)]}党支部"
                    if "中学" in name:
                        level, name = Level.GENERAL_BRANCH, name.replace("党支部", "党总支")
                elif domain == "enterprise":
                    name = f"{township}{ENTERPRISES[(i - 1) % len(ENTERPRISES)]}党支部"
                elif domain == "social_org":
                    name = f"{township}{SOCIAL[(i - 1) % len(SOCIAL)]}党支部"
                else:
                    name = f"{township}{OTHERS[(i - 1) % len(OTHERS)]}党支部"
                orgs.append({"code": code, "name": name, "level": level, "domain": domain, "parent": committee,
                             "region": township, "leader": leader, "flags": [], "vacant": None})
    by_code = {o["code"]: o for o in orgs}

    # secretaries per year (a few change each year)
    secretaries: dict[tuple[str, int], str | None] = {}
    for o in orgs:
        current = person()
        for year in YEARS:
            if year > YEARS[0] and rng.random() < 0.06 and o["code"] not in ("V3007", "V4005", "V2011", "C5003"):
                current = person()
            secretaries[(o["code"], year)] = current

    # scores: an organization's level plus yearly noise
    scores: dict[tuple[str, int], float] = {}
    for o in orgs:
        if o["level"] == Level.COMMITTEE:
            continue
        base = rng.gauss(85, 3.5)
        for year in YEARS:
            scores[(o["code"], year)] = round(min(99.0, max(66.0, base + rng.gauss(0, 3.0))), 1)

    planted_scores = {
        ("V3007", 2024): 62.0, ("V3007", 2025): 61.5, ("V3007", 2026): 63.0,
        ("V4005", 2024): 63.5, ("V4005", 2025): 62.5, ("V4005", 2026): 64.0,
        ("V2011", 2024): 55.0, ("V2011", 2025): 80.5, ("V2011", 2026): 54.0,
        ("C5003", 2025): 60.0, ("C5003", 2026): 86.0,
        ("N1001", 2026): 65.5, ("N5002", 2026): 65.5,
        ("S2002", 2026): 84.0,
    }
    scores.update(planted_scores)
    stars = {key: star_for(score) for key, score in scores.items()}
    # 星级评定 is a separate review: a decent score with two stars, a low score with three
    stars[("S2002", 2026)] = 2
    stars[("N1001", 2026)] = stars[("N5002", 2026)] = 3
    classes = {key: class_for(star) for key, star in stars.items()}

    # current (2026) attributes that make direct criteria fire
    by_code["V1012"]["vacant"] = "2026-03-01"
    by_code["V2020"]["vacant"] = "2026-09-15"
    secretaries[("V1012", 2026)] = None
    secretaries[("V2020", 2026)] = None
    by_code["V3020"]["flags"] = ["信访突出", "政法委：矛盾纠纷排查"]
    by_code["E5002"]["flags"] = ["应急局：安全生产问题"]

    # ranks per domain and year, county-wide: higher score first, equal scores by code
    ranks: dict[tuple[str, int], int] = {}
    for year in YEARS:
        for domain in PREFIX:
            pool = sorted((o["code"] for o in orgs if o["domain"] == domain and (o["code"], year) in scores),
                          key=lambda c: (-scores[(c, year)], c))
            for position, code in enumerate(pool, start=1):
                ranks[(code, year)] = position

    def domain_orgs(flagged: bool, year: int) -> list[Organization]:
        result = []
        for o in orgs:
            result.append(Organization(
                code=o["code"], name=o["name"], level=o["level"], domain=OrgDomain(o["domain"]),
                parent=o["parent"], region=o["region"], secretary=secretaries[(o["code"], year)],
                secretary_vacant_since=o["vacant"] if year == 2026 else None, leader=o["leader"],
                flags=o["flags"] if flagged else [],
            ))
        return result

    assessments = [
        Assessment(org_code=code, year=year, score=score, rank=ranks[(code, year)], star=stars[(code, year)],
                   org_class=classes[(code, year)])
        for (code, year), score in scores.items()
    ]
    # 2024 and 2025 designations as the default policy computes them, with planted acceptance outcomes
    designated: dict[tuple[str, int], bool] = {}
    acceptance: dict[tuple[str, int], tuple[str, int]] = {}
    history: list[HistoryRecord] = []
    policy, memory = DesignationPolicy(), MemoryPolicy()
    domain_size = {}
    for year in YEARS:
        for domain in PREFIX:
            domain_size[(domain, year)] = sum(1 for o in orgs if o["domain"] == domain and (o["code"], year) in scores)
    for year in (2024, 2025):
        result = designate(domain_orgs(False, year), assessments, history, year, policy, memory)
        for d in result.designees:
            designated[(d.org_code, year)] = True
            acceptance[(d.org_code, year)] = ("passed", 0)
        for code in ("V4005",):
            acceptance[(code, year)] = ("failed", 1)
        if year == 2025:
            acceptance[("C5003", year)] = ("passed", 2)
        for o in orgs:
            key = (o["code"], year)
            if key not in scores:
                continue
            outcome = acceptance.get(key)
            history.append(HistoryRecord(
                org_code=o["code"], year=year, person=secretaries[key], rank=ranks[key],
                rank_of=domain_size[(o["domain"], year)], designated=designated.get(key, False),
                acceptance=outcome[0] if outcome else None, failed_acceptances=outcome[1] if outcome else 0,
            ))
    for key in (("V3007", 2024), ("V3007", 2025), ("V4005", 2024), ("V4005", 2025), ("C5003", 2025)):
        assert designated.get(key), f"planted history needs {key} designated"

    # project ratings (书记项目) for village and community secretaries
    ratings: dict[tuple[str, int], str] = {}
    for (code, year) in sorted(scores):
        if code[0] in "VC" and year < 2026:
            ratings[(code, year)] = rng.choices(["good", "medium", "poor"], weights=[5, 4, 1])[0]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for o in sorted(orgs, key=lambda o: (o["region"] != "城关镇", o["code"])):
        code = o["code"]
        org_cells = [code, o["name"], LEVEL_ZH[o["level"]], DOMAIN_ZH[o["domain"]], o["parent"] or "", o["region"]]
        tail_org = [o["vacant"] or "", o["leader"], "、".join(o["flags"])]
        years = [y for y in YEARS if (code, y) in scores]
        if not years:
            writer.writerow(org_cells + [secretaries[(code, 2026)] or ""] + tail_org + [""] * 9)
            continue
        for year in years:
            key = (code, year)
            outcome = acceptance.get(key)
            writer.writerow(org_cells + [secretaries[key] or ""] + tail_org + [
                year, f"{scores[key]:.1f}", ranks[key], stars[key], CLASS_ZH[classes[key]],
                ("是" if designated.get(key) else "否") if year < 2026 else "",
                ({"passed": "通过", "failed": "不合格"}[outcome[0]]) if outcome else "",
                (outcome[1] if outcome[1] else "") if outcome else "",
                RATING_ZH.get(ratings.get(key, ""), ""),
            ])
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    text = build()
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{args.out} differs from the generator's output")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({text.count(chr(10)) - 1} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
