"""Deterministic generator of realistic sample client exports.

The files imitate what a Chinese B2B distributor of industrial parts (MRO,
currency CNY) hands over for a customer-grading project: the CRM customer list,
the product list, ERP order lines (one Excel sheet per year), invoices with
payments, service tickets, an NPS survey export, monthly web-portal activity
and the sales team's lead list. ``config/mappings/sample_distributor.yaml``
maps them onto the canonical tables.

Behaviour planted for later stages to find
------------------------------------------
* Revenue concentration: lognormal customer size, so ~10% of the customers
  make ~70% of the revenue.
* Seasonality: a Chinese New Year dip in January/February, a year-end peak.
* Churn: each month a healthy customer may start declining, with a hazard that
  rises after complaints and slow ticket responses in the previous three
  months; a declining customer's orders and logins fade over 2-6 months, then
  stop. Tickets follow order activity, complaint propensity is per customer,
  satisfaction and NPS drop with complaints, slow responses and decline.
* Leads: the won/lost outcome follows a logistic model of company size,
  industry fit, budget adequacy and decision-maker contact (domain.md §6);
  won leads become new customers.
* Payment behaviour: on time, late, chronically late or partly unpaid, per customer.

Dirt planted for the cleaning stage (low, realistic rates)
----------------------------------------------------------
Exact duplicate order lines, order lines without a customer id, a test
account (``TEST001``), duplicate customer records, missing contact fields,
variant industry and region spellings, mixed date formats (text dates in the
order workbook, three formats for registration dates).

Consultant input
----------------
``manual/scorecard_<quarter of the end date>.xlsx``: the scorecard's manual
factors (domain.md §4) as a consultant would fill them in for the largest
customers and a few others, drawn from the latent truth with noise (bigger,
healthier customers in the core market tend to get higher levels).

The hidden truth per customer goes to ``_truth/customers_truth.parquet``; it is
not part of the mapping. Everything is drawn from one seeded
:class:`numpy.random.Generator` and no wall-clock value is written, so the
same arguments give byte-identical files.

Run ``python -m helpers.sample_data --out data/raw/sample``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from helpers.core.periods import latest_period
from helpers.io.excel import Cells, open_workbook
from helpers.segmentation.manual_input import manual_file_name, write_manual_template
from helpers.segmentation.settings import Scorecard, load_scorecard

__all__ = ["FX_USD_CNY", "MANUAL_DIR", "TEST_ACCOUNT", "TRUTH_FILE", "XLSX_CREATED", "generate", "main"]

Format = Literal["excel", "parquet"]

#: CNY per USD for export customers' prices; ``sample_distributor.yaml`` uses the same rate.
FX_USD_CNY = 7.10
#: The workbooks' "created" property (else xlsxwriter writes the current time and bytes differ).
XLSX_CREATED = dt.datetime(2026, 1, 5, 9, 0, 0)
#: The id of the internal test account planted in the exports.
TEST_ACCOUNT = "TEST001"

# File names per table and format: CSV tables stay CSV in the "excel" format, as the client sends them.
_FILES: dict[str, tuple[str, str]] = {
    "customers": ("customers.csv", "customers.parquet"),
    "products": ("products.csv", "products.parquet"),
    "orders": ("orders.xlsx", "orders.parquet"),
    "payments": ("payments.csv", "payments.parquet"),
    "tickets": ("service_tickets.xlsx", "service_tickets.parquet"),
    "surveys": ("nps_survey.csv", "nps_survey.parquet"),
    "interactions": ("interactions.csv", "interactions.parquet"),
    "leads": ("leads.xlsx", "leads.parquet"),
}
TRUTH_FILE = Path("_truth") / "customers_truth.parquet"
#: The consultant's scorecard input ships with the dataset
#: (``helpers.segmentation.manual_input.find_manual_input`` finds it).
MANUAL_DIR = Path("manual")
# The project's own config: the sample's manual sheet follows its scorecard unless another is given.
_PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "config"

# --------------------------------------------------------------------------- vocabulary
# region -> (share of domestic customers, cities as (name, pinyin abbreviation), the client's other spellings)
_REGIONS: dict[str, tuple[float, list[tuple[str, str]], list[str]]] = {
    "华东": (
        0.36,
        [
            ("上海", "sh"),
            ("苏州", "sz"),
            ("杭州", "hz"),
            ("宁波", "nb"),
            ("南京", "nj"),
            ("无锡", "wx"),
            ("常州", "cz"),
            ("合肥", "hf"),
            ("济南", "jn"),
            ("青岛", "qd"),
            ("温州", "wz"),
            ("厦门", "xm"),
        ],
        ["华东区", "华东地区", "East China"],
    ),
    "华南": (
        0.22,
        [
            ("广州", "gz"),
            ("深圳", "szx"),
            ("东莞", "dg"),
            ("佛山", "fs"),
            ("珠海", "zh"),
            ("中山", "zs"),
            ("南宁", "nn"),
        ],
        ["华南区", "华南地区", "South China"],
    ),
    "华北": (
        0.13,
        [("北京", "bj"), ("天津", "tj"), ("石家庄", "sjz"), ("太原", "ty"), ("唐山", "ts"), ("保定", "bd")],
        ["华北区", "华北地区", "North China"],
    ),
    "华中": (
        0.11,
        [("武汉", "wh"), ("长沙", "cs"), ("郑州", "zz"), ("南昌", "nc"), ("洛阳", "ly"), ("襄阳", "xy")],
        ["华中区", "华中地区", "Central China"],
    ),
    "西南": (
        0.09,
        [("成都", "cd"), ("重庆", "cq"), ("昆明", "km"), ("贵阳", "gy"), ("绵阳", "my")],
        ["西南区", "西南地区", "Southwest China"],
    ),
    "西北": (
        0.05,
        [("西安", "xa"), ("兰州", "lz"), ("银川", "yc"), ("宝鸡", "baoji")],
        ["西北区", "西北地区", "Northwest China"],
    ),
    "东北": (
        0.04,
        [("沈阳", "sy"), ("大连", "dl"), ("长春", "cc"), ("哈尔滨", "hrb"), ("鞍山", "as")],
        ["东北区", "东北地区", "Northeast China"],
    ),
}
_OVERSEAS = ("海外", ["境外", "Overseas"])


class _Industry(NamedTuple):
    l1: str
    l2: str
    share: float  # of the existing customer base
    core: bool  # our target market: leads from it win more often
    name_words: list[str]  # what companies of the industry put in their names
    synonyms: list[str]  # the client's other spellings (config/industry_taxonomy.yaml must list them)
    favoured: list[str]  # product categories the industry buys most


_INDUSTRIES: list[_Industry] = [
    _Industry(
        "制造业",
        "汽车零部件",
        0.16,
        True,
        ["汽车部件", "汽车零部件", "精密机械", "汽配"],
        ["汽配", "汽车配件", "Automotive parts"],
        ["轴承", "紧固件", "工具耗材"],
    ),
    _Industry(
        "制造业",
        "电子元器件",
        0.12,
        True,
        ["电子", "电子科技", "微电子"],
        ["电子元件", "电子器件", "Electronic components"],
        ["电气元件", "仪器仪表", "工具耗材"],
    ),
    _Industry(
        "制造业",
        "机械设备",
        0.15,
        True,
        ["机械", "机械设备", "重工", "精工"],
        ["机械制造", "设备制造", "Machinery"],
        ["液压件", "轴承", "传动件"],
    ),
    _Industry(
        "制造业",
        "金属制品",
        0.07,
        True,
        ["金属制品", "五金制品", "精密金属"],
        ["五金制品", "金属加工", "Metal products"],
        ["工具耗材", "紧固件"],
    ),
    _Industry(
        "制造业",
        "化工",
        0.05,
        True,
        ["化工", "新材料", "化学"],
        ["化工制造", "化学原料", "Chemicals"],
        ["密封件", "仪器仪表"],
    ),
    _Industry(
        "制造业",
        "食品饮料",
        0.04,
        False,
        ["食品", "饮料", "食品科技"],
        ["食品加工", "食品制造", "Food & beverage"],
        ["传动件", "密封件"],
    ),
    _Industry(
        "建筑业",
        "工程施工",
        0.08,
        True,
        ["建设工程", "建筑工程", "建工"],
        ["建筑施工", "工程建设", "Construction"],
        ["紧固件", "工具耗材", "液压件"],
    ),
    _Industry(
        "建筑业",
        "装饰装修",
        0.03,
        False,
        ["装饰工程", "建筑装饰"],
        ["装修", "家装", "Interior decoration"],
        ["紧固件", "工具耗材"],
    ),
    _Industry(
        "批发零售",
        "建材",
        0.05,
        True,
        ["建材", "建材贸易"],
        ["建材批发", "建材贸易", "Building materials"],
        ["紧固件", "工具耗材"],
    ),
    _Industry(
        "批发零售",
        "五金机电",
        0.07,
        True,
        ["五金机电", "机电设备", "机电"],
        ["五金", "机电批发", "Hardware"],
        ["电气元件", "紧固件", "轴承"],
    ),
    _Industry(
        "服务业",
        "物流",
        0.05,
        False,
        ["物流", "供应链", "运输"],
        ["物流运输", "仓储物流", "Logistics"],
        ["传动件", "轴承"],
    ),
    _Industry(
        "服务业",
        "软件",
        0.03,
        False,
        ["软件", "信息技术", "网络科技"],
        ["软件服务", "IT软件", "IT服务", "Software"],
        ["电气元件", "仪器仪表"],
    ),
    _Industry(
        "医疗健康",
        "医疗器械",
        0.05,
        False,
        ["医疗器械", "医疗科技", "生物医疗"],
        ["医疗设备", "医械", "Medical devices"],
        ["仪器仪表", "电气元件"],
    ),
    _Industry(
        "能源",
        "电力",
        0.05,
        True,
        ["电力", "能源", "新能源"],
        ["电力能源", "发电", "Power generation"],
        ["电气元件", "仪器仪表", "密封件"],
    ),
]

# category -> (product-code prefix, share of order lines, [(item, [specifications], base list price CNY)])
_CATEGORIES: dict[str, tuple[str, float, list[tuple[str, list[str], float]]]] = {
    "液压件": (
        "YY",
        0.11,
        [
            ("液压油缸", ["HSG50/32", "HSG63/45", "HSG80/55", "HSG100/70"], 1600),
            ("齿轮泵", ["CBN-E306", "CBN-E310", "CBN-E316", "CBN-E320"], 600),
            ("电磁换向阀", ["4WE6D", "4WE6E", "4WE6J", "4WE10D"], 450),
            ("溢流阀", ["DBDS6K", "DBDS10K", "DBDS20K"], 300),
            ("液压马达", ["BMR-80", "BMR-160", "BMR-250"], 1300),
            ("高压油管", ["DN10×1m", "DN16×1m", "DN20×1.5m"], 110),
            ("液压油滤芯", ["HX-10×10", "HX-25×10", "HX-63×10"], 60),
        ],
    ),
    "轴承": (
        "ZC",
        0.16,
        [
            ("深沟球轴承", ["6204-2RS", "6205-2RS", "6206-2RS", "6305-ZZ", "6308-ZZ"], 18),
            ("圆锥滚子轴承", ["30205", "30208", "32210", "32312"], 45),
            ("调心滚子轴承", ["22210CA", "22216CA", "22320CA"], 380),
            ("圆柱滚子轴承", ["NU205", "NU308", "NJ2210"], 120),
            ("直线轴承", ["LM16UU", "LM20UU", "LM25UU"], 25),
            ("带座轴承", ["UCP205", "UCP208", "UCF210"], 70),
        ],
    ),
    "电气元件": (
        "DQ",
        0.16,
        [
            ("交流接触器", ["LC1D09", "LC1D18", "LC1D32", "LC1D65"], 120),
            ("小型断路器", ["1P 16A", "2P 32A", "3P 63A"], 35),
            ("中间继电器", ["MY2N 24VDC", "MY4N 220VAC", "RXM2LB2BD"], 22),
            ("变频器", ["0.75kW", "2.2kW", "7.5kW", "15kW"], 1400),
            ("开关电源", ["24V 5A", "24V 10A", "12V 20A"], 160),
            ("按钮开关", ["LA38-11 绿", "LA38-11 红", "XB2-BA31"], 12),
            ("接近开关", ["LJ12A3-4-Z/BX", "LJ18A3-8-Z/BX"], 28),
        ],
    ),
    "紧固件": (
        "JG",
        0.16,
        [
            ("六角头螺栓", ["M8×30 (100只/盒)", "M10×40 (100只/盒)", "M12×50 (50只/盒)", "M16×60 (25只/盒)"], 55),
            ("内六角螺钉", ["M5×16 (100只/盒)", "M6×20 (100只/盒)", "M8×25 (100只/盒)"], 38),
            ("六角螺母", ["M8 (100只/盒)", "M10 (100只/盒)", "M12 (100只/盒)", "M16 (50只/盒)"], 15),
            ("平垫圈", ["Φ8 (500只/盒)", "Φ10 (500只/盒)", "Φ12 (500只/盒)"], 18),
            ("膨胀螺栓", ["M8×80 (50只/盒)", "M10×100 (50只/盒)", "M12×120 (25只/盒)"], 60),
            ("不锈钢自攻螺钉", ["ST4.2×16 (500只/盒)", "ST4.8×25 (500只/盒)"], 45),
        ],
    ),
    "仪器仪表": (
        "YQ",
        0.08,
        [
            ("压力表", ["Y-60 0-1.6MPa", "Y-100 0-2.5MPa", "YN-100 耐震"], 45),
            ("数显温控仪", ["XMTD-2001", "XMTG-7000"], 180),
            ("压力变送器", ["0-1MPa 4-20mA", "0-10MPa 4-20mA"], 650),
            ("电磁流量计", ["DN25", "DN50", "DN100"], 3800),
            ("数字万用表", ["UT33D", "UT61E", "17B+"], 220),
            ("红外测温仪", ["GM320", "GM550"], 150),
            ("游标卡尺", ["0-150mm", "0-300mm"], 90),
        ],
    ),
    "传动件": (
        "CD",
        0.12,
        [
            ("同步带", ["HTD 5M-450", "HTD 8M-800", "T10-1010"], 65),
            ("滚子链", ["08B-1 5m", "10A-1 5m", "16A-1 5m"], 110),
            ("齿轮减速机", ["NMRV040 i=20", "NMRV063 i=30", "R87 i=25"], 1200),
            ("梅花联轴器", ["D40 L55", "D55 L78", "D65 L90"], 85),
            ("链轮", ["08B 17齿", "10A 21齿", "12A 25齿"], 40),
            ("三角带", ["A-1200", "B-1500", "SPB-2000"], 30),
        ],
    ),
    "密封件": (
        "MF",
        0.10,
        [
            ("O型圈", ["20×2.4", "50×3.1", "100×5.7"], 1.5),
            ("骨架油封", ["TC 35×52×7", "TC 50×72×10", "TC 80×100×10"], 8),
            ("机械密封", ["MG1-25", "MG1-35", "560-45"], 280),
            ("密封垫片", ["DN50 石墨", "DN100 四氟", "DN150 缠绕"], 18),
            ("格莱圈", ["GSF 50", "GSF 80"], 35),
            ("生料带", ["12mm×10m", "20mm×15m"], 2.5),
        ],
    ),
    "工具耗材": (
        "GJ",
        0.11,
        [
            ("数控刀片", ["CNMG120408", "WNMG080408", "DCMT11T304"], 28),
            ("砂轮片", ["Φ100×6", "Φ125×6", "Φ180×6"], 6),
            ("麻花钻头", ["Φ6", "Φ8.5", "Φ10", "Φ12"], 12),
            ("不锈钢焊条", ["A102 Φ3.2 5kg", "A302 Φ3.2 5kg"], 260),
            ("劳保手套", ["丁腈浸胶 12双", "棉纱 12双"], 30),
            ("扳手套装", ["32件套", "46件套"], 320),
            ("切削液", ["18L", "200L"], 450),
        ],
    ),
}

# Characters of company brand names, with pinyin for the e-mail domains.
_BRAND = [
    ("华", "hua"),
    ("盛", "sheng"),
    ("鑫", "xin"),
    ("泰", "tai"),
    ("恒", "heng"),
    ("达", "da"),
    ("宏", "hong"),
    ("隆", "long"),
    ("源", "yuan"),
    ("瑞", "rui"),
    ("丰", "feng"),
    ("兴", "xing"),
    ("安", "an"),
    ("金", "jin"),
    ("力", "li"),
    ("新", "xin"),
    ("远", "yuan"),
    ("德", "de"),
    ("通", "tong"),
    ("成", "cheng"),
    ("凯", "kai"),
    ("嘉", "jia"),
    ("威", "wei"),
    ("博", "bo"),
    ("捷", "jie"),
    ("科", "ke"),
    ("锐", "rui"),
    ("信", "xin"),
    ("利", "li"),
    ("永", "yong"),
    ("昌", "chang"),
    ("腾", "teng"),
    ("宇", "yu"),
    ("鼎", "ding"),
    ("正", "zheng"),
    ("启", "qi"),
    ("航", "hang"),
    ("海", "hai"),
    ("联", "lian"),
    ("创", "chuang"),
    ("天", "tian"),
    ("明", "ming"),
    ("光", "guang"),
    ("立", "li"),
    ("汇", "hui"),
    ("富", "fu"),
    ("祥", "xiang"),
    ("川", "chuan"),
    ("铭", "ming"),
    ("峰", "feng"),
    ("晟", "sheng"),
    ("邦", "bang"),
    ("益", "yi"),
    ("朗", "lang"),
    ("欣", "xin"),
    ("众", "zhong"),
    ("合", "he"),
    ("诚", "cheng"),
    ("佳", "jia"),
    ("润", "run"),
]
_SURNAMES = [
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("罗", "luo"),
    ("高", "gao"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
]
_GIVEN = [
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀", "xiu"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂", "gui"),
    ("英", "ying"),
    ("华", "hua"),
    ("建", "jian"),
    ("国", "guo"),
    ("文", "wen"),
    ("斌", "bin"),
    ("鹏", "peng"),
    ("辉", "hui"),
    ("玲", "ling"),
    ("志", "zhi"),
    ("宁", "ning"),
    ("海", "hai"),
    ("春", "chun"),
    ("晓", "xiao"),
]
# Export customers: foreign trading companies.
_EXPORT_CITIES = [
    "Hanoi",
    "Ho Chi Minh",
    "Bangkok",
    "Jakarta",
    "Surabaya",
    "Manila",
    "Kuala Lumpur",
    "Dhaka",
    "Karachi",
    "Dubai",
    "Riyadh",
    "Lagos",
    "Nairobi",
    "Almaty",
    "Tashkent",
    "Lima",
    "Santiago",
]
_EXPORT_BRANDS = [
    "Pacific",
    "Golden Star",
    "Everbright",
    "Sunrise",
    "Lotus",
    "Orient",
    "Harbor",
    "Summit",
    "Crescent",
    "Delta",
    "Silk Road",
    "Jade",
    "Falcon",
    "Horizon",
    "Atlas",
    "Meridian",
]
_EXPORT_TRADES = ["Industrial Supply", "Engineering", "Machinery", "Trading", "Technical Services", "Auto Parts"]
_EXPORT_SUFFIXES = ["Co., Ltd.", "Pte. Ltd.", "Sdn. Bhd.", "JSC", "LLC", "FZE"]
_EXPORT_PEOPLE = [
    ("Minh", "Nguyen"),
    ("Somchai", "Wong"),
    ("Budi", "Santoso"),
    ("Maria", "Santos"),
    ("Ahmad", "Rahman"),
    ("Imran", "Khan"),
    ("Omar", "Haddad"),
    ("Chinedu", "Okafor"),
    ("Aigerim", "Bekova"),
    ("Carlos", "Rojas"),
    ("Linh", "Tran"),
    ("Arif", "Hossain"),
]

_SIZES = ("小型", "中型", "大型")
_DECISION = ("已接触决策人", "仅接触采购", "未接触")
_OUTCOMES = ("赢单", "丢单", "跟进中")
_SOURCES = ("展会", "官网咨询", "老客户推荐", "电话营销", "行业协会", "线上广告")
_STATUS = ("已完成", "已取消", "退货")
_EVENTS = ("login", "webinar", "download")

# --------------------------------------------------------------------------- behaviour parameters
_SEASON = np.array([0.80, 0.55, 1.05, 1.00, 1.00, 1.05, 0.95, 0.95, 1.05, 0.95, 1.10, 1.30])  # Jan..Dec
_SIZE_SHARE = np.array([0.55, 0.32, 0.13])  # company size of the existing base
_P_EXPORT = 0.03  # share of the existing base that are foreign customers ordering in USD
_SIZE_LOG_OFFSET = np.array([-0.8, 0.4, 1.8])  # latent log size by company size
_SIZE_LOG_SD = 1.2  # spread of log size within a company size: sets the Pareto concentration
_ORDERS_PER_MONTH = 0.35  # order rate of a customer of latent size 1
_LINE_VALUE = 1900.0  # CNY per order line of a customer of latent size 1
_GROWTH = 0.04  # yearly growth of the order rate
_PRICE_RISE = 0.02  # yearly list-price increase (standard prices are those at the end date)
_HAZARD = 0.004  # monthly hazard of starting to decline, without recent complaints
_HAZARD_COMPLAINT = 2.5  # log hazard per complaint in the previous three months (at most 3 counted)
_HAZARD_SLOW = 0.8  # log hazard per slow (> 24 h) ticket response in the previous three months
_TICKETS_BASE, _TICKETS_PER_ORDER = 0.06, 0.10  # monthly ticket rate: base + this x sqrt(orders placed)
_P_CANCEL, _P_RETURN = 0.02, 0.02  # per order, per completed line
_P_SURVEY = 0.02  # monthly chance an active customer answers the NPS survey
_NEED = np.array([60_000, 250_000, 1_000_000])  # typical yearly purchase budget by company size (leads)
_PAY_TYPES = ("on_time", "late", "chronic", "bad_payer")
_PAY_SHARE = np.array([0.70, 0.20, 0.07, 0.03])
# Dirt rates.
_P_DUP_LINE, _P_NO_CUSTOMER, _P_TEXT_DATE = 0.005, 0.0006, 0.03
_P_DUP_CUSTOMER, _P_INDUSTRY_VARIANT, _P_LEAD_INDUSTRY_VARIANT, _P_REGION_VARIANT = 0.01, 0.30, 0.20, 0.15
_P_MISSING_NAME, _P_MISSING_PHONE, _P_MISSING_EMAIL = 0.03, 0.04, 0.05

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")  # day 0 of Excel's date serials
_MANUAL_TOP = 150  # a consultant assesses the largest accounts (fewer in a small sample) ...
_MANUAL_TOP_SHARE = 0.19
_MANUAL_OTHERS = 1 / 15  # ... plus a few others per top account, recently won ones preferred
_MANUAL_BLANK = 0.02  # cells left blank: the consultant could not judge
_MANUAL_CUTS = np.array([-0.3, 0.6, 1.5])  # latent factor score -> level 1-4
_MANUAL_CONTEXT = {
    "customer_name": "客户名称 Customer name",
    "company_size": "企业规模 Company size",
    "industry": "行业 Industry",
    "sales_12m": "近12个月销售额 Sales, last 12 months (CNY)",
}


# --------------------------------------------------------------------------- calendar
@dataclass(frozen=True)
class _Calendar:
    """The simulated months; the first and last may be partial."""

    month: np.ndarray  # datetime64[M]
    first: np.ndarray  # datetime64[D]: first simulated day of each month
    last: np.ndarray  # datetime64[D]: last simulated day of each month
    start: np.datetime64
    end: np.datetime64

    @property
    def n(self) -> int:
        return len(self.month)

    @property
    def days(self) -> np.ndarray:
        return (self.last - self.first).astype(int) + 1

    @property
    def coverage(self) -> np.ndarray:
        """Share of each month that is simulated: scales the monthly rates of partial months."""
        full = ((self.month + 1).astype("datetime64[D]") - self.month.astype("datetime64[D]")).astype(int)
        return self.days / full

    @property
    def month_of_year(self) -> np.ndarray:
        return self.month.astype(int) % 12 + 1

    def index_of(self, days: np.ndarray) -> np.ndarray:
        """Month index of each date (dates outside the window are clipped to it)."""
        return np.clip((days.astype("datetime64[M]") - self.month[0]).astype(int), 0, self.n - 1)


def _calendar(start: str, end: str) -> _Calendar:
    """The months from ``start`` to ``end`` (ISO dates)."""
    s = np.datetime64(pd.Timestamp(start).date(), "D")
    e = np.datetime64(pd.Timestamp(end).date(), "D")
    if e <= s:
        raise ValueError(f"end ({end}) must be after start ({start})")
    month = np.arange(s.astype("datetime64[M]"), e.astype("datetime64[M]") + 1)
    first = np.maximum(month.astype("datetime64[D]"), s)
    last = np.minimum((month + 1).astype("datetime64[D]") - 1, e)
    return _Calendar(month=month, first=first, last=last, start=s, end=e)


def _ymd(days: np.ndarray) -> tuple[list[int], list[int], list[int]]:
    """Year, month and day numbers of datetime64[D] values (for text dates)."""
    months = days.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(int) + 1970
    month = months.astype(int) % 12 + 1
    day = (days - months.astype("datetime64[D]")).astype(int) + 1
    return year.tolist(), month.tolist(), day.tolist()


def _yyyymm(months: np.ndarray) -> list[str]:
    """``202301``-style labels of datetime64[M] values (order, ticket and return numbers)."""
    return [str(m).replace("-", "") for m in months]


def _sequential_ids(
    prefix: str, labels: Sequence[str], period: np.ndarray, *keys: np.ndarray, min_width: int = 5
) -> tuple[pa.Array, np.ndarray]:
    """Number items within each period, in the order of ``keys``, as ``prefix + label + zero-padded number``.

    Built with Arrow compute, so millions of ids cost no Python object each.

    Returns
    -------
    ids
        Arrow string array of the ids, in the items' original order.
    rank
        Each item's position in (period, keys) order, for sorting later.
    """
    order = np.lexsort(tuple(reversed(keys)) + (period,))
    p_sorted = period[order]
    seq = np.empty(len(order), dtype=np.int64)
    seq[order] = np.arange(len(order)) - np.searchsorted(p_sorted, p_sorted, side="left") + 1
    width = max(min_width, len(str(int(seq.max())))) if len(seq) else min_width
    number = pc.utf8_lpad(pa.array(seq).cast(pa.large_string()), width=width, padding="0")
    label = pa.array(list(labels), type=pa.large_string()).take(pa.array(period))
    ids = pc.binary_join_element_wise(
        pa.scalar(prefix, pa.large_string()), label, number, pa.scalar("", pa.large_string())
    )  # the last argument is the separator
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return ids, rank


def _take(values: Sequence[str | None] | np.ndarray | pa.Array, index: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[index]`` as a pandas ``str`` array, built in Arrow without a Python object per row.

    Keeps the memory of a table with millions of lines to its Arrow buffers.
    """
    if not isinstance(values, pa.Array):
        values = pa.array(values, type=pa.large_string())
    return pd.array(values.take(pa.array(index)), dtype="str")


def _weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 (1970-01-01 was a Thursday)."""
    return (days.astype(int) + 3) % 7


def _working_day(days: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Move Saturdays to Friday and Sundays to Monday, within the month: B2B orders come on working days."""
    wd = _weekday(days)
    moved = days - (wd == 5).astype(int) + (wd == 6).astype(int)
    return np.clip(moved, first, last)


# --------------------------------------------------------------------------- products
def _products(rng: np.random.Generator) -> pd.DataFrame:
    """The catalogue, ordered by category, with each SKU's popularity within its category."""
    rows = []
    for c, (category, (prefix, _, items)) in enumerate(_CATEGORIES.items()):
        serial = 1001
        for item, specs, base in items:
            for j, spec in enumerate(specs):
                # larger specifications cost more
                price = base * 1.3 ** (j - (len(specs) - 1) / 2)
                rows.append((f"{prefix}{serial}", f"{item} {spec}", category, c, price))
                serial += 1
    df = pd.DataFrame(rows, columns=["product_id", "product_name", "category", "cat", "base"])
    price = df["base"].to_numpy() * rng.lognormal(0.0, 0.12, len(df))
    df["list_price"] = np.where(price >= 100, np.round(price), np.round(price, 2))  # whole yuan above 100
    df["unit_cost"] = np.round(df["list_price"] * (1 - rng.uniform(0.15, 0.45, len(df))), 2)
    df["popularity"] = rng.pareto(1.5, len(df)) + 0.3
    return df.drop(columns="base")


class _ProductPicker:
    """Draws products of given categories by popularity, vectorised.

    The within-category cumulative popularity of category ``c`` is stored as
    ``c + fraction``, so one ``searchsorted`` of ``c + u`` finds the product.
    """

    def __init__(self, products: pd.DataFrame) -> None:
        cat = products["cat"].to_numpy()
        w = products["popularity"].to_numpy()
        cum = np.zeros(len(w))
        for c in np.unique(cat):
            sel = cat == c
            cum[sel] = c + np.cumsum(w[sel]) / w[sel].sum()
        self._cum = cum
        self._last = np.array([np.flatnonzero(cat == c)[-1] for c in range(cat.max() + 1)])

    def pick(self, rng: np.random.Generator, cats: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self._cum, cats + rng.random(len(cats)), side="right")
        return np.minimum(idx, self._last[cats])  # guards the rounding at a category's top end


# --------------------------------------------------------------------------- names and contacts
def _city_table() -> pd.DataFrame:
    """Cities with their region and their share of the domestic customers."""
    rows = []
    for region, (share, cities, _) in _REGIONS.items():
        w = 1 / np.sqrt(np.arange(1, len(cities) + 1))  # the big cities first in each list
        for (name, abbr), wi in zip(cities, w / w.sum()):
            rows.append((name, abbr, region, share * wi))
    return pd.DataFrame(rows, columns=["city", "abbr", "region", "weight"])


def _unique_names(rng: np.random.Generator, n: int, draw, build) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Draw name parts for ``n`` companies, redrawing the parts of duplicates until every name is unique.

    Parameters
    ----------
    draw
        ``draw(rng, k)``: a dict of k-long arrays of name parts.
    build
        ``build(idx, parts)``: the names of items ``idx``.
    """
    parts = draw(rng, n)
    names = np.array(build(np.arange(n), parts), dtype=object)
    dup = pd.Series(names).duplicated().to_numpy()
    while dup.any():
        idx = np.flatnonzero(dup)
        for key, values in draw(rng, len(idx)).items():
            parts[key][idx] = values
        names[idx] = build(idx, parts)
        dup = pd.Series(names).duplicated().to_numpy()
    return names, parts


def _domestic_companies(
    rng: np.random.Generator, industry: np.ndarray, size: np.ndarray, cities: pd.DataFrame
) -> pd.DataFrame:
    """Unique Chinese company names (city + brand + industry word + 有限公司), their region and web domain."""
    n = len(industry)
    city = rng.choice(len(cities), n, p=cities["weight"].to_numpy() / cities["weight"].sum())
    joint_stock = rng.random(n) < 0.08 + 0.25 * (size == 2)  # large companies are more often 股份有限公司
    city_names = cities["city"].tolist()
    words = [ind.name_words for ind in _INDUSTRIES]
    nb = len(_BRAND)

    def draw(r: np.random.Generator, k: int) -> dict[str, np.ndarray]:
        b1 = r.integers(0, nb, k)
        return {"b1": b1, "b2": (b1 + r.integers(1, nb, k)) % nb, "word": r.integers(0, 12, k)}

    def build(idx: np.ndarray, p: dict[str, np.ndarray]) -> list[str]:
        out = []
        for i in idx.tolist():
            w = words[industry[i]]
            out.append(
                f"{city_names[city[i]]}{_BRAND[p['b1'][i]][0]}{_BRAND[p['b2'][i]][0]}"
                f"{w[p['word'][i] % len(w)]}{'股份有限公司' if joint_stock[i] else '有限公司'}"
            )
        return out

    names, parts = _unique_names(rng, n, draw, build)
    tld = np.array([".com", ".com.cn", ".cn"])[rng.choice(3, n, p=[0.5, 0.35, 0.15])]
    abbr = cities["abbr"].to_numpy()[city]
    domain = [
        f"{a}{_BRAND[b1][1]}{_BRAND[b2][1]}{t}"
        for a, b1, b2, t in zip(abbr.tolist(), parts["b1"].tolist(), parts["b2"].tolist(), tld.tolist())
    ]
    return pd.DataFrame({"name": names, "region": cities["region"].to_numpy()[city], "domain": domain})


def _export_companies(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Unique foreign trading companies ("Dubai Falcon Trading FZE") and their web domain."""

    def draw(r: np.random.Generator, k: int) -> dict[str, np.ndarray]:
        return {
            "city": r.integers(0, len(_EXPORT_CITIES), k),
            "brand": r.integers(0, len(_EXPORT_BRANDS), k),
            "trade": r.integers(0, len(_EXPORT_TRADES), k),
            "suffix": r.integers(0, len(_EXPORT_SUFFIXES), k),
        }

    def build(idx: np.ndarray, p: dict[str, np.ndarray]) -> list[str]:
        return [
            f"{_EXPORT_CITIES[p['city'][i]]} {_EXPORT_BRANDS[p['brand'][i]]} {_EXPORT_TRADES[p['trade'][i]]} "
            f"{_EXPORT_SUFFIXES[p['suffix'][i]]}"
            for i in idx.tolist()
        ]

    names, parts = _unique_names(rng, n, draw, build)
    domain = [
        f"{_EXPORT_BRANDS[b].lower().replace(' ', '')}-{_EXPORT_CITIES[c].lower().replace(' ', '')}.com"
        for b, c in zip(parts["brand"].tolist(), parts["city"].tolist())
    ]
    return pd.DataFrame({"name": names, "region": _OVERSEAS[0], "domain": domain})


def _contacts(
    rng: np.random.Generator, export: np.ndarray, domain: Sequence[str]
) -> tuple[list[str], list[str], list[str]]:
    """Contact person, mobile phone (1[3-9] + 9 digits) and e-mail (pinyin local part @ company domain)."""
    n = len(export)
    sur = rng.integers(0, len(_SURNAMES), n)
    g1, g2 = rng.integers(0, len(_GIVEN), n), rng.integers(0, len(_GIVEN), n)
    two_chars = rng.random(n) < 0.6
    style = rng.choice(5, n, p=[0.30, 0.20, 0.15, 0.23, 0.12])
    digits = np.where(rng.random(n) < 0.25, rng.integers(1, 100, n), 0)
    person = rng.integers(0, len(_EXPORT_PEOPLE), n)
    phone = [f"1{a}{b:09d}" for a, b in zip(rng.integers(3, 10, n).tolist(), rng.integers(0, 10**9, n).tolist())]
    names, emails = [], []
    for i in range(n):
        if export[i]:
            first, last = _EXPORT_PEOPLE[person[i]]
            names.append(f"{first} {last}")
            local = f"{first}.{last}".lower() if style[i] < 3 else f"{first[0]}{last}".lower()
        else:
            (sc, sp), (c1, p1), (c2, p2) = _SURNAMES[sur[i]], _GIVEN[g1[i]], _GIVEN[g2[i]]
            given_c, given_p = (c1 + c2, p1 + p2) if two_chars[i] else (c1, p1)
            names.append(sc + given_c)
            initials = p1[0] + (p2[0] if two_chars[i] else "")
            local = (f"{sp}{given_p}", f"{sp}.{given_p}", f"{given_p}.{sp}", f"{sp}{initials}", "purchase")[style[i]]
        emails.append(f"{local}{digits[i] or ''}@{domain[i]}")
    return names, phone, emails


# --------------------------------------------------------------------------- leads and customers
def _leads(rng: np.random.Generator, cal: _Calendar, n_customers: int) -> pd.DataFrame:
    """Leads with the §6 attributes and a logistic won/lost outcome; sorted by creation date."""
    n = max(10, round(0.7 * n_customers))  # about a third are won: ~20% of the customers come from leads
    core = np.array([ind.core for ind in _INDUSTRIES])
    # prospects outside the core market come in more often than they become customers
    w = np.array([ind.share for ind in _INDUSTRIES]) * np.where(core, 1.0, 1.8)
    industry = rng.choice(len(_INDUSTRIES), n, p=w / w.sum())
    size = rng.choice(3, n, p=[0.5, 0.35, 0.15])
    source = rng.choice(len(_SOURCES), n, p=[0.22, 0.25, 0.15, 0.18, 0.08, 0.12])
    # referrals open doors: they reach the decision maker more often
    p_dm = np.where((source == 2)[:, None], [0.50, 0.35, 0.15], [0.28, 0.45, 0.27])
    decision = (rng.random(n)[:, None] > np.cumsum(p_dm, axis=1)).sum(axis=1)
    budget = np.maximum(5000, np.round(_NEED[size] * rng.lognormal(-0.1, 0.6, n), -3))
    adequacy = np.clip(np.log(budget / _NEED[size]), -1.5, 1.5)
    logit = (
        -1.4
        + np.array([-0.3, 0.0, 0.35])[size]
        + 0.9 * core[industry]
        + 1.1 * adequacy
        + np.array([1.3, 0.0, -1.6])[decision]
    )
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    span = int((cal.end - cal.start).astype(int)) + 90
    created = np.sort(cal.start - 90 + rng.integers(0, span + 1, n))
    closed = created + 14 + np.rint(rng.gamma(2.0, 28.0, n)).astype(int)  # sales cycle: ~2 months
    still_open = closed > cal.end
    outcome = np.where(still_open, 2, np.where(won, 0, 1))
    closed = np.where(still_open, np.datetime64("NaT"), closed)
    year = created.astype("datetime64[Y]").astype(int) + 1970
    ids, _ = _sequential_ids("XS", [str(y) for y in range(year.min(), year.max() + 1)], year - year.min(), np.arange(n))
    return pd.DataFrame(
        {
            "lead_id": pd.array(ids, dtype="str"),
            "industry": industry,
            "size": size,
            "source": source,
            "decision": decision,
            "budget": budget.astype(np.int64),
            "created": created,
            "closed": closed,
            "outcome": outcome,
        }
    )


@dataclass
class _Customers:
    """Real customers (existing base first, then won leads), attributes and latent behaviour."""

    ids: np.ndarray
    name: np.ndarray
    industry: np.ndarray
    size: np.ndarray
    region: np.ndarray
    export: np.ndarray
    registered: np.ndarray  # datetime64[D]
    lead: np.ndarray  # row in the leads frame, -1 for the existing base
    start_m: np.ndarray  # first month index with orders
    log_size: np.ndarray
    order_rate: np.ndarray  # orders per month when healthy
    line_value: np.ndarray  # typical CNY per order line
    discount: np.ndarray
    fav: np.ndarray  # (n, 2) favourite product categories
    complaint_prob: np.ndarray
    hazard: np.ndarray  # monthly hazard of starting to decline, without complaints
    decline_months: np.ndarray
    digital: np.ndarray  # web-portal affinity (0 = never logs in)
    webinar: np.ndarray
    pay_type: np.ndarray
    contact: list[str]
    phone: list[str]
    email: list[str]

    @property
    def n(self) -> int:
        return len(self.ids)


def _customers(rng: np.random.Generator, cal: _Calendar, n_customers: int, leads: pd.DataFrame) -> _Customers:
    """The existing base (registered before the start) plus the won leads; fills ``leads['customer']``."""
    won = np.flatnonzero(leads["outcome"].to_numpy() == 0)
    won = won[np.argsort(leads["closed"].to_numpy()[won], kind="stable")]
    n_init = n_customers - len(won)
    n = n_customers

    share = np.array([ind.share for ind in _INDUSTRIES])
    size = np.concatenate([rng.choice(3, n_init, p=_SIZE_SHARE), leads["size"].to_numpy()[won]])
    industry = np.concatenate(
        [rng.choice(len(_INDUSTRIES), n_init, p=share / share.sum()), leads["industry"].to_numpy()[won]]
    )
    export = np.concatenate([rng.random(n_init) < _P_EXPORT, np.zeros(len(won), dtype=bool)])
    registered = np.concatenate(
        [np.sort(cal.start - rng.integers(30, 3650, n_init)), leads["closed"].to_numpy().astype("datetime64[D]")[won]]
    )

    # company names: domestic ones for the base and every lead at once, so all are unique
    domestic = np.flatnonzero(~export[:n_init])
    dom = _domestic_companies(
        rng,
        np.concatenate([industry[domestic], leads["industry"].to_numpy()]),
        np.concatenate([size[domestic], leads["size"].to_numpy()]),
        _city_table(),
    )
    exp = _export_companies(rng, int(export.sum()))
    leads["company"] = dom["name"].to_numpy()[len(domestic) :]
    name = np.empty(n, dtype=object)
    region = np.empty(n, dtype=object)
    domain = np.empty(n, dtype=object)
    for frame, rows in (
        (dom.iloc[: len(domestic)], domestic),
        (exp, np.flatnonzero(export)),
        (dom.iloc[len(domestic) :].iloc[won], np.arange(n_init, n)),
    ):
        name[rows], region[rows], domain[rows] = frame["name"], frame["region"], frame["domain"]
    contact, phone, email = _contacts(rng, export, domain.tolist())

    lead = np.concatenate([np.full(n_init, -1), won])
    width = max(5, len(str(n)))
    ids = np.array([f"C{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
    leads["customer"] = pd.Series(pd.NA, index=leads.index, dtype="object")
    leads.loc[won, "customer"] = ids[n_init:]
    first_month = (registered.astype("datetime64[M]") - cal.month[0]).astype(int) + 1
    start_m = np.where(lead >= 0, np.maximum(first_month, 0), 0)  # won leads order from the month after winning

    log_size = _SIZE_LOG_OFFSET[size] + rng.normal(0.0, _SIZE_LOG_SD, n)
    s = np.exp(log_size)
    cat_index = {c: i for i, c in enumerate(_CATEGORIES)}
    favoured = np.array([[cat_index[c] for c in (ind.favoured * 3)[:3]] for ind in _INDUSTRIES])
    n_favoured = np.array([len(ind.favoured) for ind in _INDUSTRIES])
    # two favourite categories among the industry's 2-3 (6 is a multiple of both, so the pick is uniform)
    fav = favoured[industry[:, None], rng.integers(0, 6, (n, 2)) % n_favoured[industry][:, None]]
    # a second favourite outside the industry's usual categories now and then
    other = rng.random(n) < 0.3
    fav[other, 1] = rng.integers(0, len(_CATEGORIES), int(other.sum()))
    digital = np.where(rng.random(n) < 0.25, 0.0, rng.lognormal(0.0, 0.6, n))
    return _Customers(
        ids=ids,
        name=name,
        industry=industry,
        size=size,
        region=region,
        export=export,
        registered=registered,
        lead=lead,
        start_m=start_m,
        log_size=log_size,
        order_rate=np.clip(_ORDERS_PER_MONTH * np.sqrt(s), 0.04, 12.0),
        line_value=_LINE_VALUE * np.sqrt(s),
        discount=np.clip(0.02 + 0.02 * log_size, 0.0, 0.08),  # big accounts negotiate better prices
        fav=fav,
        complaint_prob=rng.beta(2.0, 11.0, n),
        hazard=_HAZARD * s**-0.3,  # big accounts are stickier
        decline_months=rng.integers(2, 7, n),
        digital=digital,
        webinar=np.where(rng.random(n) < 0.4, 0.12 * digital, 0.0),
        pay_type=rng.choice(len(_PAY_TYPES), n, p=_PAY_SHARE),
        contact=contact,
        phone=phone,
        email=email,
    )


# --------------------------------------------------------------------------- simulation
@dataclass
class _Sim:
    """Raw simulated events (indices into customers/products) and per-customer truth."""

    o_cust: np.ndarray
    o_date: np.ndarray
    o_cancel: np.ndarray
    l_order: np.ndarray
    l_no: np.ndarray
    l_prod: np.ndarray
    l_qty: np.ndarray
    l_price: np.ndarray  # in the customer's currency
    t_cust: np.ndarray
    t_time: np.ndarray
    t_complaint: np.ndarray
    t_hours: np.ndarray
    t_sat: np.ndarray  # NaN = not rated
    s_cust: np.ndarray
    s_time: np.ndarray
    s_score: np.ndarray
    i_cust: np.ndarray
    i_month: np.ndarray
    i_type: np.ndarray
    i_count: np.ndarray
    decline: np.ndarray  # month index, -1 = never
    churn: np.ndarray  # month index of the first month without activity, -1 = not churned within the window
    complaints_3m: np.ndarray  # complaints in the three months before the decline, -1 = no decline
    complaints_total: np.ndarray
    complaints_healthy: np.ndarray
    healthy_months: np.ndarray
    active_months: np.ndarray
    tickets_total: np.ndarray


def _nice_quantity(q: np.ndarray) -> np.ndarray:
    """Round quantities the way people order: 1-19 exact, then multiples of 5, 10, 100."""
    q = np.maximum(1.0, np.rint(q))
    step = np.select([q >= 1000, q >= 100, q >= 20], [100.0, 10.0, 5.0], 1.0)
    return (np.maximum(step, np.rint(q / step) * step)).astype(np.int64)


def _cat(out: dict[str, list[np.ndarray]], key: str, dtype) -> np.ndarray:
    """Concatenate and drop one list of monthly chunks (dropping keeps the peak memory down)."""
    chunks = out.pop(key)
    return np.concatenate(chunks).astype(dtype, copy=False) if chunks else np.array([], dtype=dtype)


def _simulate(rng: np.random.Generator, cal: _Calendar, cust: _Customers, products: pd.DataFrame) -> _Sim:
    """Simulate month by month, vectorised across customers."""
    n = cust.n
    picker = _ProductPicker(products)
    list_price = products["list_price"].to_numpy()
    cat_share = np.array([v[1] for v in _CATEGORIES.values()])
    cat_share = cat_share / cat_share.sum()
    moy, cov, days = cal.month_of_year, cal.coverage, cal.days
    price_index = (1 + _PRICE_RISE) ** ((cal.month - cal.month[-1]).astype(int) / 12)
    trend = (1 + _GROWTH) ** ((cal.month - cal.month[0]).astype(int) / 12)
    # the service team's backlog varies by month; March and December are the busiest
    load = rng.lognormal(0.0, 0.25, cal.n) * np.where(np.isin(moy, [3, 12]), 1.3, 1.0)
    everyone = np.arange(n)

    comp_hist = np.zeros((3, n), np.int64)  # ring buffers over the last three months
    slow_hist = np.zeros((3, n), np.int64)
    sat_sum = np.zeros((3, n))
    sat_cnt = np.zeros((3, n), np.int64)
    decline, churn, comp3 = np.full(n, -1), np.full(n, -1), np.full(n, -1)
    totals = {k: np.zeros(n, np.int64) for k in ("complaints", "healthy_c", "healthy_m", "active", "tickets")}
    out: dict[str, list[np.ndarray]] = {
        k: []
        for k in (
            "oc",
            "od",
            "ox",
            "lo",
            "ln",
            "lp",
            "lq",
            "lr",
            "tc",
            "tt",
            "tx",
            "th",
            "ts",
            "sc",
            "st",
            "ss",
            "ic",
            "im",
            "it",
            "in",
        )
    }
    n_orders = 0

    for m in range(cal.n):
        declining = decline >= 0
        gone = declining & (m - decline >= cust.decline_months)
        churn = np.where(gone & (churn < 0), m, churn)
        alive = (cust.start_m <= m) & ~gone
        # start of a decline: the hazard rises with last quarter's complaints and slow responses
        c3, s3 = comp_hist.sum(0), slow_hist.sum(0)
        hazard = np.minimum(
            cust.hazard * np.exp(_HAZARD_COMPLAINT * np.minimum(c3, 3) + _HAZARD_SLOW * np.minimum(s3, 3)), 0.5
        )
        starts = alive & ~declining & (cust.start_m < m) & (rng.random(n) < hazard * cov[m])
        decline[starts], comp3[starts] = m, c3[starts]
        declining = decline >= 0
        # activity fades linearly over the decline months, then stops
        act = np.where(
            alive, np.where(declining, (cust.decline_months - (m - decline)) / (cust.decline_months + 1), 1.0), 0.0
        )

        # orders and their lines
        n_o = rng.poisson(cust.order_rate * (_SEASON[moy[m] - 1] * trend[m] * cov[m]) * act)
        oc = np.repeat(everyone, n_o)
        od = cal.first[m] + (rng.random(len(oc)) * days[m]).astype(int)
        out["oc"].append(oc)
        out["od"].append(_working_day(od, cal.first[m], cal.last[m]))
        out["ox"].append(rng.random(len(oc)) < _P_CANCEL)
        nl = 1 + np.minimum(rng.poisson(0.8 + 0.25 * np.maximum(cust.log_size[oc], 0.0)), 5)
        lo = np.repeat(np.arange(len(oc)), nl)
        lc = oc[lo]
        u = rng.random(len(lo))
        cat = np.where(
            u < 0.45,
            cust.fav[lc, 0],
            np.where(u < 0.70, cust.fav[lc, 1], rng.choice(len(cat_share), len(lo), p=cat_share)),
        )
        prod = picker.pick(rng, cat)
        # an order lists a product once: redraw repeats from the whole range (rarely, one survives)
        for _ in range(3):
            again = pd.Series(lo * len(list_price) + prod).duplicated().to_numpy()
            if not again.any():
                break
            cat[again] = rng.choice(len(cat_share), int(again.sum()), p=cat_share)
            prod[again] = picker.pick(rng, cat[again])
        price_cny = list_price[prod] * price_index[m] * (1 - cust.discount[lc]) * rng.normal(1.0, 0.01, len(lo))
        out["lo"].append(lo + n_orders)
        out["ln"].append(np.arange(len(lo)) - np.repeat(np.cumsum(nl) - nl, nl) + 1)
        out["lp"].append(prod)
        out["lq"].append(_nice_quantity(cust.line_value[lc] * rng.lognormal(0.0, 0.7, len(lo)) / price_cny))
        out["lr"].append(np.where(cust.export[lc], np.round(price_cny / FX_USD_CNY, 2), np.round(price_cny, 2)))
        n_orders += len(oc)

        # service tickets follow activity; complaints are more likely while a customer is slipping away
        n_t = rng.poisson((_TICKETS_BASE + _TICKETS_PER_ORDER * np.sqrt(n_o)) * cov[m] * alive)
        tc = np.repeat(everyone, n_t)
        k = len(tc)
        complaint = rng.random(k) < cust.complaint_prob[tc] * np.where(declining[tc], 1.6, 1.0)
        hours = np.maximum(
            0.1, np.round(rng.lognormal(np.log(5.0), 0.9, k) * load[m] * np.where(complaint, 1.6, 1.0), 1)
        )
        slow = hours > 24
        sat = np.clip(np.rint(4.5 - 1.5 * complaint - 0.8 * slow - 0.5 * declining[tc] + rng.normal(0, 0.7, k)), 1, 5)
        sat[rng.random(k) > 0.78] = np.nan  # many tickets are never rated
        out["tc"].append(tc)
        out["tt"].append(
            cal.first[m].astype("datetime64[s]")
            + (rng.random(k) * days[m]).astype(np.int64) * 86400
            + rng.integers(8 * 3600, 20 * 3600, k)
        )
        out["tx"].append(complaint)
        out["th"].append(hours)
        out["ts"].append(sat)
        slot = m % 3
        comp_m = np.bincount(tc[complaint], minlength=n)
        comp_hist[slot] = comp_m
        slow_hist[slot] = np.bincount(tc[slow], minlength=n)
        rated = ~np.isnan(sat)
        sat_sum[slot] = np.bincount(tc[rated], weights=sat[rated], minlength=n)
        sat_cnt[slot] = np.bincount(tc[rated], minlength=n)
        totals["complaints"] += comp_m
        totals["healthy_c"] += comp_m * ~declining
        totals["healthy_m"] += alive & ~declining
        totals["active"] += alive
        totals["tickets"] += n_t

        # NPS answers reflect recent satisfaction, complaints and decline
        resp = np.flatnonzero(alive & (rng.random(n) < _P_SURVEY * cov[m]))
        cnt = sat_cnt[:, resp].sum(0)
        mean_sat = np.where(cnt > 0, sat_sum[:, resp].sum(0) / np.maximum(cnt, 1), 4.2)
        score = (
            7.8
            + 0.9 * (mean_sat - 4.2)
            - 0.7 * np.minimum(comp_hist[:, resp].sum(0), 3)
            - 2.5 * declining[resp]
            + rng.normal(0.0, 1.5, len(resp))
        )
        out["sc"].append(resp)
        out["st"].append(
            cal.first[m].astype("datetime64[s]")
            + (rng.random(len(resp)) * days[m]).astype(np.int64) * 86400
            + rng.integers(7 * 3600, 23 * 3600, len(resp))
        )
        out["ss"].append(np.clip(np.rint(score), 0, 10).astype(np.int64))

        # web-portal activity, aggregated per month
        for t, rate in enumerate((cust.digital * 4.0, cust.webinar, cust.digital * 0.6)):
            counts = rng.poisson(rate * act * cov[m])
            idx = np.flatnonzero(counts)
            out["ic"].append(idx)
            out["im"].append(np.full(len(idx), m))
            out["it"].append(np.full(len(idx), t))
            out["in"].append(counts[idx])

    return _Sim(
        o_cust=_cat(out, "oc", np.int64),
        o_date=_cat(out, "od", "datetime64[D]"),
        o_cancel=_cat(out, "ox", bool),
        l_order=_cat(out, "lo", np.int64),
        l_no=_cat(out, "ln", np.int64),
        l_prod=_cat(out, "lp", np.int64),
        l_qty=_cat(out, "lq", np.int64),
        l_price=_cat(out, "lr", float),
        t_cust=_cat(out, "tc", np.int64),
        t_time=_cat(out, "tt", "datetime64[s]"),
        t_complaint=_cat(out, "tx", bool),
        t_hours=_cat(out, "th", float),
        t_sat=_cat(out, "ts", float),
        s_cust=_cat(out, "sc", np.int64),
        s_time=_cat(out, "st", "datetime64[s]"),
        s_score=_cat(out, "ss", np.int64),
        i_cust=_cat(out, "ic", np.int64),
        i_month=_cat(out, "im", np.int64),
        i_type=_cat(out, "it", np.int64),
        i_count=_cat(out, "in", np.int64),
        decline=decline,
        churn=churn,
        complaints_3m=comp3,
        complaints_total=totals["complaints"],
        complaints_healthy=totals["healthy_c"],
        healthy_months=totals["healthy_m"],
        active_months=totals["active"],
        tickets_total=totals["tickets"],
    )


# --------------------------------------------------------------------------- tables as the client exports them
def _text_dates(days: np.ndarray, style: np.ndarray) -> list[str]:
    """Dates as people type them: 0 = 2021-03-05, 1 = 2021/3/5, 2 = 2021年3月5日, 3 = 2021/03/05."""
    patterns = ("{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}年{m}月{d}日", "{y}/{m:02d}/{d:02d}")
    ys, ms, ds = _ymd(days)
    return [patterns[s].format(y=y, m=m, d=d) for y, m, d, s in zip(ys, ms, ds, style.tolist())]


def _industry_spellings(rng: np.random.Generator, industry: np.ndarray, p_variant: float) -> list[str]:
    """Standard ``level1-level2`` text, or (with probability ``p_variant``) one of the client's variants."""
    variant = rng.random(len(industry)) < p_variant
    pick = rng.integers(0, 1000, len(industry))
    out = []
    for i, v, k in zip(industry.tolist(), variant.tolist(), pick.tolist()):
        ind = _INDUSTRIES[i]
        if v:
            options = [f"{ind.l1}/{ind.l2}", f"{ind.l1} - {ind.l2}", f"{ind.l1}_{ind.l2}", ind.l2, *ind.synonyms]
            out.append(options[k % len(options)])
        else:
            out.append(f"{ind.l1}-{ind.l2}")
    return out


def _customers_table(rng: np.random.Generator, cust: _Customers) -> pd.DataFrame:
    """The CRM export: variant spellings, mixed date formats, missing contacts, duplicate records, a test account."""
    n = cust.n
    variants = {std: syns for std, (_, _, syns) in _REGIONS.items()} | {_OVERSEAS[0]: _OVERSEAS[1]}
    use_variant = rng.random(n) < _P_REGION_VARIANT
    pick = rng.integers(0, 1000, n)
    region = [
        variants[r][k % len(variants[r])] if v else r
        for r, v, k in zip(cust.region.tolist(), use_variant.tolist(), pick.tolist())
    ]
    date_style = rng.choice(3, n, p=[0.60, 0.25, 0.15])

    def blank_some(values: list[str], p: float) -> list[str | None]:
        missing = rng.random(n) < p
        return [None if miss else v for v, miss in zip(values, missing.tolist())]

    df = pd.DataFrame(
        {
            "客户编号": cust.ids,
            "客户名称": cust.name,
            "所属行业": _industry_spellings(rng, cust.industry, _P_INDUSTRY_VARIANT),
            "所在区域": region,
            "企业规模": np.array(_SIZES, dtype=object)[cust.size],
            "注册日期": _text_dates(cust.registered, date_style),
            "联系人": blank_some(cust.contact, _P_MISSING_NAME),
            "联系电话": blank_some(cust.phone, _P_MISSING_PHONE),
            "电子邮箱": blank_some(cust.email, _P_MISSING_EMAIL),
        }
    )
    # duplicate records: the same customer entered twice, half of them with a newer phone number
    dup = np.flatnonzero(rng.random(n) < _P_DUP_CUSTOMER)
    copies = df.iloc[dup].copy()
    newer = rng.random(len(dup)) < 0.5
    copies.loc[newer, "联系电话"] = [
        f"1{a}{b:09d}"
        for a, b in zip(
            rng.integers(3, 10, int(newer.sum())).tolist(), rng.integers(0, 10**9, int(newer.sum())).tolist()
        )
    ]
    test = pd.DataFrame(
        [
            {
                "客户编号": TEST_ACCOUNT,
                "客户名称": "测试客户-内部",
                "所属行业": None,
                "所在区域": "华东",
                "企业规模": "小型",
                "注册日期": "2022-06-01",
                "联系人": "系统测试",
                "联系电话": "13800000000",
                "电子邮箱": "erp-test@example.com",
            }
        ]
    )
    order = np.argsort(np.concatenate([np.arange(n), dup]), kind="stable")  # each copy right after its original
    return pd.concat([pd.concat([df, copies]).iloc[order], test], ignore_index=True)


def _products_table(products: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "产品编码": products["product_id"],
            "产品名称": products["product_name"],
            "产品类别": products["category"],
            "标准单价": products["list_price"],
            "单位成本": products["unit_cost"],
        }
    )


@dataclass
class _Orders:
    """What payments and the truth need from the order export."""

    order_ids: pa.Array  # per simulated order
    order_rank: np.ndarray  # position in the export's date order
    amount: np.ndarray  # per simulated order, in the customer's currency
    returned: np.ndarray  # per customer: value of returned goods, in the customer's currency


def _orders_table(
    rng: np.random.Generator, cal: _Calendar, cust: _Customers, sim: _Sim, products: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray, _Orders]:
    """Order lines with returns, cancellations and the planted dirt, sorted by date.

    Returns
    -------
    table
        The export's columns, with native dates.
    date_style
        Per row: 0 = a real Excel date, 1/2 = typed as text (2024/03/05, 2024年3月5日).
    orders
        Per simulated order: id, rank and amount; per customer: returned value.
    """
    n, n_ord = cust.n, len(sim.o_cust)
    # the internal test account places a handful of small orders
    k_test = 6
    t_lines = rng.integers(1, 3, k_test)
    o_cust = np.concatenate([sim.o_cust, np.full(k_test, n)])
    o_date = np.concatenate(
        [sim.o_date, np.sort(cal.start + rng.integers(0, int((cal.end - cal.start).astype(int)) + 1, k_test))]
    )
    o_cancel = np.concatenate([sim.o_cancel, np.zeros(k_test, bool)])
    n_test_lines = int(t_lines.sum())
    test_prod = rng.integers(0, len(products), n_test_lines)
    l_order = np.concatenate([sim.l_order, n_ord + np.repeat(np.arange(k_test), t_lines)])
    l_no = np.concatenate([sim.l_no, np.arange(n_test_lines) - np.repeat(np.cumsum(t_lines) - t_lines, t_lines) + 1])
    l_prod = np.concatenate([sim.l_prod, test_prod])
    l_qty = np.concatenate([sim.l_qty, rng.integers(1, 4, n_test_lines)])
    l_price = np.concatenate([sim.l_price, products["list_price"].to_numpy()[test_prod]])
    ids_all = np.concatenate([cust.ids, [TEST_ACCOUNT]])
    export = np.concatenate([cust.export, [False]])

    labels = _yyyymm(cal.month)
    o_ids, o_rank = _sequential_ids("SO", labels, cal.index_of(o_date), o_date.astype(np.int64), o_cust, min_width=6)

    # returns: some completed lines come back 5-60 days later under their own TH order number
    ret = ~o_cancel[l_order] & (rng.random(len(l_order)) < _P_RETURN) & (l_order < n_ord)
    delay = rng.integers(5, 61, len(o_cust))  # one return trip per original order
    r_line = np.flatnonzero(ret)
    r_line = r_line[o_date[l_order[r_line]] + delay[l_order[r_line]] <= cal.end]
    r_orig = l_order[r_line]
    groups, r_group = np.unique(r_orig, return_inverse=True)
    g_date = o_date[groups] + delay[groups]
    g_ids, g_rank = _sequential_ids(
        "TH", labels, cal.index_of(g_date), g_date.astype(np.int64), o_rank[groups], min_width=6
    )
    by_group = np.lexsort((l_no[r_line], r_group))
    r_no = np.empty(len(r_line), np.int64)
    r_no[by_group] = np.arange(len(r_line)) - np.searchsorted(r_group[by_group], r_group[by_group]) + 1
    full = rng.random(len(r_line)) < 0.6
    r_qty = -np.where(full, l_qty[r_line], np.maximum(1, np.ceil(l_qty[r_line] * rng.uniform(0.1, 0.9, len(r_line)))))
    r_qty = r_qty.astype(np.int64)

    # all lines (sales, then returns), sorted by date, sales before returns, then order number and line;
    # `sel` picks the export's rows from that concatenation, so each column is gathered once
    cust_idx = np.concatenate([o_cust[l_order], o_cust[r_orig]])
    status = np.concatenate([np.where(o_cancel[l_order], 1, 0), np.full(len(r_line), 2)]).astype(np.int8)
    days = np.concatenate([o_date[l_order], g_date[r_group]])
    line_no = np.concatenate([l_no, r_no])
    order = np.lexsort(
        (line_no, np.concatenate([o_rank[l_order], g_rank[r_group]]), status == 2, days.astype(np.int64))
    )

    # dirt: a few lines without customer, some orders typed in with text dates, lines synced twice
    candidates = np.flatnonzero((status == 0) & (cust_idx < n))
    k_missing = min(len(candidates), max(3, round(_P_NO_CUSTOMER * len(status))))
    customer = cust_idx.copy()
    customer[rng.choice(candidates, k_missing, replace=False)] = len(ids_all)  # -> None
    text_style = np.where(rng.random(len(o_cust)) < _P_TEXT_DATE, rng.integers(1, 3, len(o_cust)), 0)
    date_style = np.concatenate([text_style[l_order], np.zeros(len(r_line), np.int64)])
    sel = order[np.sort(np.concatenate([np.arange(len(order)), np.flatnonzero(rng.random(len(order)) < _P_DUP_LINE)]))]

    table = pd.DataFrame(
        {
            "订单号": _take(pa.concat_arrays([o_ids, g_ids]), np.concatenate([l_order, len(o_ids) + r_group])[sel]),
            "行号": line_no[sel],
            "客户编号": _take([*ids_all, None], customer[sel]),
            "下单日期": days[sel].astype("datetime64[s]"),
            "产品编码": _take(products["product_id"].to_numpy(), np.concatenate([l_prod, l_prod[r_line]])[sel]),
            "数量": np.concatenate([l_qty, r_qty])[sel],
            "单价": np.concatenate([l_price, l_price[r_line]])[sel],
            "币种": _take(["CNY", "USD"], export[cust_idx[sel]].astype(np.int64)),
            "订单状态": _take(_STATUS, status[sel]),
        }
    )
    amount = np.bincount(l_order, weights=l_qty * l_price, minlength=len(o_cust))
    returned = np.bincount(o_cust[r_orig], weights=-r_qty * l_price[r_line], minlength=n + 1)[:n]
    return (
        table,
        date_style[sel],
        _Orders(order_ids=o_ids.slice(0, n_ord), order_rank=o_rank[:n_ord], amount=amount[:n_ord], returned=returned),
    )


def _payments_table(
    rng: np.random.Generator, cal: _Calendar, cust: _Customers, sim: _Sim, orders: _Orders
) -> pd.DataFrame:
    """One invoice (in CNY) per completed order, due after 30 days, paid per the customer's habits."""
    inv = np.flatnonzero(~sim.o_cancel)
    oc = sim.o_cust[inv]
    k = len(inv)
    issued = sim.o_date[inv] + rng.integers(0, 4, k)  # invoiced when shipped
    due = issued + 30
    pt = cust.pay_type[oc]
    delay = np.select(
        [pt == 0, pt == 1, pt == 2],
        [
            np.clip(np.rint(rng.normal(-3.0, 4.0, k)), -25, 3),
            np.rint(rng.gamma(2.0, 10.0, k)),
            30 + np.rint(rng.gamma(2.0, 30.0, k)),
        ],
        60 + np.rint(rng.gamma(2.0, 40.0, k)),
    ).astype(np.int64)
    paid = np.maximum(due + delay, issued)
    never = (pt == 3) & (rng.random(k) < 0.45)
    paid = np.where(never | (paid > cal.end), np.datetime64("NaT"), paid)
    year = issued.astype("datetime64[Y]").astype(int) + 1970
    ids, rank = _sequential_ids(
        "FP",
        [str(y) for y in range(year.min(), year.max() + 1)] if k else [],
        year - (year.min() if k else 0),
        issued.astype(np.int64),
        orders.order_rank[inv],
        min_width=6,
    )
    fx = np.where(cust.export[oc], FX_USD_CNY, 1.0)
    order = np.argsort(rank)
    return pd.DataFrame(
        {
            "发票号": _take(ids, order),
            "订单号": _take(orders.order_ids, inv[order]),
            "客户编号": _take(cust.ids, oc[order]),
            "到期日": due[order].astype("datetime64[s]"),
            "付款日期": paid[order].astype("datetime64[s]"),
            "金额": np.round(orders.amount[inv] * fx, 2)[order],
        }
    )


def _tickets_table(cal: _Calendar, cust: _Customers, sim: _Sim) -> pd.DataFrame:
    month = cal.index_of(sim.t_time.astype("datetime64[D]"))
    ids, rank = _sequential_ids("GD", _yyyymm(cal.month), month, sim.t_time.astype(np.int64), sim.t_cust)
    order = np.argsort(rank)
    return pd.DataFrame(
        {
            "工单号": _take(ids, order),
            "客户编号": _take(cust.ids, sim.t_cust[order]),
            "创建时间": sim.t_time[order],
            "是否投诉": np.where(sim.t_complaint, "是", "否")[order],
            "响应时长(小时)": sim.t_hours[order],
            "满意度": pd.array(sim.t_sat[order], dtype="Int64"),
        }
    )


def _surveys_table(cust: _Customers, sim: _Sim) -> pd.DataFrame:
    order = np.lexsort((sim.s_cust, sim.s_time))
    return pd.DataFrame(
        {
            "Customer ID": _take(cust.ids, sim.s_cust[order]),
            "Response Date": sim.s_time[order],
            "Score (0-10)": sim.s_score[order],
        }
    )


def _interactions_table(cal: _Calendar, cust: _Customers, sim: _Sim) -> pd.DataFrame:
    order = np.lexsort((sim.i_type, sim.i_cust, sim.i_month))
    return pd.DataFrame(
        {
            "customer_id": _take(cust.ids, sim.i_cust[order]),
            "month": _take([f"{m}-01" for m in cal.month], sim.i_month[order]),
            "event_type": _take(_EVENTS, sim.i_type[order]),
            "count": sim.i_count[order],
        }
    )


def _leads_table(rng: np.random.Generator, leads: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "线索编号": leads["lead_id"],
            "公司名称": leads["company"],
            "行业": _industry_spellings(rng, leads["industry"].to_numpy(), _P_LEAD_INDUSTRY_VARIANT),
            "企业规模": np.array(_SIZES, dtype=object)[leads["size"].to_numpy()],
            "预算金额": leads["budget"],
            "决策人接触": np.array(_DECISION, dtype=object)[leads["decision"].to_numpy()],
            "来源": np.array(_SOURCES, dtype=object)[leads["source"].to_numpy()],
            "创建日期": leads["created"].astype("datetime64[s]"),
            "关闭日期": leads["closed"].astype("datetime64[s]"),
            "结果": np.array(_OUTCOMES, dtype=object)[leads["outcome"].to_numpy()],
            "客户编号": leads["customer"],
        }
    )


def _truth_table(cal: _Calendar, cust: _Customers, sim: _Sim, orders: _Orders, leads: pd.DataFrame) -> pd.DataFrame:
    """The generator's hidden truth per customer, for tests and model checks (not part of the mapping)."""
    n = cust.n

    def month(idx: np.ndarray) -> pd.Series:
        return pd.Series(
            np.where(idx >= 0, cal.month[np.clip(idx, 0, cal.n - 1)], np.datetime64("NaT")), dtype="datetime64[s]"
        )

    done = ~sim.o_cancel
    fx = np.where(cust.export, FX_USD_CNY, 1.0)
    sales = np.bincount(sim.o_cust[done], weights=orders.amount[done], minlength=n)
    return pd.DataFrame(
        {
            "customer_id": cust.ids,
            "source": np.where(cust.lead >= 0, "lead", "existing"),
            "lead_id": pd.array(
                np.where(cust.lead >= 0, leads["lead_id"].to_numpy()[np.maximum(cust.lead, 0)], None), dtype="string"
            ),
            "industry": [f"{_INDUSTRIES[i].l1}-{_INDUSTRIES[i].l2}" for i in cust.industry.tolist()],
            "region": cust.region,
            "company_size": np.array(_SIZES, dtype=object)[cust.size],
            "is_export": cust.export,
            "latent_size": np.exp(cust.log_size),
            "order_rate": cust.order_rate,
            "complaint_prob": cust.complaint_prob,
            "pay_type": np.array(_PAY_TYPES, dtype=object)[cust.pay_type],
            "first_active_month": month(np.where(cust.start_m < cal.n, cust.start_m, -1)),
            "decline_start_month": month(sim.decline),
            "decline_months": cust.decline_months,
            "churn_month": month(sim.churn),
            "complaints_3m_before_decline": pd.array(
                np.where(sim.complaints_3m >= 0, sim.complaints_3m, None), dtype="Int64"
            ),
            "complaints_total": sim.complaints_total,
            "complaints_before_decline": sim.complaints_healthy,
            "healthy_months": sim.healthy_months,
            "active_months": sim.active_months,
            "tickets_total": sim.tickets_total,
            "orders_total": np.bincount(sim.o_cust[done], minlength=n),
            "revenue_cny": np.round((sales - orders.returned) * fx, 2),
        }
    )


def _manual_sheet(
    rng: np.random.Generator, cal: _Calendar, cust: _Customers, sim: _Sim, orders: _Orders, scorecard: Scorecard
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The customers a consultant assesses (with context columns) and their manual levels.

    Each manual factor gets a latent score from the customer's size, company
    size, market fit, tenure, complaint propensity, decline and origin (won
    lead), plus noise; fixed cuts turn it into a level, so the largest healthy
    customers in the core market tend to get 3-4 and small ones 1-2.
    """
    n = cust.n
    z = (cust.log_size - cust.log_size.mean()) / cust.log_size.std()
    core = np.array([ind.core for ind in _INDUSTRIES])[cust.industry].astype(float)
    company = cust.size - 1.0  # -1 small, 0 medium, 1 large
    tenure = (cal.end - cust.registered).astype(int) / 365.25
    declining = (sim.decline >= 0).astype(float)
    won = (cust.lead >= 0).astype(float)

    alive = np.flatnonzero((sim.churn < 0) & (cust.start_m < cal.n))
    k_top = min(len(alive), _MANUAL_TOP, max(10, round(_MANUAL_TOP_SHARE * n)))
    top = alive[np.argsort(-cust.log_size[alive], kind="stable")[:k_top]]
    rest = np.setdiff1d(alive, top)
    k_other = min(len(rest), max(3, round(k_top * _MANUAL_OTHERS)))
    weight = np.where(won[rest] > 0, 3.0, 1.0)
    others = np.sort(rng.choice(rest, k_other, replace=False, p=weight / weight.sum()))
    pick = np.concatenate([top, others])
    # Only customers who bought by the end date are graded, so only they can be on the sheet (a customer who
    # registered and never ordered would be an unknown id to the scorecard).
    bought = np.bincount(sim.o_cust[~sim.o_cancel & (sim.o_date <= cal.end)], minlength=n) > 0
    pick = pick[bought[pick]]

    latent = {
        "product_importance": 0.5 * z + 0.6 * core - 0.3,
        "industry_standing": 0.6 * z + 0.5 * company,
        "share_of_wallet": 0.4 * z - 3.0 * (cust.complaint_prob - 0.15) - 0.8 * declining,
        "relationship_depth": 0.5 * z + 0.12 * tenure - 0.5,
        "prospects": 0.3 * z + 0.8 * won - 1.0 * declining + 0.4 * core,
        "loss_impact": 0.7 * z + 0.3 * company,
        "strategic_fit": 0.3 * z + 0.8 * core - 0.2,
    }
    levels = {}
    for factor in scorecard.factors:
        if factor.source != "manual":
            continue
        score = latent.get(factor.key, 0.5 * z)[pick] + rng.normal(0.0, 0.8, len(pick))
        level = 1 + (score[:, None] > _MANUAL_CUTS).sum(axis=1)
        levels[factor.key] = pd.array(np.where(rng.random(len(pick)) < _MANUAL_BLANK, None, level), dtype="Int64")
    ids = pd.Index(cust.ids[pick], name="customer_id")

    recent = ~sim.o_cancel & (sim.o_date > cal.end - 365)
    fx = np.where(cust.export, FX_USD_CNY, 1.0)
    sales = np.bincount(sim.o_cust[recent], weights=orders.amount[recent], minlength=n) * fx
    context = pd.DataFrame(
        {
            "customer_name": cust.name[pick],
            "company_size": np.array(_SIZES, dtype=object)[cust.size[pick]],
            "industry": [f"{_INDUSTRIES[i].l1}-{_INDUSTRIES[i].l2}" for i in cust.industry[pick].tolist()],
            "sales_12m": np.round(sales[pick], 0),
        },
        index=ids,
    )
    return context, pd.DataFrame(levels, index=ids)


# --------------------------------------------------------------------------- writing
def _write_csv(df: pd.DataFrame, path: Path, date_format: str = "%Y-%m-%d") -> None:
    # UTF-8 with BOM: what Excel on a Chinese Windows writes, and what it needs to open the file correctly
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n", date_format=date_format)


def _cells(values: pd.Series) -> list[object]:
    """Python values for xlsxwriter: dates as Excel serial numbers, missing values as None (a blank cell)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        values = (values - pd.Timestamp(_EXCEL_EPOCH)) / pd.Timedelta(days=1)
    return values.astype(object).where(values.notna(), None).tolist()


def _write_xlsx(path: Path, sheets: dict[str, pd.DataFrame], formats: dict[str, str]) -> None:
    """Write sheets with xlsxwriter; ``formats`` gives a number format per column (dates need one)."""
    wb = open_workbook(path, created=XLSX_CREATED, author="ERP export")
    cells = Cells(wb)
    for sheet, df in sheets.items():
        ws = wb.add_worksheet(sheet)
        ws.set_column(0, len(df.columns) - 1, 14)
        cells.write_row(ws, 0, 0, list(df.columns))
        for j, col in enumerate(df.columns):
            cells.write_column(ws, 1, j, _cells(df[col]), {"num_format": formats[col]} if col in formats else None)
    wb.close()


def _orders_sheets(table: pd.DataFrame, date_style: np.ndarray) -> dict[str, pd.DataFrame]:
    """One sheet per calendar year; typed-in orders keep their date as text in the cell."""
    days = table["下单日期"].to_numpy().astype("datetime64[D]")
    serial = (days - _EXCEL_EPOCH).astype(np.int64).astype(float).astype(object)
    typed = date_style > 0
    # style 1 -> 2024/03/05, style 2 -> 2024年3月5日 (codes 3 and 2 of _text_dates)
    serial[typed] = _text_dates(days[typed], np.where(date_style[typed] == 1, 3, 2))
    cells = table.assign(下单日期=pd.Series(serial, index=table.index, dtype=object))
    year = days.astype("datetime64[Y]").astype(int) + 1970
    return {str(y): cells[year == y] for y in np.unique(year)}


def _write(table: str, df: pd.DataFrame, out_dir: Path, fmt: Format, date_style: np.ndarray | None = None) -> Path:
    """Write one table in the format a client would send it; returns the file."""
    excel_name, parquet_name = _FILES[table]
    path = out_dir / (excel_name if fmt == "excel" else parquet_name)
    # the mapping lists both names: a stale file of the other format would be read too
    (out_dir / (parquet_name if fmt == "excel" else excel_name)).unlink(missing_ok=True)
    if fmt == "parquet":
        df.to_parquet(path, index=False)
    elif table == "orders":
        _write_xlsx(path, _orders_sheets(df, date_style), {"下单日期": "yyyy-mm-dd"})
    elif table == "tickets":
        _write_xlsx(path, {"工单": df}, {"创建时间": "yyyy-mm-dd hh:mm"})
    elif table == "leads":
        _write_xlsx(path, {"线索": df}, {"创建日期": "yyyy-mm-dd", "关闭日期": "yyyy-mm-dd"})
    else:
        _write_csv(df, path, "%Y-%m-%d %H:%M:%S" if table == "surveys" else "%Y-%m-%d")
    return path


# --------------------------------------------------------------------------- public API
def generate(
    out_dir: Path,
    n_customers: int = 800,
    seed: int = 42,
    fmt: Format = "excel",
    start: str = "2023-01-01",
    end: str = "2025-12-31",
    scorecard: Scorecard | None = None,
) -> dict[str, Path]:
    """Write a complete sample client dataset into ``out_dir``.

    Parameters
    ----------
    out_dir
        Target folder (created if needed). Files of the other format with the
        same names are removed, so the mapping never finds both.
    n_customers
        Real customers in ``customers.csv``: the existing base plus the won
        leads (the test account and duplicate records come on top).
    seed
        Seed of the random generator; the same arguments give byte-identical files.
    fmt
        ``excel``: CSV and Excel files as a client sends them; ``parquet``: the
        same tables and column names as Parquet (for benchmarks with millions
        of lines; order dates are then all native dates).
    start, end
        First and last day of the order history (ISO dates).
    scorecard
        The scorecard whose manual factors the consultant's sheet holds; None:
        the project's ``config/scorecard.yaml``.

    Returns
    -------
    dict[str, Path]
        Canonical table name (``customers``, ``products``, ``orders``,
        ``payments``, ``tickets``, ``surveys``, ``interactions``, ``leads``)
        -> file written, plus ``truth`` -> the hidden truth per customer and
        ``manual`` -> the consultant's scorecard sheet
        (``manual/scorecard_<quarter of end>.xlsx``, in both formats).

    Raises
    ------
    ValueError
        Fewer than 20 customers, an unknown format, or ``end`` not after ``start``.
    """
    if n_customers < 20:
        raise ValueError(f"n_customers must be at least 20, got {n_customers}")
    if fmt not in ("excel", "parquet"):
        raise ValueError(f"fmt must be 'excel' or 'parquet', got {fmt!r}")
    cal = _calendar(start, end)
    rng = np.random.default_rng(seed)
    out_dir = Path(out_dir)
    (out_dir / TRUTH_FILE.parent).mkdir(parents=True, exist_ok=True)

    products = _products(rng)
    leads = _leads(rng, cal, n_customers)
    cust = _customers(rng, cal, n_customers, leads)
    sim = _simulate(rng, cal, cust, products)
    # each table is written as soon as it is built, so only one big table is in memory at a time
    table, date_style, orders = _orders_table(rng, cal, cust, sim, products)
    written = {"orders": _write("orders", table, out_dir, fmt, date_style)}
    del table, date_style
    written["customers"] = _write("customers", _customers_table(rng, cust), out_dir, fmt)
    written["products"] = _write("products", _products_table(products), out_dir, fmt)
    written["payments"] = _write("payments", _payments_table(rng, cal, cust, sim, orders), out_dir, fmt)
    written["tickets"] = _write("tickets", _tickets_table(cal, cust, sim), out_dir, fmt)
    written["surveys"] = _write("surveys", _surveys_table(cust, sim), out_dir, fmt)
    written["interactions"] = _write("interactions", _interactions_table(cal, cust, sim), out_dir, fmt)
    written["leads"] = _write("leads", _leads_table(rng, leads), out_dir, fmt)
    written["truth"] = out_dir / TRUTH_FILE
    _truth_table(cal, cust, sim, orders, leads).to_parquet(written["truth"], index=False)
    # the consultant's sheet draws from its own stream, so it never shifts the exports above
    scorecard = scorecard if scorecard is not None else load_scorecard(_PROJECT_CONFIG)
    context, levels = _manual_sheet(np.random.default_rng([seed, 1]), cal, cust, sim, orders, scorecard)
    period = latest_period(pd.Series([pd.Timestamp(cal.end)]), "quarter").label
    written["manual"] = write_manual_template(
        out_dir / MANUAL_DIR / manual_file_name(period),
        context,
        scorecard,
        period_label=period,
        existing=levels,
        context_columns=_MANUAL_CONTEXT,
    )
    return {table: written[table] for table in (*_FILES, "truth", "manual")}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m helpers.sample_data --out DIR [--customers N] [--seed S] [--format F]``."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.sample_data",
        description="Write deterministic sample client exports (a Chinese B2B distributor).",
    )
    parser.add_argument("--out", required=True, type=Path, help="target folder")
    parser.add_argument("--customers", type=int, default=800, help="number of real customers (default 800)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--format",
        choices=["excel", "parquet"],
        default="excel",
        help="excel: CSV + Excel as a client sends them; parquet: the same tables as Parquet",
    )
    parser.add_argument("--start", default="2023-01-01", help="first day of the order history")
    parser.add_argument("--end", default="2025-12-31", help="last day of the order history")
    args = parser.parse_args(argv)
    try:
        files = generate(args.out, args.customers, args.seed, args.format, args.start, args.end)
    except ValueError as exc:
        parser.error(str(exc))
    for table, path in files.items():
        print(f"{table:<13} {path}  ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
