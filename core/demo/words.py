"""The words the demo company is named with, in English or in Chinese (`seed --locale zh_CN`).

Both languages draw the same random numbers, so a Chinese demo company has the same figures as
the English one; only its names differ: company, regions, people, customers, products and
product lines, lost reasons, activity outcomes and notes, follow-ups and plan notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.demo import vocabulary as en


@dataclass(frozen=True)
class Words:
    locale: str
    company: str
    root_region: str
    regions: dict[str, str]
    """Region and team names of the scales, in this language (absent: kept)."""
    admin_name: str
    director_name: str
    first: tuple[str, ...]
    last: tuple[str, ...]
    name_a: tuple[str, ...]
    name_b: tuple[str, ...]
    name_c: tuple[str, ...]
    legal: tuple[str, ...]
    products: tuple[tuple[str, str, int], ...]
    segments: tuple[str, ...]
    industries: tuple[str, ...]
    lost_reasons: tuple[str, ...]
    outcomes: tuple[str, ...]
    next_steps: tuple[str, ...]
    follow_ups: tuple[str, ...]
    visit_today: str
    call_late: str
    activity_note: str
    review_note: str
    commitment: str
    profiles: dict[str, str]
    """The seasonality profiles' names ("Retail", "Year-end push") in this language."""
    accounts: dict[str, str] = field(default_factory=dict)

    def region(self, name: str) -> str:
        """A region or team name of the scales in this language."""
        if name in self.regions:
            return self.regions[name]
        if self.locale == "zh_CN":
            name = re.sub(r"^Region (\d+)", r"区域 \1", name)
            name = re.sub(r"^Team (\d+)-(\w)", r"团队 \1-\2", name)
        return name

    def person(self, first: str, last: str) -> str:
        return f"{last}{first}" if self.locale == "zh_CN" else f"{first} {last}"

    def customer(self, a: str, b: str, c: str) -> str:
        return f"{a}{b}{c}" if self.locale == "zh_CN" else f"{a}{b} {c}"

    def with_legal(self, name: str, legal: str) -> str:
        return f"{name}{legal}" if self.locale == "zh_CN" else f"{name} {legal}".strip()

    def deal(self, product: str, customer: str) -> str:
        return f"{customer} {product}" if self.locale == "zh_CN" else f"{product} for {customer}"

    def plan_note(self, year: int) -> str:
        if self.locale == "zh_CN":
            return f"{year}财年计划：上一年的收入加增长目标。"
        return f"FY{year} plan: last year's revenue plus a growth goal."


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ENGLISH = Words(
    locale="en",
    company="Northwind Instruments",
    root_region="Company",
    regions={},
    admin_name="Alex Admin",
    director_name="Dana Director",
    first=en.FIRST,
    last=en.LAST,
    name_a=en.NAME_A,
    name_b=en.NAME_B,
    name_c=en.NAME_C,
    legal=en.LEGAL,
    products=en.PRODUCTS,
    segments=tuple(s[0] for s in en.SEGMENTS),
    industries=en.INDUSTRIES,
    lost_reasons=en.LOST_REASONS,
    outcomes=en.OUTCOMES,
    next_steps=(
        "Send proposal",
        "Book demo",
        "Call decision maker",
        "Technical workshop",
        "Negotiate terms",
        "Get signature",
    ),
    follow_ups=(
        "Send the proposal",
        "Book a demo",
        "Call the decision maker",
        "Prepare the technical workshop",
        "Agree the terms",
        "Ask for the signature",
    ),
    visit_today="Visit to review the offer",
    call_late="Call back about the budget",
    activity_note="Discussed next steps and timeline.",
    review_note="Walked through open deals, risks and next steps.",
    commitment="Confirm decision date with the buyer",
    profiles={"Retail": "Retail", "Year-end push": "Year-end push"},
    accounts={
        "admin": "Administrator: people, stages, settings, imports",
        "director": "Sales director: the whole company",
        "manager": "Regional manager of the first region",
        "rep": "Sales rep in that region",
    },
)

CHINESE = Words(
    locale="zh_CN",
    company="北风仪器有限公司",
    root_region="公司",
    regions={
        "North America": "北美",
        "US East": "美国东部",
        "US West": "美国西部",
        "Canada": "加拿大",
        "Europe": "欧洲",
        "DACH": "德奥瑞",
        "UK & Ireland": "英国和爱尔兰",
        "Nordics": "北欧",
        "Asia Pacific": "亚太",
        "ANZ": "澳新",
        "Japan": "日本",
        "Greater China": "大中华区",
        "Latin America": "拉丁美洲",
        "Brazil": "巴西",
        "Mexico": "墨西哥",
        "Middle East & Africa": "中东和非洲",
        "Gulf": "海湾地区",
        "South Africa": "南非",
    },
    admin_name="周安",
    director_name="陈丹",
    first=_split(
        "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 "
        "秀英 霞 平 刚 桂英 建华 志强 海燕 晓东 雪梅 国庆 文博 思远"
    ),
    last=_split(
        "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹"
    ),
    name_a=_split(
        "华信 东方 恒通 金桥 远航 天宇 瑞丰 鼎盛 长城 海川 新源 宏达 "
        "博远 中科 盛世 嘉禾 汇通 明德 永安 联创 星河 蓝海 万象 卓越 "
        "泰和 凯旋 百川 立信 同辉 启航"
    ),
    name_b=_split(
        "科技 智能 数码 实业 信息 网络 精密 环球 创新 电子 动力 未来 "
        "智造 数据 云端 光电 先锋 新材 生物 国际"
    ),
    name_c=_split(
        "物流 食品 医疗 能源 系统 零售 汽车 金融 制药 通信 钢铁 传媒 "
        "建设 纺织 机器人 化工 航空 保险 酒店 软件"
    ),
    legal=("有限公司", "股份有限公司", "集团", "有限公司", "有限公司", "", "", "", ""),
    products=(
        ("核心平台", "平台", 24_000),
        ("核心平台增强版", "平台", 48_000),
        ("分析插件", "分析", 9_000),
        ("分析专业版", "分析", 18_000),
        ("现场服务", "服务", 6_500),
        ("实施套餐", "服务", 3_500),
        ("高级支持", "服务", 5_000),
    ),
    segments=("大型企业", "中型企业", "小微企业"),
    industries=_split("制造业 零售业 医疗健康 金融 物流 能源 科技 公共部门 电信 教育"),
    lost_reasons=("价格", "竞争对手", "未做决定", "时机", "产品不匹配", "预算削减"),
    outcomes=("积极", "已约定跟进", "无人接听", "已发送方案", "需要更多信息", "一般"),
    next_steps=("发送方案", "预约演示", "联系决策人", "技术研讨会", "商务谈判", "签署合同"),
    follow_ups=(
        "发送方案",
        "预约产品演示",
        "致电决策人",
        "准备技术研讨会",
        "商定条款",
        "请客户签字",
    ),
    visit_today="拜访客户，复核报价",
    call_late="回电确认预算",
    activity_note="讨论了下一步计划和时间表。",
    review_note="逐一过了在跟商机、风险和下一步。",
    commitment="与采购方确认决策日期",
    profiles={"Retail": "零售", "Year-end push": "年末冲刺"},
    accounts={
        "admin": "管理员：人员、阶段、设置、导入",
        "director": "销售总监：全公司",
        "manager": "第一个区域的区域经理",
        "rep": "该区域的销售代表",
    },
)

LOCALES = {"en": ENGLISH, "zh_CN": CHINESE}


def words_for(locale: str) -> Words:
    """The demo company's words in a language ("en" or "zh_CN")."""
    if locale not in LOCALES:
        raise ValueError(f"Unknown demo locale '{locale}': choose one of {', '.join(LOCALES)}.")
    return LOCALES[locale]
