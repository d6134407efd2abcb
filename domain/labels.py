"""Labels people read: Chinese first, English on request. Codes stay English everywhere else."""

from __future__ import annotations

from enum import StrEnum

from domain.actors import Role
from domain.policy import Rung
from domain.rectification import BasisKind, Outcome, PlanStatus, Stage, Verdict

Lang = str  # "zh" | "en"

_LABELS: dict[str, tuple[str, str]] = {
    # stages
    f"stage.{Stage.NEW}": ("未立案", "not opened"),
    f"stage.{Stage.DESIGNATED}": ("已认定", "designated"),
    f"stage.{Stage.PLANNING}": ("方案审核", "plan review"),
    f"stage.{Stage.IMPLEMENTING}": ("整改实施", "implementing"),
    f"stage.{Stage.CHECKING}": ("检查验收", "checking"),
    f"stage.{Stage.CONSOLIDATING}": ("巩固提升", "consolidating"),
    f"stage.{Stage.CLOSED}": ("已销号", "closed"),
    # plan status
    f"plan.{PlanStatus.NONE}": ("未提交", "not submitted"),
    f"plan.{PlanStatus.SUBMITTED}": ("待审核", "awaiting review"),
    f"plan.{PlanStatus.RETURNED}": ("退回修改", "returned for revision"),
    f"plan.{PlanStatus.APPROVED}": ("已批准", "approved"),
    # designation basis
    f"basis.{BasisKind.RANKING}": ("考评倒排", "bottom of assessment ranking"),
    f"basis.{BasisKind.DIRECT}": ("直接认定", "direct designation"),
    # verdicts and outcomes
    f"verdict.{Verdict.PASSED}": ("验收通过", "passed"),
    f"verdict.{Verdict.FAILED_SCORE}": ("得分不达标", "failed: score"),
    f"verdict.{Verdict.FAILED_SATISFACTION}": ("群众满意度否决", "failed: public dissatisfaction"),
    f"outcome.{Outcome.UPGRADED}": ("晋位升级", "moved up a class"),
    f"outcome.{Outcome.STABLE}": ("巩固达标", "consolidated"),
    # escalation rungs
    f"rung.{Rung.REMINDER}": ("提醒", "reminder"),
    f"rung.{Rung.REMINDER_TALK}": ("提醒谈话", "reminder talk"),
    f"rung.{Rung.SUPERVISION_NOTICE}": ("发函督办", "written supervision notice"),
    f"rung.{Rung.ADMONISHMENT_TALK}": ("诫勉谈话", "admonishment talk"),
    f"rung.{Rung.PERSONNEL_ADJUSTMENT}": ("组织调整", "personnel adjustment"),
    # roles
    f"role.{Role.SUPERVISOR}": ("组织部督导员", "organization-department supervisor"),
    f"role.{Role.COUNTY_LEADER}": ("县级包联领导", "county liaison leader"),
    f"role.{Role.TOWNSHIP_SECRETARY}": ("乡镇党委书记", "township Party secretary"),
    f"role.{Role.BRANCH_SECRETARY}": ("党组织书记", "branch Party secretary"),
    f"role.{Role.FIRST_SECRETARY}": ("第一书记", "first secretary"),
    f"role.{Role.SYSTEM}": ("系统", "system"),
    # event types
    "event.CaseOpened": ("立案认定", "case opened"),
    "event.PlanSubmitted": ("提交整改方案", "plan submitted"),
    "event.PlanReturned": ("方案退回修改", "plan returned"),
    "event.PlanApproved": ("方案批准", "plan approved"),
    "event.ProgressReported": ("报告进展", "progress reported"),
    "event.MeasureCompleted": ("措施完成", "measure completed"),
    "event.SelfCheckSubmitted": ("提交自查", "self-check submitted"),
    "event.AcceptanceRecorded": ("验收评定", "acceptance recorded"),
    "event.ReworkOrdered": ("限期重新整改", "rework ordered"),
    "event.ConsolidationStarted": ("进入巩固期", "consolidation started"),
    "event.ConsolidationEnded": ("巩固期届满", "consolidation period ended"),
    "event.FollowUpReviewed": ("回头看", "follow-up review"),
    "event.RelapseRecorded": ("问题反弹，重新整顿", "relapse: new cycle"),
    "event.CaseClosed": ("销号", "case closed"),
    "event.ReminderSent": ("到期提醒", "deadline reminder"),
    "event.MeasureOverdue": ("逾期通知", "overdue notice"),
    "event.EscalationRaised": ("逾期升级", "escalation"),
    # refusals (domain error codes)
    "error.invalid_command": ("输入有误", "invalid input"),
    "error.not_allowed_in_stage": ("当前阶段不允许此操作", "not allowed now"),
    "error.permission_denied": ("无权操作", "permission denied"),
    "error.separation_of_duties": ("违反职责分离", "separation of duties"),
    "error.domain_error": ("操作被拒绝", "refused"),
    # words used in tables and messages
    "word.case": ("案件", "case"),
    "word.org": ("党组织", "organization"),
    "word.region": ("乡镇", "region"),
    "word.year": ("年度", "year"),
    "word.stage": ("阶段", "stage"),
    "word.cycle": ("轮次", "cycle"),
    "word.basis": ("认定依据", "designation basis"),
    "word.leaders": ("包联领导", "liaison leaders"),
    "word.plan": ("整改方案", "plan"),
    "word.plan_round": ("方案提交次数", "plan submissions"),
    "word.plan_returns": ("退回次数", "plan returns"),
    "word.problems": ("问题台账", "problem ledger"),
    "word.measures": ("整改措施", "measures"),
    "word.measure": ("措施", "measure"),
    "word.category": ("问题类别", "category"),
    "word.description": ("内容", "description"),
    "word.addresses": ("对应问题", "addresses"),
    "word.responsible": ("责任人", "responsible"),
    "word.deadline": ("完成时限", "deadline"),
    "word.status": ("状态", "status"),
    "word.done": ("已完成", "done"),
    "word.open": ("进行中", "open"),
    "word.overdue": ("逾期", "overdue"),
    "word.yes": ("是", "yes"),
    "word.no": ("否", "no"),
    "word.progress": ("进度", "progress"),
    "word.next_due": ("最近时限", "next due"),
    "word.acceptances": ("验收记录", "acceptance rounds"),
    "word.score": ("得分", "score"),
    "word.unsatisfied": ("不满意率", "unsatisfied share"),
    "word.verdict": ("结论", "verdict"),
    "word.consolidation_until": ("巩固期至", "consolidation until"),
    "word.outcome": ("销号结果", "outcome"),
    "word.time": ("时间", "time"),
    "word.event": ("事件", "event"),
    "word.actor": ("操作人", "actor"),
    "word.details": ("详情", "details"),
    "word.position": ("序号", "position"),
    "word.escalations": ("升级", "escalations"),
    "word.reminders": ("提醒", "reminders"),
    # --- rectification timing: calendar, pause, extension, sanctions (issue 4)
    # --- calendar (issue 4)
    # --- notification channels (issue 4)
    # --- directory, designation, memory across years (issue 3 / 4)
    # --- secretary projects (issue 3)
    # --- campaigns (issue 3)
    # --- reports (issue 3)
    # --- cadence schedules (issue 4)
}


def label(key: str, lang: Lang = "zh") -> str:
    pair = _LABELS.get(key)
    if pair is None:
        return key.split(".", 1)[-1]
    return pair[0] if lang == "zh" else pair[1]


def enum_label(prefix: str, value: StrEnum | str | None, lang: Lang = "zh") -> str:
    if value is None:
        return "-"
    return label(f"{prefix}.{value}", lang)


def all_keys() -> list[str]:
    return list(_LABELS)
