"""The stock list's paginator: core.paging's capped count, with the page's rows fetched per
location for viewers who see few locations (a partner's page would otherwise sort every
visible row of its first location; see `selectors.stock_rows_window`)."""

from __future__ import annotations

from core.paging import CappedPaginator


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
