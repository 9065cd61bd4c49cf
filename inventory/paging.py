"""A paginator whose count stops at a cap: counting millions of visible rows on every page
view would make the first page grow with the data (DESIGN.md §10). Beyond the cap the page
says "10,000+" and asks for a narrower filter."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def count_label(self) -> str:
        return f"{self.cap:,}+" if self.capped else f"{self.count:,}"


class StockPaginator(CappedPaginator):
    """Pages of `stock_rows`, fetched per location for viewers who see few locations."""

    def __init__(self, object_list, per_page, *, scope, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.scope = scope

    def page(self, number):
        from .selectors import stock_rows_window

        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        window = stock_rows_window(self.scope, self.object_list, bottom, top)
        if window is None:
            return super().page(number)
        return self._get_page(window, number, self)
