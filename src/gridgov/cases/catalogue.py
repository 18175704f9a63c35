"""Reference data the platform ships with: the GB/T 30428.2 category catalogue, the kinds of
department that handle cases, and the official holiday calendar as editable rows.

Every seed function is idempotent and never overwrites an edited row: categories are keyed by
(kind, code), departments by code, calendar days by date; an existing row is left as it is.
They take the model classes as arguments so data migrations can pass historical models
(``apps.get_model``); called without them they use the current models (the demo does that).

Sources for the catalogue: GB/T 30428.2-2013 (数字化城市管理信息系统 第2部分：管理部件和事件),
which continues the classification of CJ/T 214-2007. The standard text itself is not freely
published; the codes below follow the order used by deployed systems that implement it (the
Beijing-derived component list 01 公用设施 … 05 房屋土地 and the event list 01 市容环境 …
05 街面秩序 as published in several open-source 数字城管 clients). Where those differ, the
choice is noted next to the row. 06 其他设施 and 06 扩展事件 are left by the standard to each
city; the rows here are typical district extensions. Time limits follow common local manuals
(e.g. exposed rubbish 4 working hours, spoil heaps 2 working days) and are meant to be edited.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

EVENT, COMPONENT = "event", "component"
HOURS, DAYS = "hours", "days"

EVENT_TOP_CLASSES = {
    "01": "市容环境",
    "02": "宣传广告",
    "03": "施工管理",
    "04": "突发事件",
    "05": "街面秩序",
    "06": "扩展事件",
}
COMPONENT_TOP_CLASSES = {
    "01": "公用设施",
    "02": "道路交通",
    "03": "市容环境",
    "04": "园林绿化",
    "05": "房屋土地",
    "06": "其他设施",
}
TOP_CLASSES = {EVENT: EVENT_TOP_CLASSES, COMPONENT: COMPONENT_TOP_CLASSES}

# Generic kinds of department found in every Chinese district; real types, not sample data.
DEPARTMENTS = {
    "cgj": "城市管理局",
    "zjj": "住房和城乡建设局",
    "jtj": "交通运输局",
    "gaj-jj": "公安交警大队",
    "yl": "园林绿化中心",
    "sw": "水务局",
    "hb": "生态环境分局",
    "scjg": "市场监督管理局",
    "gd": "供电公司",
    "tx": "通信管线单位",
    "rq": "燃气公司",
    "jd": "街道办事处",
}


@dataclass(frozen=True)
class CategorySpec:
    kind: str
    code: str
    name: str
    department: str
    handled_in_grid: bool
    filing: str
    closing: str
    handle_limit: Decimal
    handle_unit: str
    intake_hours: Decimal = Decimal(1)
    dispatch_hours: Decimal = Decimal(1)
    verify_hours: Decimal = Decimal(4)

    @property
    def top_name(self) -> str:
        return TOP_CLASSES[self.kind][self.code[:2]]


def _event(code, name, department, grid, filing, closing, limit, unit=HOURS) -> CategorySpec:
    return CategorySpec(EVENT, code, name, department, grid, filing, closing, Decimal(str(limit)), unit)


def _component(code, name, department, grid, filing, closing, limit, unit=HOURS) -> CategorySpec:
    return CategorySpec(COMPONENT, code, name, department, grid, filing, closing, Decimal(str(limit)), unit)


EVENTS = (
    # 01 市容环境
    _event(
        "0101",
        "私搭乱建",
        "cgj",
        False,
        "在城市道路、广场、绿地等公共区域未经批准搭建建筑物、构筑物或其他设施",
        "停止搭建并依法拆除，恢复原状",
        5,
        DAYS,
    ),
    _event(
        "0102",
        "暴露垃圾",
        "cgj",
        True,
        "在城市道路、广场等公共区域出现暴露垃圾（成堆、成片或未倒入容器的生活垃圾）",
        "垃圾清理干净",
        4,
    ),
    _event(
        "0103",
        "积存垃圾渣土",
        "cgj",
        False,
        "在城市道路、空地等公共区域积存建筑垃圾、渣土",
        "垃圾渣土清运干净，依法查处倾倒责任人",
        2,
        DAYS,
    ),
    _event("0104", "道路不洁", "cgj", True, "道路、人行道存在明显污迹、油渍或未按规定清扫保洁", "路面清扫保洁干净", 2),
    _event(
        "0105", "水域不洁", "sw", False, "河道、湖泊等水域水面有明显漂浮垃圾或岸坡垃圾", "水面及岸坡垃圾打捞清理干净", 1, DAYS
    ),
    _event("0106", "绿地脏乱", "yl", True, "公共绿地内有垃圾杂物，或植被缺失、枯死影响市容", "垃圾杂物清除，缺失植被补植", 4),
    _event(
        "0107",
        "废弃车辆",
        "gaj-jj",
        False,
        "道路、公共场所停放无牌、破损、长期无人使用的废弃机动车或非机动车",
        "废弃车辆清拖移除",
        5,
        DAYS,
    ),
    _event("0108", "废弃家具设备", "cgj", True, "公共区域随意丢弃家具、家电等大件废弃物", "废弃家具设备清运干净", 1, DAYS),
    _event("0109", "非装饰性树挂", "yl", True, "行道树、绿篱上悬挂衣物、塑料袋、条幅等非装饰性物品", "树挂清除干净", 4),
    _event("0110", "道路破损", "jtj", False, "道路路面出现坑槽、沉陷、拥包、松散等破损，影响通行", "路面修复平整", 3, DAYS),
    _event("0112", "道路遗撒", "cgj", False, "运输车辆在道路上遗撒渣土、砂石、泥浆等", "遗撒物清除干净，依法查处运输单位", 4),
    _event("0115", "焚烧垃圾、树叶", "hb", True, "在公共场所露天焚烧垃圾、树叶、秸秆等", "火源熄灭，焚烧残留物清理干净", 2),
    _event(
        "0116", "油烟污染", "hb", False, "餐饮单位未安装或未正常使用油烟净化设施，油烟直排", "油烟净化设施安装并正常使用", 5, DAYS
    ),
    _event(
        "0118",
        "擅自饲养家禽家畜",
        "jd",
        True,
        "在城市建成区擅自饲养家禽家畜，影响环境卫生",
        "家禽家畜清理，恢复环境卫生",
        3,
        DAYS,
    ),
    # 02 宣传广告
    _event("0201", "非法小广告", "cgj", True, "在建筑物、公共设施、树木上张贴、涂写、刻画小广告", "小广告清除干净，无残留", 4),
    _event(
        "0202",
        "违章张贴悬挂广告牌匾",
        "cgj",
        False,
        "未经批准设置或超出批准范围设置户外广告、牌匾",
        "违章广告牌匾拆除或依法补办手续",
        5,
        DAYS,
    ),
    _event("0203", "占道广告牌", "cgj", True, "在道路、人行道上摆放落地广告牌、灯箱", "占道广告牌撤除", 4),
    _event(
        "0204", "街头散发广告", "cgj", True, "在道路、广场等公共场所散发商业广告宣传品", "散发行为制止，散落宣传品清理干净", 2
    ),
    _event(
        "0205",
        "广告招牌破损",
        "cgj",
        False,
        "户外广告、招牌、牌匾破损、字体残缺或存在坠落隐患",
        "破损招牌修复或拆除，隐患消除",
        3,
        DAYS,
    ),
    # 03 施工管理
    _event("0301", "施工扰民", "zjj", False, "施工单位在夜间等禁止时段违规施工产生噪声扰民", "违规施工停止，依法处理", 4),
    _event(
        "0302",
        "工地扬尘",
        "zjj",
        False,
        "施工工地未采取覆盖、洒水、围挡等防尘措施，扬尘明显",
        "防尘措施落实到位，扬尘得到控制",
        1,
        DAYS,
    ),
    _event(
        "0303",
        "施工废弃料",
        "zjj",
        False,
        "施工结束后废弃料、设备未及时清理，占用道路或公共场地",
        "施工废弃料清运干净，场地恢复",
        2,
        DAYS,
    ),
    _event("0304", "施工占道", "jtj", False, "施工未经许可或超出许可范围占用道路", "占道施工停止或按许可范围整改", 1, DAYS),
    _event("0305", "无证掘路", "jtj", False, "未经批准擅自挖掘城市道路", "掘路停止，路面恢复，依法处理", 1, DAYS),
    # 04 突发事件
    _event("0401", "路面塌陷", "jtj", False, "道路、人行道路面出现塌陷、空洞，危及通行安全", "现场设置围挡警示，塌陷修复", 4),
    _event("0402", "自来水管破裂", "sw", False, "供水管道破裂、漏水，地面冒水", "管道抢修完毕，恢复供水，路面清理", 4),
    _event("0403", "燃气管道破裂", "rq", False, "燃气管道破裂或泄漏，有燃气味", "泄漏点封堵修复，现场安全", 2),
    _event("0404", "下水道堵塞或破损", "sw", False, "排水管道堵塞、破损，污水外溢", "管道疏通或修复，外溢污水清理", 4),
    _event("0406", "道路积水", "sw", False, "降雨后道路积水影响车辆、行人通行", "积水排除，路面恢复通行", 2),
    _event("0407", "道路积雪结冰", "cgj", True, "降雪后道路、人行道积雪结冰未及时清除", "积雪清除，结冰处理，路面安全通行", 4),
    _event("0408", "架空线缆损坏", "tx", False, "架空线缆断落、低垂、脱落，影响通行安全", "线缆修复、规整，隐患消除", 4),
    _event("0409", "群体性事件", "jd", False, "公共区域发生人员聚集、群体性事件苗头", "人员疏散，矛盾化解，情况报告", 2),
    # 05 街面秩序
    _event("0501", "无照经营游商", "scjg", True, "在道路、广场等公共区域流动摆摊无照经营", "游商劝离，摊点取缔", 2),
    _event("0502", "流浪乞讨", "jd", True, "流浪乞讨人员在公共场所滞留、强讨", "人员劝导、救助或护送至救助站", 4),
    _event("0503", "占道废品收购", "cgj", True, "在道路、人行道上堆放废品、进行废品收购", "占道废品清理，收购点撤除", 4),
    _event("0504", "店外经营", "cgj", True, "沿街商户超出门窗、外墙摆卖或作业", "店外经营物品收回店内，恢复通行", 2),
    _event("0505", "机动车乱停放", "gaj-jj", True, "机动车在人行道、禁停区域乱停放，影响通行", "车辆驶离或依法处理", 2),
    _event("0506", "非机动车乱停放", "cgj", True, "非机动车、共享单车在人行道、盲道上乱停放", "车辆规整摆放或清理", 2),
    _event("0507", "乱堆物堆料", "cgj", True, "在道路、公共场所堆放物料、杂物", "堆放物清理干净", 4),
    _event("0510", "露天烧烤", "cgj", True, "在道路、公共场所露天烧烤", "露天烧烤取缔，现场清理", 2),
    _event("0511", "沿街晾挂", "jd", True, "在沿街建筑物外、道路护栏、树木上晾晒衣物", "晾挂物收回", 4),
    # 06 扩展事件 (left to each city by the standard; typical district additions)
    _event("0601", "垃圾满溢", "cgj", True, "垃圾桶、垃圾箱满溢，垃圾散落周边", "垃圾清运，容器周边清理干净", 4),
    _event("0602", "占压盲道", "cgj", True, "盲道被车辆、物品占压或阻断", "占压物移除，盲道畅通", 4),
    _event("0603", "违规户外宣传条幅", "cgj", True, "未经批准悬挂横幅、标语、条幅", "条幅拆除", 4),
    _event(
        "0604",
        "空调室外机低挂",
        "jd",
        False,
        "沿街空调室外机安装低于规定高度，滴水影响行人",
        "室外机移装至规定高度或加装接水设施",
        10,
        DAYS,
    ),
)

COMPONENTS = (
    # 01 公用设施
    _component(
        "0101", "上水井盖", "sw", False, "上水（供水）井盖丢失、破损、移位或与路面高差明显", "井盖补齐、更换或复位，与路面平齐", 4
    ),
    _component(
        "0102", "污水井盖", "sw", False, "污水井盖丢失、破损、移位或与路面高差明显", "井盖补齐、更换或复位，与路面平齐", 4
    ),
    _component("0103", "雨水井盖", "sw", False, "雨水井盖丢失、破损、移位", "井盖补齐、更换或复位", 4),
    _component("0104", "雨水箅子", "sw", False, "雨水箅子丢失、破损或堵塞", "箅子补齐、更换，排水畅通", 4),
    _component("0105", "电力井盖", "gd", False, "电力井盖丢失、破损、移位", "井盖补齐、更换或复位", 4),
    _component("0107", "通讯井盖", "tx", False, "通讯（电信）井盖丢失、破损、移位", "井盖补齐、更换或复位", 4),
    _component("0111", "燃气井盖", "rq", False, "燃气井盖丢失、破损、移位", "井盖补齐、更换或复位", 4),
    _component(
        "0113", "消防设施", "jd", False, "室外消火栓等消防设施损坏、漏水、被圈占埋压", "消防设施修复，恢复正常使用", 2, DAYS
    ),
    _component(
        "0116", "电力设施", "gd", False, "变压器、配电箱等电力设施破损、箱门敞开，存在安全隐患", "设施修复，箱门关闭，隐患消除", 4
    ),
    _component("0118", "路灯", "cgj", False, "路灯不亮、灯杆倾斜、灯具破损", "路灯修复，正常亮灯", 2, DAYS),
    # 02 道路交通
    _component("0203", "公交站亭", "jtj", False, "公交站亭、站牌破损、缺失或污损", "站亭、站牌修复或清洗", 3, DAYS),
    _component("0205", "过街天桥", "jtj", False, "过街天桥栏杆、踏步、照明等破损", "天桥设施修复", 3, DAYS),
    _component("0209", "交通标志牌", "gaj-jj", False, "交通标志牌缺失、倾斜、污损或被遮挡", "标志牌修复、扶正或清洗", 2, DAYS),
    _component("0211", "交通护栏", "jtj", False, "道路护栏、隔离栏倾倒、破损或缺失", "护栏扶正、修复或补齐", 1, DAYS),
    _component("0213", "路名牌", "jtj", False, "路名牌缺失、破损、倾斜或内容错误", "路名牌修复或更换", 3, DAYS),
    _component("0214", "交通信号灯", "gaj-jj", False, "交通信号灯不亮、故障或灯杆倾斜", "信号灯修复，恢复正常运行", 4),
    # 03 市容环境
    _component("0301", "公共厕所", "cgj", False, "公共厕所设施损坏、不洁或未按时开放", "设施修复，保洁到位，正常开放", 1, DAYS),
    _component("0305", "垃圾箱", "cgj", True, "果皮箱、垃圾箱破损、缺失或倾倒", "垃圾箱修复、补齐或扶正", 1, DAYS),
    _component("0307", "广告牌匾", "cgj", False, "广告牌匾破损、字体残缺或存在坠落隐患", "牌匾修复或拆除，隐患消除", 3, DAYS),
    # 04 园林绿化 (0403: 树池箅子 in the deployed list; some manuals call it 护树设施)
    _component("0401", "古树名木", "yl", False, "古树名木受损、病虫害或保护设施损坏", "古树名木得到救护，保护设施修复", 2, DAYS),
    _component("0402", "行道树", "yl", False, "行道树倒伏、断枝、枯死或遮挡交通设施", "倒伏、断枝清除，枯死树补植", 1, DAYS),
    _component("0403", "树池箅子", "yl", True, "树池箅子破损、缺失或松动", "箅子修复或补齐", 2, DAYS),
    _component("0407", "街头座椅", "yl", False, "街头座椅破损、缺失", "座椅修复或补齐", 3, DAYS),
    # 05 房屋土地
    _component("0501", "宣传栏", "jd", True, "宣传栏破损、内容过期或污损", "宣传栏修复，内容更新", 3, DAYS),
    _component("0502", "人防工事", "zjj", False, "人防工事出入口破损、被占用或存在安全隐患", "设施修复，占用清理", 5, DAYS),
    # 06 其他设施 (from memory of the standard; check against the text before relying on codes)
    _component("0601", "重大危险源", "hb", False, "危险化学品存放、加油加气站等重大危险源出现安全隐患", "隐患消除，依法处理", 4),
    _component(
        "0602", "工地", "zjj", False, "在建工地围挡破损、出入口无冲洗设施或存在安全隐患", "围挡修复，设施完善，隐患消除", 2, DAYS
    ),
    _component("0603", "水域附属设施", "sw", False, "河道护栏、驳岸、亲水平台等水域附属设施破损", "附属设施修复", 3, DAYS),
)

CATALOGUE: tuple[CategorySpec, ...] = EVENTS + COMPONENTS


def _models(category_model=None, department_model=None):
    if category_model is None or department_model is None:
        from gridgov.accounts.models import Department

        from .models import Category

        return category_model or Category, department_model or Department
    return category_model, department_model


def seed_departments(department_model=None) -> int:
    """Create the departments that are missing; returns how many were created."""
    _, Department = _models(department_model=department_model)
    created = 0
    for code, name in DEPARTMENTS.items():
        _, was_created = Department.objects.get_or_create(code=code, defaults={"name": name, "is_sample": False})
        created += was_created
    return created


def seed_catalogue(category_model=None, department_model=None) -> int:
    """Create the departments and categories that are missing; returns categories created.

    A category that already exists (same kind and code) keeps whatever an administrator made of
    it; a missing department is created first, so the seed also runs on an empty database.
    """
    Category, Department = _models(category_model, department_model)
    seed_departments(Department)
    departments = {department.code: department for department in Department.objects.filter(code__in=DEPARTMENTS)}
    existing = set(Category.objects.values_list("kind", "code"))
    missing = [spec for spec in CATALOGUE if (spec.kind, spec.code) not in existing]
    Category.objects.bulk_create(
        [
            Category(
                kind=spec.kind,
                code=spec.code,
                top_name=spec.top_name,
                name=spec.name,
                default_department=departments.get(spec.department),
                handled_in_grid=spec.handled_in_grid,
                filing_condition=spec.filing,
                closing_condition=spec.closing,
                intake_hours=spec.intake_hours,
                dispatch_hours=spec.dispatch_hours,
                handle_limit=spec.handle_limit,
                handle_unit=spec.handle_unit,
                verify_hours=spec.verify_hours,
            )
            for spec in missing
        ]
    )
    return len(missing)


def official_calendar_days() -> list[tuple]:
    """(date, kind, name) for every day of the official schedules in ``workcalendar/holidays.py``.

    Every listed day off gets a row, also those falling on a weekend, so the table reads like
    the notice and stays right if an administrator later edits the weekend rule around it.
    """
    from gridgov.workcalendar.holidays import SCHEDULES

    rows: list[tuple[date, str, str]] = []
    for schedule in SCHEDULES.values():
        for block in schedule.blocks:
            rows.extend((day, "day_off", block.name[:50]) for day in block.dates())
        rows.extend((day, "workday", "调休上班 make-up working day") for day in schedule.makeup_workdays)
    return sorted(rows)


def seed_calendar(calendar_day_model=None) -> int:
    """Create the official days off and make-up working days that have no row yet."""
    if calendar_day_model is None:
        from .models import CalendarDay as calendar_day_model
    existing = set(calendar_day_model.objects.values_list("date", flat=True))
    missing = [
        calendar_day_model(date=day, kind=kind, name=name) for day, kind, name in official_calendar_days() if day not in existing
    ]
    calendar_day_model.objects.bulk_create(missing)
    return len(missing)


# English names of the reference data above, keyed by the Chinese name stored in the database.
# The rows stay Chinese (the language of the standard and of the people who edit them); pages in
# English mode show these names through ``localized``. A row an administrator renamed, or added,
# has no entry here and shows as stored: nothing is ever hidden for want of a translation.
ENGLISH_NAMES = {
    # event top classes
    "市容环境": "City appearance and environment",
    "宣传广告": "Publicity and advertising",
    "施工管理": "Construction management",
    "突发事件": "Emergencies",
    "街面秩序": "Street order",
    "扩展事件": "Extended events",
    # component top classes
    "公用设施": "Public utilities",
    "道路交通": "Roads and traffic",
    "园林绿化": "Parks and greenery",
    "房屋土地": "Buildings and land",
    "其他设施": "Other facilities",
    # events
    "私搭乱建": "Illegal structure",
    "暴露垃圾": "Exposed rubbish",
    "积存垃圾渣土": "Accumulated rubbish or spoil",
    "道路不洁": "Dirty road",
    "水域不洁": "Dirty water surface",
    "绿地脏乱": "Littered green space",
    "废弃车辆": "Abandoned vehicle",
    "废弃家具设备": "Abandoned furniture or equipment",
    "非装饰性树挂": "Things hung on trees",
    "道路破损": "Damaged road",
    "道路遗撒": "Spillage on the road",
    "焚烧垃圾、树叶": "Burning rubbish or leaves",
    "油烟污染": "Cooking fume pollution",
    "擅自饲养家禽家畜": "Unauthorised poultry or livestock",
    "非法小广告": "Illegal small advertisements",
    "违章张贴悬挂广告牌匾": "Unauthorised posted or hung signboards",
    "占道广告牌": "Advertising board blocking the road",
    "街头散发广告": "Handing out flyers in the street",
    "广告招牌破损": "Damaged advertising sign",
    "施工扰民": "Construction noise and disturbance",
    "工地扬尘": "Dust from a construction site",
    "施工废弃料": "Construction waste",
    "施工占道": "Construction occupying the road",
    "无证掘路": "Road dug up without a permit",
    "路面塌陷": "Road surface collapse",
    "自来水管破裂": "Burst water main",
    "燃气管道破裂": "Broken gas pipe",
    "下水道堵塞或破损": "Blocked or broken sewer",
    "道路积水": "Standing water on the road",
    "道路积雪结冰": "Snow or ice on the road",
    "架空线缆损坏": "Damaged overhead cables",
    "群体性事件": "Mass incident",
    "无照经营游商": "Unlicensed street vendor",
    "流浪乞讨": "Vagrancy and begging",
    "占道废品收购": "Scrap collection on the road",
    "店外经营": "Trading outside the shop",
    "机动车乱停放": "Illegally parked motor vehicle",
    "非机动车乱停放": "Badly parked bicycles or scooters",
    "乱堆物堆料": "Materials piled up in public",
    "露天烧烤": "Open-air barbecue",
    "沿街晾挂": "Laundry hung along the street",
    "垃圾满溢": "Overflowing rubbish",
    "占压盲道": "Blocked tactile paving",
    "违规户外宣传条幅": "Unauthorised outdoor banner",
    "空调室外机低挂": "Air-conditioner unit mounted too low",
    # components
    "上水井盖": "Water supply manhole cover",
    "污水井盖": "Sewage manhole cover",
    "雨水井盖": "Storm drain manhole cover",
    "雨水箅子": "Storm drain grate",
    "电力井盖": "Power manhole cover",
    "通讯井盖": "Telecom manhole cover",
    "燃气井盖": "Gas manhole cover",
    "消防设施": "Fire-fighting equipment",
    "电力设施": "Power equipment",
    "路灯": "Street light",
    "公交站亭": "Bus shelter",
    "过街天桥": "Pedestrian overpass",
    "交通标志牌": "Traffic sign",
    "交通护栏": "Traffic barrier",
    "路名牌": "Street name sign",
    "交通信号灯": "Traffic light",
    "公共厕所": "Public toilet",
    "垃圾箱": "Litter bin",
    "广告牌匾": "Signboard",
    "古树名木": "Ancient or notable tree",
    "行道树": "Street tree",
    "树池箅子": "Tree pit grate",
    "街头座椅": "Street bench",
    "宣传栏": "Notice board",
    "人防工事": "Civil air defence works",
    "重大危险源": "Major hazard installation",
    "工地": "Construction site",
    "水域附属设施": "Waterside facilities",
    # departments
    "城市管理局": "Urban Management Bureau",
    "住房和城乡建设局": "Housing and Urban-Rural Development Bureau",
    "交通运输局": "Transport Bureau",
    "公安交警大队": "Traffic Police Brigade",
    "园林绿化中心": "Parks and Greenery Centre",
    "水务局": "Water Affairs Bureau",
    "生态环境分局": "Ecology and Environment Branch Bureau",
    "市场监督管理局": "Market Regulation Bureau",
    "供电公司": "Power Supply Company",
    "通信管线单位": "Telecom Lines Operator",
    "燃气公司": "Gas Company",
    "街道办事处": "Street Office",
    # project coordination problems (projects/catalogue.py)
    "重大项目用地问题": "Major project: land issue",
    "重大项目审批手续问题": "Major project: approval procedures issue",
    "重大项目水电气配套问题": "Major project: water, power and gas connections",
    "重大项目施工扰民问题": "Major project: construction disturbing residents",
    "重大项目其他协调问题": "Major project: other coordination issue",
}


def localized(name: str) -> str:
    """The name of a catalogue row (category, top class, department) in the active language."""
    from django.utils.translation import get_language

    if (get_language() or "").startswith("en"):
        return ENGLISH_NAMES.get(name, name)
    return name
