// Narrow screens: the header menu collapses behind the "Menu" button. The `js` class on <html> is
// what lets the CSS hide it, so without JavaScript the menu simply stays open.
(function () {
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest ? event.target.closest(".nav-toggle") : null;
    if (!toggle) return;
    var bar = toggle.closest(".topbar");
    var open = bar.classList.toggle("menu-open");
    toggle.setAttribute("aria-expanded", String(open));
  });
})();

// Shows or hides form rows that depend on another field (blueprint `show_if`), as the user
// changes that field. Without JavaScript every row stays usable; the server ignores hidden ones.
(function () {
  function applyShowIf(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (row) {
      var input = form.elements[row.dataset.showIf];
      if (!input) return;
      var current = input.type === "checkbox" ? String(input.checked) : String(input.value);
      row.hidden = current.toLowerCase() !== row.dataset.showIfEquals;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.form) applyShowIf(event.target.form);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var form = event.target.closest ? event.target.closest("form") : null;
    if (form) applyShowIf(form);
  });
})();

// A real submit of a live-validated form (hx-post) while its check is in flight would abort that
// request, which htmx logs as an error: the submit waits for the check to finish, and no new
// check starts once the form is being submitted.
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("hx-post")) return;
    form.dataset.submitting = "1";
    if (!form.classList.contains("htmx-request")) return;
    event.preventDefault();
    var submitter = event.submitter;
    form.addEventListener("htmx:afterRequest", function () {
      form.requestSubmit(submitter);
    }, { once: true });
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.dataset && elt.dataset.submitting) event.preventDefault();
  });
})();
