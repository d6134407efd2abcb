"""评星定级 from the phone, in Chromium against a real `pdca up`: the county opens a village's rating with the CLI,
the village's branch secretary finds it in 我的待办 on a phone and sends the self-assessment from its form (a photo
attached to one item, shown as its thumbnail and served back through the rating), the township secretary reviews
it on a desktop (one item corrected), and the rating waits for the county, whose
page says approval stays with `pdca rating approve`. The rating's own workflow takes each command.

The stack is shared by the browser tests of a run: this file uses its own township, organization and people.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from i18n.labels import label
from tests.browser.test_console import Watch, current_stage, photo, sign_in
from tests.stack_driver import Stack

YEAR = date.today().year  # the stack runs on the machine's clock
ORG = "V741"
TOWNSHIP = "星火镇"
RATING = f"star-{ORG}-{YEAR}"
SUP, BRANCH, TOWN = "star.sup", "star.branch", "star.town"
ORGS = """编码,名称,层级,领域,上级,乡镇,书记,书记缺职起始,包联领导,部门标记,年度,考核得分,排名,星级,类别
T9,星火镇党委,党委,机关,,{town},吴书记,,star.sup,,,,,,
{org},星火镇南岭村党支部,党支部,农村,T9,{town},周书记,,star.sup,,{last},82.0,40,3,二类
{org},星火镇南岭村党支部,党支部,农村,T9,{town},周书记,,star.sup,,{year},84.0,35,,
"""
SCORES = {"political": "19", "team": "18", "members": "18", "rules": "20", "service": "17"}


def test_a_village_secretary_self_assesses_on_a_phone_and_the_township_reviews(
    stack: Stack, page_at: Callable[..., Any], external_requests: Callable[[Any], list[str]], tmp_path: Path
) -> None:
    stack.sign_in_admin()
    passwords = {person: f"{person}-pass-1" for person in (SUP, BRANCH, TOWN)}
    stack.add_person(SUP, ["supervisor"], password=passwords[SUP], name="星级督导")
    stack.add_person(BRANCH, ["branch_secretary"], password=passwords[BRANCH], name="周书记", scope=[ORG], sign_in=False)
    stack.add_person(TOWN, ["township_secretary"], password=passwords[TOWN], name="星火镇书记", scope=[TOWNSHIP], sign_in=False)
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(ORGS.format(org=ORG, town=TOWNSHIP, last=YEAR - 1, year=YEAR), encoding="utf-8")
    stack.cli("org", "import", str(orgs), as_=SUP)
    opened = stack.cli_json("rating", "open", "--year", str(YEAR), "--org", ORG, as_=SUP)
    assert opened["opened"] == [ORG], opened

    # the branch secretary's phone: 我的待办 → 评星自评 → the form, one number per item of the standard
    phone = page_at(375)
    watches = [Watch(phone)]
    sign_in(phone, stack, BRANCH, passwords[BRANCH])
    task = phone.locator(f'#my-decisions li.decision[data-kind="SubmitSelfAssessment"][data-rating="{RATING}"] a')
    expect(task).to_contain_text("星火镇南岭村党支部")
    task.click()
    expect(phone).to_have_url(stack.url(f"/ratings/{RATING}#self-assessment"))
    form = phone.locator("#assess-form")
    expect(form.locator('input[type="number"]')).to_have_count(len(SCORES))
    expect(form.locator('[data-item="political"] label').first).to_contain_text("政治功能强（满分 20 分）")
    for code, points in SCORES.items():
        form.locator(f'input[name="points-{code}"]').fill(points)
    form.locator('textarea[name="evidence-rules"]').fill("三会一课台账.pdf，档案 2026-07")
    form.locator('textarea[name="evidence-team"]').fill("支委会记录.pdf")
    form.locator('textarea[name="note"]').fill("对照标准逐项自评")
    png = photo(tmp_path / "三会一课.png")  # a photo of the minutes on the item it proves
    sha256 = hashlib.sha256(png).hexdigest()
    form.locator('input[name="files-rules"]').set_input_files(str(tmp_path / "三会一课.png"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, "the self-assessment form scrolls sideways at 375 px"
    phone.click("#submit-assessment")
    expect(phone).to_have_url(stack.url(f"/ratings/{RATING}?ok=sent"))
    expect(phone.locator("#flash")).to_be_visible()
    expect(current_stage(phone)).to_have_text(label("rstage.township_review", "zh"))
    expect(phone.locator("#assess-form")).to_have_count(0)
    expect(phone.locator('#scores tr[data-item="rules"]')).to_contain_text("档案 2026-07")
    figure = phone.locator(f'#scores tr[data-item="rules"] figure.evidence[data-sha256="{sha256}"]')
    expect(figure).to_contain_text("三会一课.png")
    thumb = figure.locator("img")
    thumb.scroll_into_view_if_needed()
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    downloaded = phone.request.get(stack.url(f"/evidence/{RATING}/{sha256}"))
    assert downloaded.ok and hashlib.sha256(downloaded.body()).hexdigest() == sha256
    expect(phone.locator('#timeline li[data-type="SelfAssessmentSubmitted"]')).to_contain_text(BRANCH)

    # the township secretary's desktop: 评星审核 from 我的待办, one item corrected with its reason
    town = page_at(1280)
    watches.append(Watch(town))
    sign_in(town, stack, TOWN, passwords[TOWN])
    town.locator(f'#my-decisions li.decision[data-kind="ReviewRating"][data-rating="{RATING}"] a').click()
    expect(town).to_have_url(stack.url(f"/ratings/{RATING}#review"))
    expect(town.locator("#return-form")).to_be_visible()
    review = town.locator("#review-form")
    expect(review.locator('[data-item="team"] label').first).to_contain_text("自评 18 分")
    review.locator('input[name="points-team"]').fill("16")
    review.locator('input[name="note-team"]').fill("班子缺员一人")
    review.locator('textarea[name="comment"]').fill("班子建设扣 2 分，同意上报")
    town.click("#submit-review")
    expect(town).to_have_url(stack.url(f"/ratings/{RATING}?ok=sent"))
    expect(current_stage(town)).to_have_text(label("rstage.county_review", "zh"))
    expect(town.locator('#scores tr[data-item="team"]')).to_contain_text("班子缺员一人")
    expect(town.locator("#comments")).to_contain_text("班子建设扣 2 分，同意上报")

    shown = stack.cli_json("rating", "show", RATING)
    assert shown["stage"] == "county_review" and shown["self_assessment"]["by"] == BRANCH and shown["review"]["by"] == TOWN
    assert shown["review"]["total"] == 90 and shown["review_level"] == 4  # 5★ needs 班子队伍强 in full

    # the county's page: a return form, and approval with the person's own signature in the CLI
    county = page_at(1280)
    watches.append(Watch(county))
    sign_in(county, stack, SUP, passwords[SUP], next_path=f"/ratings/{RATING}")
    expect(county.locator("#return-form")).to_be_visible()
    expect(county.locator("#approve-in-cli")).to_have_text(re.compile(r"审定需本人签名，请用\s+pdca rating approve"))
    expect(county.locator("#review-form")).to_have_count(0)

    for watch in watches:
        assert external_requests(watch.page) == [], watch.page.url
        assert watch.errors == [], watch.errors
