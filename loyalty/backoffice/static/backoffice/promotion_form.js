/* The promotion form shows only the chosen kind's fields (loyalty/backoffice/promotions.py marks each rule field
   with the kinds it belongs to, `data-promotion-kinds`). Another kind's field is hidden and disabled, so it is not
   sent: switching kind never leaves a stale value that the server would refuse as "not a key of ...". Without
   this script every field shows and the server says which are wrong. */
(function () {
  "use strict";

  function apply(kind) {
    document.querySelectorAll("[data-promotion-kinds]").forEach(function (input) {
      var kinds = input.dataset.promotionKinds.split(" ");
      var own = !kind || kinds.indexOf(kind) !== -1;
      var row = input.closest(".field-line") || input.parentElement;
      row.hidden = !own;
      row.classList.toggle("promotion-other-kind", !own);
      input.disabled = !own;
    });
  }

  /* The segment picker (the admin's searchable select) draws its search box without a label, and draws it
     again after each choice: name each one as it appears. */
  function labelSegmentSearch() {
    var row = document.querySelector(".field-segments");
    if (!row) { return; }
    // The words come translated from the page (templates/admin/rewards/promotion/change_form.html).
    var texts = document.getElementById("promotion-form-texts");
    var label = (texts && texts.dataset.searchSegments) || "Search segments";
    var name = function () {
      row.querySelectorAll(".select2-search__field:not([aria-label])").forEach(function (input) {
        input.setAttribute("aria-label", label);
      });
    };
    name();
    new MutationObserver(name).observe(row, { childList: true, subtree: true });
  }

  function start() {
    labelSegmentSearch();
    var select = document.getElementById("id_kind");
    if (!select) { return; }
    apply(select.value);
    select.addEventListener("change", function () { apply(select.value); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
