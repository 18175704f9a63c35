"""Reference rows the projects app ships with: the district's key industries and the case
categories for a project's blocking problems.

The twelve key industries follow the source article ("锚定车、玩、科产业特色, 聚焦12个重点产业"):
three groups — cars, consumption and leisure (玩), science and technology (科). The article
names the groups and the count, not the twelve; the rows below are the industries it mentions
under each group and are meant to be edited in the admin.

Blocking problems are cases of GB/T 30428.2's 06 扩展事件 top class, which the standard leaves
to each city; one sub-class per kind of problem so each goes to its usual department.
Seeds are idempotent and never overwrite an edited row; they take model classes so the data
migration can pass historical models.
"""

from decimal import Decimal

INDUSTRIES = (
    ("auto-assembly", "整车制造", "cars"),
    ("auto-parts", "汽车零部件", "cars"),
    ("ev-connected", "新能源与智能网联汽车", "cars"),
    ("auto-services", "汽车后市场与服务", "cars"),
    ("commerce", "商贸消费", "leisure"),
    ("culture-tourism", "文化旅游", "leisure"),
    ("sports-leisure", "冰雪运动与休闲娱乐", "leisure"),
    ("creative", "文化创意", "leisure"),
    ("ai-robotics", "人工智能与机器人", "science"),
    ("life-health", "生命健康", "science"),
    ("quantum-info", "量子信息与新一代信息技术", "science"),
    ("tech-services", "科技服务与成果转化", "science"),
)

# (kind of problem, category code, name, department code)
PROBLEM_CATEGORIES = (
    ("land", "0691", "重大项目用地问题", "zjj"),
    ("permit", "0692", "重大项目审批手续问题", "zjj"),
    ("utilities", "0693", "重大项目水电气配套问题", "sw"),
    ("disturbance", "0694", "重大项目施工扰民问题", "zjj"),
    ("other", "0695", "重大项目其他协调问题", "jd"),
)
PROBLEM_TOP_NAME = "扩展事件"
PROBLEM_KIND = "event"


def seed_industries(industry_model=None) -> int:
    if industry_model is None:
        from .models import Industry as industry_model
    existing = set(industry_model.objects.values_list("code", flat=True))
    missing = [
        industry_model(code=code, name=name, group=group, display_order=order)
        for order, (code, name, group) in enumerate(INDUSTRIES)
        if code not in existing
    ]
    industry_model.objects.bulk_create(missing)
    return len(missing)


def seed_problem_categories(category_model, department_model) -> int:
    """The project-problem categories, after the cases catalogue's departments exist."""
    from gridgov.cases.catalogue import seed_departments

    seed_departments(department_model)
    departments = {d.code: d for d in department_model.objects.all()}
    existing = set(category_model.objects.filter(kind=PROBLEM_KIND).values_list("code", flat=True))
    missing = [
        category_model(
            kind=PROBLEM_KIND,
            code=code,
            top_name=PROBLEM_TOP_NAME,
            name=name,
            default_department=departments.get(department),
            handled_in_grid=False,
            filing_condition="重大项目推进中遇到、需职能部门协调解决的堵点问题",
            closing_condition="堵点问题解决，项目单位确认",
            handle_limit=Decimal(5),
            handle_unit="days",
        )
        for _kind, code, name, department in PROBLEM_CATEGORIES
        if code not in existing
    ]
    category_model.objects.bulk_create(missing)
    return len(missing)
