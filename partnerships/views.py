from django.core.paginator import Paginator
from django.shortcuts import render

from orgs.decorators import scoped_view

from . import selectors


@scoped_view
def partnership_list(request):
    page = Paginator(selectors.partnerships_for(request.scope), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "partnerships/partnership_list.html", {"page": page})
