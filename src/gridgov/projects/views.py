"""Pages of the projects app: the list with period counts and drill-down, a project, the open
problems, the industry chains and old-community renewal. Reads go through ``selectors``,
changes through ``services``; a user sees the projects of their own unit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from gridgov.economy import selectors as economy_selectors

from . import selectors, services
from .forms import CorrectionForm, PeriodForm, ProblemForm, StageForm
from .models import Industry, RenewalClass

PAGE_LIMIT = 200
OVERDUE_SHOWN = 10


def _scoped(view):
    """Signed in, with a project scope (residents and department handlers have none)."""

    @login_required
    def wrapper(request, *args, **kwargs):
        if selectors.region_code(request.user) is None:
            raise Http404(_("There are no projects in your scope."))
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def default_last_month() -> int:
    """The month the economy's figures have reached this year, else the current month."""
    today = timezone.localdate()
    latest = economy_selectors.latest_period(economy_selectors.home_district())
    return latest[1] if latest and latest[0] == today.year else today.month


@_scoped
def project_list(request):
    scope = selectors.visible_projects(request.user)
    form = PeriodForm(
        request.GET, industries=Industry.objects.all(), parks=selectors.parks(scope), default_last=default_last_month()
    )
    if not form.is_valid():
        return render(
            request,
            "projects/list.html",
            {"form": form, "projects": [], "counts": None, "total": 0, "limit": PAGE_LIMIT},
            status=400,
        )
    data = form.cleaned_data
    period = selectors.Period.months(data["year"], data["first"], data["last"])
    measure = request.GET.get("measure", "")
    if measure in selectors.MEASURES:
        projects = selectors.drill_down(measure, period, scope)
    else:
        measure = ""
        projects = selectors.filtered_projects(
            scope, stage=data["stage"], industry=data["industry"], park=data["park"], major_only=data["major"], query=data["q"]
        )
    total = projects.count()
    overdue = selectors.overdue_milestones(timezone.localdate(), scope)
    context = {
        "form": form,
        "period": period,
        "year_before": period.year_before(),
        "counts": selectors.period_counts(period, scope),
        "conversion": selectors.conversion(period, scope),
        "investment": selectors.investment_progress(data["year"], data["last"], scope),
        "overdue": overdue[:OVERDUE_SHOWN],
        "overdue_count": overdue.count(),
        "measure": measure,
        "projects": projects[:PAGE_LIMIT],
        "total": total,
        "limit": PAGE_LIMIT,
        "period_query": f"year={data['year']}&first={data['first']}&last={data['last']}",
    }
    context["counts_chart"] = counts_chart_data(context["counts"], period)
    return render(request, "projects/list.html", context)


MEASURE_LABELS = {
    "signed": _lazy("Signed"), "landed": _lazy("Landed"), "started": _lazy("Started or restarted"), "completed": _lazy("In production or completed"),
}  # fmt: skip


def counts_chart_data(counts, period) -> dict:
    """The period counts for the chart script (json_script): this period beside a year earlier."""
    return {
        "measures": [str(MEASURE_LABELS[key]) for key in counts],
        "keys": list(counts),
        "current": [count.current for count in counts.values()],
        "previous": [count.previous for count in counts.values()],
        "text": {
            "current": _("%(start)s to %(end)s") % {"start": period.start, "end": period.end},
            "previous": _("%(start)s to %(end)s") % {"start": period.year_before().start, "end": period.year_before().end},
        },
    }


def chain_chart_data(tiers) -> dict:
    """The chain as nodes (tier, enterprises, projects, gap) for the graph script (json_script);
    links run from every node of a tier to every node of the next one downstream."""
    nodes, links = [], []
    for tier_index, tier in enumerate(tiers):
        for row, view in enumerate(tier):
            nodes.append({
                "id": str(view.node.pk), "name": view.node.name, "tier": tier_index, "row": row, "rows": len(tier), "gap": view.is_gap,
                "enterprises": [e.name + (" ★" if e.is_leading else "") for e in view.enterprises],
                "projects": [p.name for p in view.projects],
            })  # fmt: skip
        if tier_index:
            links += [{"source": str(a.node.pk), "target": str(b.node.pk)} for a in tiers[tier_index - 1] for b in tier]
    return {
        "nodes": nodes,
        "links": links,
        "text": {"enterprises": _("Enterprises"), "projects": _("Projects"), "gap": _("Gap: no enterprise in the district")},
    }


@_scoped
def project_detail(request, pk: int):
    project = selectors.project_detail(request.user, pk)
    if project is None:
        raise Http404(_("No such project in your scope."))
    form = ProblemForm()
    return render(request, "projects/detail.html", _detail_context(request, project, form))


def can_edit(user) -> bool:
    return user.is_superuser or user.has_perm("projects.change_project")


def _detail_context(request, project, form, stage_form=None, correction_form=None):
    next_stages = services.NEXT_STAGES.get(project.stage, set())
    return {
        "can_edit": can_edit(request.user),
        "stage_form": stage_form or StageForm(next_stages=next_stages),
        "correction_form": correction_form,
        "project": project,
        "history": selectors.stage_history(project),
        "milestones": project.milestones.all(),
        "today": timezone.localdate(),
        "plans": project.plans.order_by("-year"),
        "investments": project.investments.order_by("-year", "-month")[:24],
        "problems": selectors.problems_with_cases(request.user, project.problems.all()),
        "form": form,
    }


@require_POST
@_scoped
def raise_problem(request, pk: int):
    project = selectors.project_detail(request.user, pk)
    if project is None:
        raise Http404(_("No such project in your scope."))
    form = ProblemForm(request.POST)
    if form.is_valid():
        try:
            problem = services.raise_problem(
                project, kind=form.cleaned_data["kind"], description=form.cleaned_data["description"], actor=request.user
            )
        except services.ProjectError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The problem was raised as case %(number)s.") % {"number": problem.case_number})
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/detail.html", _detail_context(request, project, form), status=400)


@_scoped
def open_problems(request):
    return render(request, "projects/problems.html", {"problems": selectors.open_problems(request.user)})


@_scoped
def chain_list(request):
    return render(request, "projects/chains.html", {"chains": selectors.chains()})


@_scoped
def chain_detail(request, code: str):
    chain = get_object_or_404(selectors.chains(), code=code)
    tiers = selectors.chain_tiers(chain)
    return render(
        request,
        "projects/chain.html",
        {"chain": chain, "tiers": tiers, "gaps": selectors.chain_gaps(chain), "rates": selectors.supporting_rates(chain),
         "chart": chain_chart_data(tiers)},
    )  # fmt: skip


@_scoped
def renewal(request):
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    if not 2000 <= year <= 2100:
        year = timezone.localdate().year
    compounds = selectors.visible_compounds(request.user)
    return render(
        request,
        "projects/renewal.html",
        {
            "year": year,
            "progress": selectors.renewal_progress(year, compounds),
            "compounds": compounds.filter(year=year).order_by("community_code", "name")[:500],
            "classes": RenewalClass,
        },
    )


def _editable_project(request, pk: int):
    project = selectors.project_detail(request.user, pk)
    if project is None or not can_edit(request.user):
        raise Http404(_("No such project in your scope."))
    return project


@require_POST
@_scoped
def record_stage(request, pk: int):
    project = _editable_project(request, pk)
    form = StageForm(request.POST, next_stages=services.NEXT_STAGES.get(project.stage, set()))
    if form.is_valid():
        try:
            services.record_stage(
                project,
                stage=form.cleaned_data["stage"],
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except services.ProjectError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The stage was recorded."))
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/detail.html", _detail_context(request, project, ProblemForm(), stage_form=form), status=400)


@require_POST
@_scoped
def correct_stage(request, pk: int):
    project = _editable_project(request, pk)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        event = selectors.stage_history(project).filter(pk=form.cleaned_data["event"]).first()
        if event is None:
            form.add_error(None, _("That stage is not one of this project's."))
        else:
            try:
                services.correct_stage_date(
                    event, on=form.cleaned_data["on"], reason=form.cleaned_data["reason"], actor=request.user
                )
            except services.ProjectError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The stage date was corrected."))
                return redirect("projects:detail", pk=project.pk)
    return render(
        request, "projects/detail.html", _detail_context(request, project, ProblemForm(), correction_form=form), status=400
    )
