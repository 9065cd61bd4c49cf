// Page behaviour without inline scripts or on*= handlers (the Content-Security-Policy allows
// scripts from our static files only). Delegated listeners, so content htmx swaps in works too.
//
//   <select data-autosubmit>        submits its form when the choice changes (org switcher)
//   <form data-confirm="Question?"> asks before submitting; Cancel keeps the page as it is
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var field = event.target.closest && event.target.closest("[data-autosubmit]");
    if (field && field.form) {
      field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
