"""The monthly operating report (运行分析月报, seed 003: "反映月度服务总量分类、统计分析和热点问题") as XLSX:
the scorecard, daily volumes and rates, the hourly profile, queues, agents, caller regions and hot topics
(wrap-up dispositions), each with an openpyxl chart where a chart helps."""
from __future__ import annotations

import datetime as dt
import io
from collections import Counter

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.reports import periods
from engine.reports.agents import agent_report
from engine.reports.definitions import Definitions
from engine.reports.queries import call_report, region_report
from engine.reports.scorecard import monthly_scorecard
from engine.store.models import CallNote


def _r(value, digits=2):
    return None if value is None else round(value, digits)


def _order_topics(wb: Workbook, session: Session, start: dt.datetime, end: dt.datetime, card) -> None:
    """工单热点: the month's orders by category (the most frequent first, with their share), by top-level category,
    and seed 004's business items of the scorecard."""
    from engine.store.order_reports import hot_categories, hot_top_categories
    ws = wb.create_sheet("工单热点")
    total, rows = hot_categories(session, start, end, limit=20)
    ws.append([f"本月工单 {total} 件"])
    ws.append(["排名", "工单分类", "工单量", "占比 %"])
    first = ws.max_row + 1
    for rank, (path, count, share) in enumerate(rows, 1):
        ws.append([rank, path or "未分类", count, share])
    last = ws.max_row
    ws.append([])
    ws.append(["一级分类", "工单量", "占比 %"])
    for name, count, share in hot_top_categories(session, start, end):
        ws.append([name or "未分类", count, share])
    ws.append([])
    ws.append(["业务指标（采购需求 004）", "本月", "目标", "得分", "满分", "评分规则"])
    for item in card.business:
        ws.append([item.name, _r(item.value), item.target, item.points, item.max_points, item.rule])
    ws.column_dimensions["B"].width = 36
    if rows:
        bar = BarChart()
        bar.title, bar.y_axis.title = "工单热点分类", "件"
        bar.add_data(Reference(ws, min_col=3, min_row=first - 1, max_row=last), titles_from_data=True)
        bar.set_categories(Reference(ws, min_col=2, min_row=first, max_row=last))
        bar.width, bar.height = 24, 9
        ws.add_chart(bar, "G2")


def monthly_workbook(session: Session, year: int, month: int, d: Definitions) -> bytes:
    """The workbook's bytes."""
    start, end = periods.month_range(year, month)
    card = monthly_scorecard(session, year, month, d)
    f = card.figures
    wb = Workbook()
    ws = wb.active
    ws.title = "概要"
    ws.append([f"{year}年{month}月 运行分析月报"])
    ws.append([])
    ws.append(["考核项目", "本月", "目标", "得分", "满分", "评分规则（采购需求 003）", "超出分项分值的加分（不计入）"])
    for item in card.items:
        ws.append([item.name, _r(item.value), item.target, item.points, item.max_points, item.rule,
                   item.bonus_beyond_max])
    ws.append(["计分规则", card.cap_rule])
    ws.append([])
    ws.append(["业务指标（采购需求 004）", "本月", "目标", "得分", "满分", "评分规则"])
    for item in card.business:
        ws.append([item.name, _r(item.value), item.target, item.points, item.max_points, item.rule])
    ws.append([])
    ws.append(["指标", "数值"])
    for key, name in (("arrived", "呼入次数"), ("requests", "人工请求量"), ("answered", "人工接通量"),
                      ("answer_rate", "人工接通率 %"), ("service_level", f"{d.service_level_s}秒接通率 %"),
                      ("abandoned", "放弃量"), ("abandon_rate", "放弃率 %"), ("avg_wait_s", "平均等待时长 s"),
                      ("asa_s", "平均应答速度 ASA s"), ("aht_s", "平均处理时长 AHT s"),
                      ("satisfaction_rate", "满意率 %"), ("rating_rate", "参评率 %"), ("callbacks", "回呼请求"),
                      ("transfers", "转接次数"), ("dialed", "呼出次数")):
        ws.append([name, _r(f[key])])
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["F"].width = 60

    daily = call_report(session, start, end, "day", "all", d)
    ds = wb.create_sheet("每日")
    ds.append(["日期", "人工请求量", "人工接通量", "放弃量", "人工接通率 %", f"{d.service_level_s}秒接通率 %",
               "平均等待时长 s"])
    for row in daily.rows:
        ff = row.figures
        ds.append([row.period, ff["requests"], ff["answered"], ff["abandoned"], _r(ff["answer_rate"]),
                   _r(ff["service_level"]), _r(ff["avg_wait_s"])])
    n = len(daily.rows)
    if n:
        bar = BarChart()
        bar.title, bar.y_axis.title = "每日话务量", "通"
        bar.add_data(Reference(ds, min_col=2, max_col=4, min_row=1, max_row=n + 1), titles_from_data=True)
        bar.set_categories(Reference(ds, min_col=1, min_row=2, max_row=n + 1))
        bar.width, bar.height = 24, 9
        ds.add_chart(bar, "I2")
        line = LineChart()
        line.title, line.y_axis.title = "接通率", "%"
        line.add_data(Reference(ds, min_col=5, max_col=6, min_row=1, max_row=n + 1), titles_from_data=True)
        line.set_categories(Reference(ds, min_col=1, min_row=2, max_row=n + 1))
        line.width, line.height = 24, 9
        ds.add_chart(line, "I22")

    hs = wb.create_sheet("时段分布")
    hs.append(["时段", "人工请求量", "人工接通量"])
    by_hour: Counter = Counter()
    answered_by_hour: Counter = Counter()
    for row in call_report(session, start, end, "hour", "all", d).rows:
        hour = periods.local(row.period_start).hour
        by_hour[hour] += row.figures["requests"]
        answered_by_hour[hour] += row.figures["answered"]
    for hour in range(24):
        hs.append([f"{hour:02d}:00", by_hour[hour], answered_by_hour[hour]])
    chart = BarChart()
    chart.title = "各时段话务量"
    chart.add_data(Reference(hs, min_col=2, max_col=3, min_row=1, max_row=25), titles_from_data=True)
    chart.set_categories(Reference(hs, min_col=1, min_row=2, max_row=25))
    chart.width, chart.height = 24, 9
    hs.add_chart(chart, "E2")

    qs = wb.create_sheet("队列")
    qs.append(["队列", "人工请求量", "人工接通量", "人工接通率 %", f"{d.service_level_s}秒接通率 %", "放弃量",
               "平均等待时长 s", "AHT s", "满意率 %"])
    for row in call_report(session, start, end, "range", "queue", d).rows:
        ff = row.figures
        qs.append([row.label, ff["requests"], ff["answered"], _r(ff["answer_rate"]), _r(ff["service_level"]),
                   ff["abandoned"], _r(ff["avg_wait_s"]), _r(ff["aht_s"]), _r(ff["satisfaction_rate"])])

    ags = wb.create_sheet("坐席")
    ags.append(["坐席", "在线时长 s", "接听量", "通话时长 s", "AHT s", "置忙次数", "置忙总时长 s", "转接次数",
                "满意率 %", "利用率 %"])
    for row in agent_report(session, start, end, "range", "agent", d):
        ags.append([row["label"], _r(row["logged_in_s"], 0), row["answered"], _r(row["talk_s"], 0), _r(row["aht_s"]),
                    row["not_ready_count"], _r(row["not_ready_total_s"], 0), row["transfers"],
                    _r(row["satisfaction_rate"]), _r(row["utilization"])])

    rs = wb.create_sheet("来电地区")
    rs.append(["省份", "城市", "来电量", "占比 %"])
    regions = region_report(session, start, end)
    for r in regions:
        rs.append([r["province"] or "未知", r["city"] or "", r["calls"], _r(r["share"])])
    provinces: Counter = Counter()
    for r in regions:
        provinces[r["province"] or "未知"] += r["calls"]
    if provinces:
        rs.append([])
        first = rs.max_row + 1
        for province, calls in provinces.most_common():
            rs.append([province, "", calls])
        pie = PieChart()
        pie.title = "来电地区（省）"
        pie.add_data(Reference(rs, min_col=3, min_row=first, max_row=rs.max_row))
        pie.set_categories(Reference(rs, min_col=1, min_row=first, max_row=rs.max_row))
        rs.add_chart(pie, "F2")

    ts = wb.create_sheet("热点问题")
    ts.append(["话后小结分类", "次数"])
    s, e = (dt.datetime.fromtimestamp(x, dt.timezone.utc) for x in (start, end))
    for disposition, count in session.execute(
            select(CallNote.disposition, func.count()).where(CallNote.written_at >= s, CallNote.written_at < e)
            .group_by(CallNote.disposition).order_by(func.count().desc())):
        ts.append([disposition, count])

    _order_topics(wb, session, s, e, card)

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
